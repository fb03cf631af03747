"""Dispatch rules (quiet hours across time zones, DST, daily cap), restarts, and two dispatchers
racing on PostgreSQL over 1,000 due messages."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db.database import make_engine, session_scope
from bot.db.models import OutboxMessage, Patient
from bot.schedule import calendar, cohorts
from bot.schedule.localtime import at_local, in_quiet_hours, shift_wall
from bot.schedule.outbox import enqueue_scheduled
from bot.service.dispatcher import SendRules, dispatch_pending
from tests.schedule_support import RecordingChannel, add_patient, make_app, tick
from tests.support import FakeClock

NY, LA = "America/New_York", "America/Los_Angeles"


def test_day_offsets_keep_the_wall_clock_across_dst() -> None:
    # Fall back (Nov 1 2026): the day-before reminder for Sunday 10:00 EST is Saturday 10:00 EDT.
    sunday = at_local(date(2026, 11, 1), "10:00", NY)
    assert shift_wall(sunday, -1440, NY) == datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
    # Spring forward (Mar 8 2026): Sunday 10:00 EDT, the day before at 10:00 EST.
    spring = at_local(date(2026, 3, 8), "10:00", NY)
    assert shift_wall(spring, -1440, NY) == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    assert shift_wall(spring, -60, NY) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)


def test_weekly_sessions_stay_at_local_time_over_dst(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 10, 1, tzinfo=UTC))
    app = make_app(sqlite_url, clock)
    with session_scope(app.db) as s:
        c = cohorts.create_cohort(
            s, name="c", start_date=date(2026, 10, 20), timezone=NY,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=clock(), weeks=3,
        )  # fmt: skip
        starts = [e.starts_at for e in calendar.cohort_sessions(s, c.id or 0)]
    assert [t.hour for t in starts] == [18, 18, 19]  # 14:00 EDT twice, then 14:00 EST


def test_quiet_hours_hold_until_local_morning_in_each_zone(sqlite_url: str) -> None:
    # 02:30 UTC = 22:30 in New York, 19:30 in Los Angeles.
    clock = FakeClock(datetime(2026, 11, 3, 2, 30, tzinfo=UTC))
    app = make_app(sqlite_url, clock)
    channel = RecordingChannel(clock)
    ny, la = add_patient(app, "Q001", tz=NY), add_patient(app, "Q002", tz=LA)
    with session_scope(app.db) as s:
        for pid in (ny, la):
            patient = s.get(Patient, pid)
            assert patient is not None
            enqueue_scheduled(
                s, patient=patient, kind="reminder", text="hi", key=f"t:{pid}:0", now=clock()
            )
    asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock(), rules=SendRules()))
    assert len(channel.sent) == 1  # Los Angeles only; New York is at night
    with Session(app.db) as s:
        held = s.exec(select(OutboxMessage).where(OutboxMessage.patient_id == ny)).one()
        assert held.status == "pending"
        assert held.not_before == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # 09:00 EST
    clock.now = held.not_before
    asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock(), rules=SendRules()))
    assert len(channel.sent) == 2
    assert not in_quiet_hours(channel.sent[1][0], NY, 20, 9)


def test_replies_and_crisis_are_never_held_and_the_daily_cap_defers(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))  # 10:00 in New York
    app = make_app(sqlite_url, clock)
    channel = RecordingChannel(clock)
    pid = add_patient(app, "K001", tz=NY)
    with session_scope(app.db) as s:
        patient = s.get(Patient, pid)
        assert patient is not None
        for n in range(5):
            enqueue_scheduled(
                s, patient=patient, kind="reminder", text=f"r{n}", key=f"cap:{n}:0", now=clock()
            )
    asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock(), rules=SendRules()))
    assert [e.text for _, e in channel.sent] == ["r0", "r1", "r2"]
    clock.now = datetime(2026, 11, 4, 14, 0, tzinfo=UTC)  # next morning 09:00
    asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock(), rules=SendRules()))
    assert [e.text for _, e in channel.sent][3:] == ["r3", "r4"]


def test_restart_with_due_messages_sends_each_once(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    app = make_app(sqlite_url, clock)
    pids = [add_patient(app, f"R00{n}", tz=NY) for n in range(3)]
    with session_scope(app.db) as s:
        c = cohorts.create_cohort(
            s, name="r", start_date=date(2026, 11, 10), timezone=NY,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=clock(), weeks=2,
        )  # fmt: skip
        for pid in pids:
            p = s.get(Patient, pid)
            assert p is not None
            cohorts.enrol(s, c, p, clock())
        first, second = calendar.cohort_sessions(s, c.id or 0)
    # Stopped from before the first 24 h reminder until 30 minutes before the session.
    clock.now = first.starts_at - timedelta(minutes=30)
    app.db.dispose()
    app2 = make_app(sqlite_url, clock)
    channel = RecordingChannel(clock)
    tick(app2, channel)
    tick(app2, channel)
    reminders = [e for _, e in channel.sent if e.kind == "reminder"]
    assert len(reminders) == 3  # the 1 h one, once each; the stale 24 h one recorded as dropped
    # Down again over the whole second session: its reminders are dropped, never sent late.
    clock.now = second.starts_at + timedelta(hours=2)
    app3 = make_app(sqlite_url, clock)
    tick(app3, channel)
    assert len([e for _, e in channel.sent if e.kind == "reminder"]) == 3
    with Session(app3.db) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        assert sorted(r.error_code or r.status for r in rows) == sorted(
            ["superseded"] * 3 + ["sent"] * 3 + ["session_passed"] * 6
        )


@pytest.mark.postgres
def test_two_dispatchers_race_over_a_thousand_messages(postgres_url: str) -> None:
    clock = FakeClock()
    app = make_app(postgres_url, clock)
    with session_scope(app.db) as s:
        for n in range(1000):
            s.add(
                OutboxMessage(
                    dedupe_key=f"race:{n}:0", channel="sms", address=f"a{n % 50}", kind="reply",
                    body=str(n), not_before=clock(), created_at=clock(),
                )
            )  # fmt: skip
    app.db.dispose()
    channel = RecordingChannel(clock)
    lock = threading.Lock()
    sent_by: dict[str, list[int]] = {"A": [], "B": []}

    class Shared(RecordingChannel):
        async def send(self, message):  # type: ignore[no-untyped-def]
            with lock:
                sent_by[threading.current_thread().name].append(int(message.text))
            await asyncio.sleep(0)
            return await super().send(message)

    shared = Shared(clock)

    def worker() -> None:
        engine = make_engine(postgres_url)
        try:
            for _ in range(200):
                asyncio.run(dispatch_pending(engine, {"sms": shared}, clock(), batch_size=25))
                with Session(engine) as s:
                    left = s.exec(
                        select(OutboxMessage.id).where(OutboxMessage.status != "sent")
                    ).first()
                if left is None:
                    return
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, name=n) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = sent_by["A"] + sent_by["B"]
    assert sorted(everything) == list(range(1000))  # each exactly once
    assert sent_by["A"] and sent_by["B"]  # both did work
    for address in range(50):  # and each address heard its messages in order
        order = [int(e.text) for _, e in shared.sent if e.address == f"a{address}"]
        assert order == sorted(order)
    del channel
