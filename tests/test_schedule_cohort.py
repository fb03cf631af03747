"""A whole 13-week cohort simulated with a fake clock, checked against the expected calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.db.database import session_scope
from bot.db.models import Alert, Enrolment, Event, OutboxMessage, Patient, SurveyAssignment
from bot.schedule import alumni, calendar, cohorts
from bot.schedule.localtime import shift_wall
from tests.schedule_support import RecordingChannel, add_patient, make_app, simulate_until
from tests.support import FakeClock

NY, LA = "America/New_York", "America/Los_Angeles"


def sessions_end(s: Session, cohort_id: int | None) -> datetime:
    return calendar.cohort_sessions(s, cohort_id or 0)[-1].starts_at + timedelta(days=1)


def test_thirteen_week_cohort_follows_the_calendar(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    app = make_app(sqlite_url, clock)
    channel = RecordingChannel(clock)
    ids = [add_patient(app, "P001", tz=NY), add_patient(app, "P002", tz=LA, locale="es")]
    with session_scope(app.db) as s:
        cohort = cohorts.create_cohort(
            s,
            name="Fall 2026",
            start_date=date(2026, 11, 10),
            timezone=NY,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00", location="Room 3"),
            now=clock(),
        )
        for pid in ids:
            patient = s.get(Patient, pid)
            assert patient is not None
            cohorts.enrol(s, cohort, patient, clock())
        alumni.add_rule(s, text="2nd Thursday 18:00", timezone=NY, now=clock())
        cohort_id = cohort.id
    simulate_until(app, clock, channel, datetime(2027, 3, 12, tzinfo=UTC))

    with Session(app.db) as s:
        sessions = calendar.cohort_sessions(s, cohort_id or 0)
        meetings = list(
            s.exec(
                select(Event)
                .where(Event.kind == "alumni_meeting", Event.starts_at > sessions_end(s, cohort_id))
                .order_by(col(Event.starts_at))
            )
        )
        # 13 sessions, every one at 14:00 New York time across the DST change on Nov 1.
        assert len(sessions) == 13
        assert {e.starts_at.astimezone(ZoneInfo(NY)).strftime("%a %H:%M") for e in sessions} == {
            "Tue 14:00"
        }
        assert [m.starts_at.astimezone(ZoneInfo(NY)).date() for m in meetings[:2]] == [
            date(2027, 2, 11),
            date(2027, 3, 11),
        ]
        sent = [(at, env) for at, env in channel.sent]
        rows = {r.id: r for r in s.exec(select(OutboxMessage)).all()}
        for pid in ids:
            patient = s.get(Patient, pid)
            assert patient is not None
            mine = [
                (at, rows[env.outbox_id])
                for at, env in sent
                if rows[env.outbox_id].patient_id == pid
            ]
            reminders = sorted(at for at, r in mine if r.kind == "reminder")
            expected = sorted(
                shift_wall(e.starts_at, -offset, patient.timezone)
                for e in [*sessions, *meetings[:2]]
                for offset in (1440, 60)
                if not (
                    e.kind == "alumni_meeting" and e.starts_at > datetime(2027, 3, 12, tzinfo=UTC)
                )
            )
            assert reminders == expected
            # nothing unsolicited at night in the patient's own time zone
            for at, r in mine:
                hour = at.astimezone(ZoneInfo(patient.timezone)).hour
                assert 9 <= hour < 20, (r.kind, at)
            # every DVPRS offered at its session (week 13 waits behind the post battery)
            visits = s.exec(
                select(SurveyAssignment).where(
                    SurveyAssignment.patient_id == pid, SurveyAssignment.timepoint == "visit"
                )
            ).all()
            assert sorted(v.event_id for v in visits) == sorted(e.id for e in sessions)
            for tp in ("baseline", "post"):
                battery = s.exec(
                    select(SurveyAssignment).where(
                        SurveyAssignment.patient_id == pid, SurveyAssignment.timepoint == tp
                    )
                ).all()
                assert sorted(a.instrument_id for a in battery) == [
                    "brs",
                    "cpaq8",
                    "promis29",
                    "scs_sf",
                ]
            everything = s.exec(
                select(SurveyAssignment).where(SurveyAssignment.patient_id == pid)
            ).all()
            # nobody answered; an instrument with no usable Spanish version is refused up front
            assert {a.state for a in everything} <= {"missed", "refused"}
            assert "missed" in {a.state for a in everything}
            assert all(a.nudges_sent <= 2 for a in everything)
            assert sum(1 for _, r in mine if r.kind == "nudge") >= 13
            missed_alerts = s.exec(
                select(Alert).where(Alert.patient_id == pid, Alert.kind == "missed_survey")
            ).all()
            assert len(missed_alerts) == sum(1 for a in everything if a.state == "missed")
            enrolment = s.exec(select(Enrolment).where(Enrolment.patient_id == pid)).one()
            assert enrolment.role == "alumnus" and enrolment.ended_at is not None
            assert enrolment.ended_at >= sessions[-1].starts_at
        # each message went out once
        assert len({env.outbox_id for _, env in channel.sent}) == len(channel.sent)
        spanish = [env.text for _, env in channel.sent if "grupo" in env.text]
        assert spanish and "martes" in spanish[0]
