"""Memory of `pathbot run` under free-text traffic: does it level off, or grow with what it reads?

Patients type anything, and strangers and attackers send whatever they like: every message is
triaged in every language, and what is remembered per word or message must stay bounded or a
clinic's server grows until it is killed (triage's word cache once held 65,536 entries, ~70 MB
of novel words). `pathbot run` starts in its own process, as deployed (dispatcher, scheduler,
SMS channel against the fake Twilio, which receives the replies); a second process posts
signed SMS of random words (never the same word twice, the worst case for any cache) from
400 enrolled patients, round after round; the server's VmRSS is read after each round.

The figures: resident memory after each round, and its growth over the second half of the
rounds. Targets: under 200 MB, and under 10 MB of growth over the second half (15,000
messages: a leak of 700 bytes a message would show). The first half is warm-up: bounded
caches fill there (triage's, and on SQLite each pooled connection's 2 MB page cache as the
database grows: measured 134 MB idle, 171 after 5,000 messages, 184 after 15,000, 188 after
30,000), and growth that goes on after them is a leak.
"""

from __future__ import annotations

import asyncio
import os
import random
import string
import subprocess
import sys
import time

import httpx
from twilio.request_validator import RequestValidator

from benchmarks.child import rss_mb
from benchmarks.common import NOW, Row, backend_name, bench_app, free_port
from benchmarks.seed import seed_patients
from benchmarks.server import load_from_subprocess
from tests.child_processes import spawn, stop
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "memory-token-" + "d4" * 10
FROM_NUMBER = "+18025550199"
PUBLIC_BASE = "https://bot.example.org"
PATH = "/twilio/sms"
PATIENTS = 400
TARGET_MB = 200.0
TARGET_GROWTH_MB = 10.0
SETTLE_SECONDS = 2.0  # after a round: the last replies claimed, freed memory given back


def _free_text(rnd: random.Random) -> str:
    words = rnd.randint(2, 12)
    return " ".join(
        "".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(3, 9))) for _ in range(words)
    )


def _round(
    rnd: random.Random, phones: list[str], first: int, count: int
) -> list[dict[str, object]]:
    validator = RequestValidator(AUTH_TOKEN)
    requests: list[dict[str, object]] = []
    for n in range(first, first + count):
        params = {
            "MessageSid": f"SM{n:032d}",
            "AccountSid": ACCOUNT_SID,
            "From": phones[n % len(phones)],
            "To": FROM_NUMBER,
            "Body": _free_text(rnd),
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
            "SmsStatus": "received",
        }
        signature = validator.compute_signature(PUBLIC_BASE + PATH, params)
        headers = {"X-Twilio-Signature": signature}
        requests.append({"path": PATH, "form": params, "headers": headers})
    return requests


async def _wait_healthy(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pathbot run did not become healthy")
            await asyncio.sleep(0.2)


async def _measure(url: str, rounds: int, per_round: int) -> dict[str, object]:
    app = bench_app(url)
    try:
        people = seed_patients(
            app.db, PATIENTS, channel="sms", address_of=lambda n: f"+1805{n:07d}", now=NOW,
            prefix="memory",
        )  # fmt: skip
    finally:
        app.db.dispose()
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    port = free_port()
    env = {
        **os.environ,
        "PATHBOT_DATABASE_URL": url,
        "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PATHBOT_TWILIO_API_BASE_URL": fake.base_url,
        "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
    }
    proc = spawn(
        [sys.executable, "-m", "bot.cli.main", "run", "--port", str(port), "--db", url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    resident: list[float] = []
    rates: list[float] = []
    rnd = random.Random(16)  # noqa: S311 - test data, not secrets
    phones = [phone for _pid, phone in people]
    try:
        await _wait_healthy(base, proc)
        idle = rss_mb(proc.pid)
        for number in range(rounds):
            requests = _round(rnd, phones, number * per_round, per_round)
            result = await load_from_subprocess(
                {"base_url": base, "concurrency": 8, "requests": requests}
            )
            if result["statuses"].get("200", 0) != per_round:
                raise RuntimeError(f"unexpected webhook statuses: {result['statuses']}")
            rates.append(per_round / result["elapsed"])
            await asyncio.sleep(SETTLE_SECONDS)
            resident.append(rss_mb(proc.pid))
    finally:
        try:
            await asyncio.to_thread(stop, proc, 30)
        finally:
            await fake.stop()
    return {
        "idle": idle,
        "resident": resident,
        "messages": rounds * per_round,
        "rate": sorted(rates)[len(rates) // 2],
        "replies": len(fake.messages),
    }


def run(url: str, *, quick: bool = False) -> list[Row]:
    rounds, per_round = (2, 40) if quick else (6, 5_000)
    m = asyncio.run(_measure(url, rounds, per_round))
    resident = m["resident"]
    assert isinstance(resident, list)
    warm = resident[len(resident) // 2 - 1]  # after the first half of the rounds
    last = resident[-1]
    growth = last - warm
    full = not quick
    return [
        Row(
            "server memory under free text",
            backend_name(url),
            f"{last:.0f} MB VmRSS after {m['messages']:,} messages of novel words "
            f"(idle {m['idle']:.0f} MB; after each round: "
            f"{', '.join(f'{r:.0f}' for r in resident)} MB; {m['rate']:.0f} msg/s, "
            f"{m['replies']:,} replies sent)",
            f"< {TARGET_MB:.0f} MB",
            full and max(resident) < TARGET_MB,
        ),
        Row(
            "server memory growth after warm-up",
            backend_name(url),
            f"{growth:+.1f} MB over the last {len(resident) - len(resident) // 2} rounds",
            f"< {TARGET_GROWTH_MB:.0f} MB",
            full and growth < TARGET_GROWTH_MB,
        ),
    ]
