"""Signed SMS webhooks through the real HTTP server: requests/s and p99 latency.

The real app (pipeline, SMS channel, Twilio signature check) runs under uvicorn on 127.0.0.1
port 0 with the SMS channel configured against the fake Twilio; the dispatcher is not started,
so replies stay in the outbox (sending is measured by the fan-out benchmark). A second process
posts DVPRS answers from many patients, each with a valid X-Twilio-Signature.

Server CPU per request is this process's CPU time (every thread: uvicorn's loop and the database
worker threads) over the load, divided by the requests: the load generator runs in its own
process, so none of its work is counted. It is the steadiest figure on a shared machine.
"""

from __future__ import annotations

import asyncio
import time

from twilio.request_validator import RequestValidator

from benchmarks.common import NOW, Row, backend_name, bench_app, percentile
from benchmarks.seed import seed_patients
from benchmarks.server import load_from_subprocess, serving
from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "bench-" + "a1" * 13
FROM_NUMBER = "+18025550199"
PUBLIC_BASE = "https://bot.example.org"
PATH = "/twilio/sms"
TARGET_RATE = 500.0
TARGET_P99_MS = 50.0
CONCURRENCY = 16


async def _measure(url: str, patients: int, per_patient: int) -> dict[str, float]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    app = bench_app(
        url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base_url=fake.base_url,
        public_base_url=PUBLIC_BASE,
    )
    try:
        people = seed_patients(
            app.db, patients, channel="sms", address_of=lambda n: f"+1802{n:07d}", now=NOW,
            prefix="sms",
        )  # fmt: skip
        for pid, _phone in people:
            app.pipeline.start_survey(pid, "dvprs")
        config = SmsConfig.from_settings(app.settings)
        assert config is not None
        backend = Backend(app)
        sms = TwilioSmsChannel(backend, config)
        runtime = Runtime(app, [sms], backend=backend)
        validator = RequestValidator(AUTH_TOKEN)
        requests = []
        for round_ in range(per_patient):  # round after round, so answers arrive in order
            for _pid, phone in people:
                params = {
                    "MessageSid": f"SM{round_:04d}{phone[1:]:0>28}",
                    "AccountSid": ACCOUNT_SID,
                    "From": phone,
                    "To": FROM_NUMBER,
                    "Body": ("3", "seven", "my pain is 4", "2")[round_ % 4],
                    "NumMedia": "0",
                    "NumSegments": "1",
                    "ApiVersion": "2010-04-01",
                    "SmsStatus": "received",
                }
                signature = validator.compute_signature(PUBLIC_BASE + PATH, params)
                requests.append(
                    {"path": PATH, "form": params, "headers": {"X-Twilio-Signature": signature}}
                )
        async with serving(build_asgi(runtime)) as base:
            cpu_before = time.process_time()
            result = await load_from_subprocess(
                {"base_url": base, "concurrency": CONCURRENCY, "requests": requests}
            )
            server_cpu = time.process_time() - cpu_before
        await sms.stop()
    finally:
        await fake.stop()
        app.db.dispose()
    ok = result["statuses"].get("200", 0)
    if ok != len(requests):
        raise RuntimeError(f"unexpected webhook statuses: {result['statuses']}")
    latencies = result["latencies"]
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / result["elapsed"],
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "cpu_ms_per_request": server_cpu / len(latencies) * 1000,
        # Well under 100%: the rate is the server's, not the load generator's ceiling.
        "client_cpu_share": result["cpu"] / result["elapsed"],
    }


def run(url: str, *, quick: bool = False) -> list[Row]:
    patients, per_patient = (4, 2) if quick else (400, 4)
    m = asyncio.run(_measure(url, patients, per_patient))
    db = backend_name(url)
    return [
        Row(
            "SMS webhooks req/s",
            db,
            f"{m['per_second']:,.0f}/s ({m['requests']:.0f} requests, {CONCURRENCY} conns; "
            f"{m['per_second'] / TARGET_RATE:.2f}x the target; server CPU "
            f"{m['cpu_ms_per_request']:.2f} ms/request; load generator "
            f"{m['client_cpu_share']:.0%} of a core)",
            f">= {TARGET_RATE:,.0f}/s",
            m["per_second"] >= TARGET_RATE,
        ),
        Row(
            "SMS webhooks p99 latency",
            db,
            f"{m['p99_ms']:.1f} ms (p50 {m['p50_ms']:.1f} ms; "
            f"{m['p99_ms'] / TARGET_P99_MS:.2f}x the target)",
            f"< {TARGET_P99_MS:.0f} ms",
            m["p99_ms"] < TARGET_P99_MS,
        ),
    ]
