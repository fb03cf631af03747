"""The property of issue 15, every run: random and hostile inbound messages through the whole
service on SQLite and PostgreSQL give no 500, and each is stored byte-for-byte (as
tests/hostile_inbound.py defines it) or refused with a clear 4xx.

3,000 messages per database here; `python -m benchmarks.hostile_inbound` sends 100,000 per
database and prints the figures (README, "Benchmarks").
"""

from __future__ import annotations

import os

from tests.hostile_inbound import check_outcomes, hostile_service, send_hostile

MESSAGES = int(os.environ.get("PATHBOT_HOSTILE_MESSAGES", "3000"))


async def test_hostile_inbound_is_stored_or_refused_never_a_500(db_url: str) -> None:
    seed = 15
    async with hostile_service(db_url) as (app, client):
        sender, tally = await send_hostile(client, messages=MESSAGES, seed=seed)
        problems = check_outcomes(app, sender, tally)
    assert problems == [], f"seed {seed}: {problems[:20]}"
    assert tally.sent == MESSAGES
    # the mix really was hostile: some refusals, mostly accepted
    assert tally.by_status.get(200, 0) > MESSAGES // 2
    assert sum(n for s, n in tally.by_status.items() if 400 <= s < 500) > MESSAGES // 100
    assert len(sender.first_body) > MESSAGES // 2
