"""Fan-out: 10,000 due session reminders into the outbox, then sent at the configured SMS rate.

A cohort of 10,000 SMS patients has a session tomorrow; the scheduler's reminder step
(`bot.schedule.reminders.materialise_reminders`, as run by the due-work tick) writes one
reminder per patient in one transaction: that is timed. Then the real dispatcher sends the
first few seconds' worth through the real Twilio client to the fake Twilio with
`sms_messages_per_second` pacing, and the achieved rate is read from the fake's request times.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import Engine, insert

from benchmarks.common import NOW, Row, backend_name, bench_app
from benchmarks.seed import seed_patients
from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.conversation.segments import segment_count
from bot.db.database import session_scope
from bot.db.models import Cohort, Enrolment, Event
from bot.schedule.reminders import materialise_reminders
from bot.service.backend import Backend
from bot.service.dispatcher import SendRules, dispatch_pending
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "6" * 32
AUTH_TOKEN = "bench-" + "b2" * 13
TARGET_SECONDS = 2.0
RATE = 20.0  # sms_messages_per_second: the pacer counts segments
RATE_TOLERANCE = 0.05  # "exactly": within 5 % of the configured rate
SEND_SECONDS = 4.0


def _cohort(db: Engine, patient_ids: list[int]) -> None:
    with db.begin() as conn:
        cohort_id = conn.execute(
            insert(Cohort).returning(Cohort.id),  # type: ignore[arg-type]
            [{"name": "bench", "start_date": NOW.date(), "weeks": 13,
              "timezone": "America/New_York", "session_minutes": 90, "created_at": NOW}],
        ).scalar_one()  # fmt: skip
        conn.execute(
            insert(Enrolment),
            [{"cohort_id": cohort_id, "patient_id": pid, "role": "participant",
              "enrolled_at": NOW} for pid in patient_ids],
        )  # fmt: skip
        # Tomorrow +30 min: only the day-before reminder (24 h) is due now.
        conn.execute(
            insert(Event),
            [{"kind": "session", "cohort_id": cohort_id,
              "starts_at": NOW + timedelta(days=1, minutes=-30), "status": "scheduled",
              "created_at": NOW}],
        )  # fmt: skip


async def _send(app: object, fake: FakeTwilio, seconds: float) -> tuple[int, float, float]:
    from bot.service.app import App

    assert isinstance(app, App)
    config = SmsConfig.from_settings(app.settings)
    assert config is not None
    sms = TwilioSmsChannel(Backend(app), config)
    rules = SendRules.from_settings(app.settings)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await dispatch_pending(app.db, {"sms": sms}, NOW, rules=rules, batch_size=int(RATE))
    await sms.stop()
    # Pacing is in segments (what carriers count): a reminder whose date has a narrow
    # no-break space is UCS-2 and takes two. Rate = segments sent after the first send,
    # over the time from the first send to the last.
    sends = [r for r in fake.requests if r.status == 201]
    if len(sends) < 2:
        return len(sends), 0.0, 0.0
    span = sends[-1].at - sends[0].at
    segments = sum(segment_count(r.form.get("Body", "")) for r in sends[1:])
    return len(sends), segments / span, (len(sends) - 1) / span


def measure(url: str, patients: int, send_seconds: float) -> dict[str, float]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(fake.start())
    app = bench_app(
        url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+18025550199",
        twilio_api_base_url=fake.base_url,
        sms_messages_per_second=RATE,
    )
    try:
        people = seed_patients(
            app.db, patients, channel="sms", address_of=lambda n: f"+1803{n:07d}", now=NOW,
            prefix="fan",
        )  # fmt: skip
        _cohort(app.db, [pid for pid, _ in people])
        t0 = time.perf_counter()
        with session_scope(app.db) as session:
            queued = materialise_reminders(session, NOW, program=app.program)
        seconds = time.perf_counter() - t0
        if queued != patients:
            raise RuntimeError(f"{queued} reminders queued for {patients} patients")
        sent, rate, messages = loop.run_until_complete(_send(app, fake, send_seconds))
    finally:
        loop.run_until_complete(fake.stop())
        loop.close()
        app.db.dispose()
    return {"queued": queued, "seconds": seconds, "sent": sent, "rate": rate, "messages": messages}


def run(url: str, *, quick: bool = False) -> list[Row]:
    m = measure(url, 20, 0.3) if quick else measure(url, 10_000, SEND_SECONDS)
    db = backend_name(url)
    low, high = RATE * (1 - RATE_TOLERANCE), RATE * (1 + RATE_TOLERANCE)
    return [
        Row(
            "fan-out: reminders to outbox",
            db,
            f"{m['queued']:,.0f} in {m['seconds']:.2f} s",
            f"10,000 in < {TARGET_SECONDS:.0f} s",
            m["queued"] >= 10_000 and m["seconds"] < TARGET_SECONDS,
        ),
        Row(
            "fan-out: SMS send rate",
            db,
            f"{m['rate']:.2f} segments/s ({m['messages']:.2f} msg/s, {m['sent']:.0f} sent)",
            f"{RATE:.0f}/s configured +-{RATE_TOLERANCE:.0%}",
            low <= m["rate"] <= high,
        ),
    ]
