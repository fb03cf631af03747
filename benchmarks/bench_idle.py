"""Server idle with 10,000 enrolled patients: resident memory of `pathbot run`.

10,000 patients with SMS identities, consents and conversations are written in SQL; then
`pathbot run` starts in its own process with the SMS channel configured (against the fake
Twilio, which it never needs while idle); once /healthz answers and the dispatcher and
scheduler have had their first rounds, VmRSS is read from /proc.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx

from benchmarks.child import rss_mb
from benchmarks.common import NOW, Row, backend_name, bench_app, free_port
from benchmarks.seed import seed_patients
from tests.child_processes import spawn, stop
from tests.fakes.twilio_api import FakeTwilio

TARGET_MB = 150.0
SETTLE_SECONDS = 6.0  # past the first dispatcher round (5 s) and the scheduler's start


def measure(url: str, patients: int, settle: float) -> dict[str, float]:
    app = bench_app(url)
    try:
        seed_patients(
            app.db, patients, channel="sms", address_of=lambda n: f"+1804{n:07d}", now=NOW,
            prefix="idle",
        )  # fmt: skip
    finally:
        app.db.dispose()
    loop = asyncio.new_event_loop()
    fake = FakeTwilio("AC" + "8" * 32, "idle-token-" + "c3" * 10)
    loop.run_until_complete(fake.start())
    port = free_port()
    env = {
        **os.environ,
        "PATHBOT_DATABASE_URL": url,
        "PATHBOT_TWILIO_ACCOUNT_SID": fake.account_sid,
        "PATHBOT_TWILIO_AUTH_TOKEN": fake.auth_token,
        "PATHBOT_TWILIO_FROM_NUMBER": "+18025550199",
        "PATHBOT_TWILIO_API_BASE_URL": fake.base_url,
        "PATHBOT_PUBLIC_BASE_URL": "https://bot.example.org",
    }
    # spawn/stop: the server dies with this process and is killed if it will not stop (a
    # terminate() and a wait that timed out once left it running for an hour).
    proc = spawn(
        [sys.executable, "-m", "bot.cli.main", "run", "--port", str(port), "--db", url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pathbot run did not become healthy")
            time.sleep(0.2)
        time.sleep(settle)
        resident = rss_mb(proc.pid)
    finally:
        try:
            stop(proc, grace=30)
        finally:
            loop.run_until_complete(fake.stop())
            loop.close()
    return {"patients": patients, "rss_mb": resident}


def run(url: str, *, quick: bool = False) -> list[Row]:
    m = measure(url, 20, 0.5) if quick else measure(url, 10_000, SETTLE_SECONDS)
    return [
        Row(
            "idle server memory",
            backend_name(url),
            f"{m['rss_mb']:.0f} MB VmRSS ({m['patients']:,.0f} patients)",
            f"< {TARGET_MB:.0f} MB",
            m["patients"] >= 10_000 and m["rss_mb"] < TARGET_MB,
        )
    ]
