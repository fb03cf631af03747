"""100,000 random and hostile inbound messages through the whole service (issue 15's property).

The messages, the service and the check are tests/hostile_inbound.py's (the test
tests/test_hostile_inbound.py sends a few thousand on every run): SMS and Telegram webhooks, eight
requests at a time,
from patients, pending numbers and strangers, with crisis words, keywords, NUL, lone surrogates,
formula-looking text, oversized bodies, forged signatures, malformed updates and provider retries.
The figure is the property (no 500; every message stored byte-for-byte or refused with a 4xx)
and the rate it ran at. PATHBOT_BENCH_HOSTILE_MESSAGES sets the count.
"""

from __future__ import annotations

import asyncio
import os

from benchmarks.common import Row, backend_name
from tests.hostile_inbound import check_outcomes, hostile_service, send_hostile

MESSAGES = 100_000
QUICK_MESSAGES = 300
SEED = 15


async def _measure(url: str, messages: int) -> tuple[int, dict[int, int], float, list[str]]:
    async with hostile_service(url) as (app, client):
        sender, tally = await send_hostile(client, messages=messages, seed=SEED)
        problems = check_outcomes(app, sender, tally)
    return tally.sent, tally.by_status, tally.seconds, problems


def run(url: str, *, quick: bool = False) -> list[Row]:
    messages = (
        QUICK_MESSAGES if quick else int(os.environ.get("PATHBOT_BENCH_HOSTILE_MESSAGES", MESSAGES))
    )
    sent, by_status, seconds, problems = asyncio.run(_measure(url, messages))
    refused = sum(n for status, n in by_status.items() if 400 <= status < 500)
    failed = sum(n for status, n in by_status.items() if status >= 500)
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items()))
    return [
        Row(
            "hostile inbound",
            backend_name(url),
            f"{sent} messages, {failed} 5xx, {len(problems)} lost or altered, {refused} refused",
            "0 5xx, 0 lost or altered",
            failed == 0 and not problems,
            f"{sent / seconds:.0f} msg/s ({statuses})" + (f"; {problems[0]}" if problems else ""),
        )
    ]
