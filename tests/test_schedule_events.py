"""Moving and cancelling a session, RSVP replies through the pipeline, attendance, the scheduler."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from bot.conversation.keywords import classify
from bot.conversation.messages import Inbound
from bot.db.database import session_scope
from bot.db.models import Alert, Event, OutboxMessage, Patient, Rsvp
from bot.schedule import calendar, cohorts, rsvp
from bot.schedule.sessions import cancel_event, move_event
from bot.service.runtime import Runtime
from bot.service.scheduler import JOB_DEFAULTS, TICK_JOB_ID
from tests.schedule_support import RecordingChannel, add_patient, make_app, tick
from tests.support import FakeClock

NY = "America/New_York"


def _cohort(db_url: str, clock: FakeClock):  # type: ignore[no-untyped-def]
    app = make_app(db_url, clock)
    pids = [add_patient(app, "E001", tz=NY), add_patient(app, "E002", tz=NY, locale="es")]
    with session_scope(app.db) as s:
        c = cohorts.create_cohort(
            s, name="ev", start_date=date(2026, 11, 10), timezone=NY,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=clock(), weeks=4,
        )  # fmt: skip
        for pid in pids:
            p = s.get(Patient, pid)
            assert p is not None
            cohorts.enrol(s, c, p, clock())
        sessions = calendar.cohort_sessions(s, c.id or 0)
    return app, pids, c, sessions


def test_moved_and_cancelled_sessions_tell_everyone(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    app, pids, _c, sessions = _cohort(db_url, clock)
    channel = RecordingChannel(clock)
    new_start = sessions[1].starts_at + timedelta(days=1)
    with session_scope(app.db) as s:
        ev = s.get(Event, sessions[1].id)
        assert ev is not None
        assert move_event(s, ev, new_start, clock(), program=app.program) == 2
        gone = s.get(Event, sessions[2].id)
        assert gone is not None
        assert cancel_event(s, gone, clock(), program=app.program) == 2
    tick(app, channel)
    texts = [e.text for _, e in channel.sent]
    assert any("has moved to Wednesday, November 18" in t for t in texts)
    assert any("se canceló" in t for t in texts)
    # The moved session is reminded at its new time; the cancelled one never.
    clock.now = new_start - timedelta(minutes=59)
    tick(app, channel)
    with Session(app.db) as s:
        keys = [r.dedupe_key for r in s.exec(select(OutboxMessage)).all()]
    assert any(k.startswith(f"reminder:{sessions[1].id}:") for k in keys)
    assert not any(k.startswith(f"reminder:{sessions[2].id}:") for k in keys)
    app.db.dispose()


def test_rsvp_reply_records_not_coming_and_stops_reminders(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 9, 19, 30, tzinfo=UTC))  # after the 24 h reminder
    app, pids, _c, sessions = _cohort(db_url, clock)
    channel = RecordingChannel(clock)
    tick(app, channel)
    assert [e.kind for _, e in channel.sent].count("reminder") == 2
    with Session(app.db) as s:
        address = s.exec(
            select(OutboxMessage.address).where(OutboxMessage.patient_id == pids[0])
        ).first()
    assert classify("C") is None  # not a carrier keyword
    result = app.pipeline.handle(Inbound("sms", address or "", "m1", "C", clock()))
    assert result.status == "processed"
    clock.now = sessions[0].starts_at - timedelta(minutes=30)
    tick(app, channel)
    with Session(app.db) as s:
        answer = s.exec(select(Rsvp).where(Rsvp.patient_id == pids[0])).one()
        assert answer.response == "not_coming"
    to_first = [e for _, e in channel.sent if e.address == address]
    assert any("We will miss you on Tuesday, November 10" in e.text for e in to_first)
    assert [e.kind for e in to_first].count("reminder") == 1  # no 1 h reminder after "C"
    app.db.dispose()


def test_attendance_counts_and_two_missed_in_a_row_alert(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    app, pids, c, sessions = _cohort(db_url, clock)
    with session_scope(app.db) as s:
        assert rsvp.record_attendance(s, sessions[0], {pids[1]}, clock()) == []
        assert rsvp.record_attendance(s, sessions[1], {pids[1]}, clock()) == [pids[1]]
        assert rsvp.record_attendance(s, sessions[1], {pids[1]}, clock()) == []  # once
    with Session(app.db) as s:
        report = rsvp.attendance_report(s, c.id or 0)
        assert report.missed_by_patient == {"E001": 0, "E002": 2}
        assert [r.attended for r in report.sessions][:3] == [1, 1, None]
        alerts = s.exec(select(Alert).where(Alert.kind == "missed_sessions")).all()
        assert [a.patient_id for a in alerts] == [pids[1]]
    app.db.dispose()


def test_runtime_starts_the_tick_job_with_generous_misfire(sqlite_url: str) -> None:
    clock = FakeClock()
    app = make_app(sqlite_url, clock)

    async def run() -> None:
        runtime = Runtime(app, [])
        await runtime.start()
        scheduler = runtime._scheduler
        assert scheduler is not None
        job = scheduler.get_job(TICK_JOB_ID)
        assert job is not None and job.coalesce and job.misfire_grace_time == 3600
        await runtime.stop()

    asyncio.run(run())
    assert JOB_DEFAULTS["coalesce"] is True
    app.db.dispose()
