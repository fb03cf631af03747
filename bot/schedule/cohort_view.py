"""Cohorts as staff read them: the list, a cohort's calendar with attendance, one session's
attendance sheet. Read-only views over bot/schedule's tables; every change goes through
bot/schedule (cohorts, sessions, rsvp, alumni), as `pathbot cohort|event|attendance` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from bot.db.models import Cohort, Enrolment, Event, Patient, Rsvp
from bot.schedule import alumni, rsvp
from bot.schedule.calendar import cohort_sessions, week_of
from bot.schedule.outbox import participants


@dataclass(frozen=True)
class CohortRow:
    id: int
    name: str
    start_date: date
    weeks: int
    timezone: str
    participants: int
    alumni: int
    next_session: datetime | None


@dataclass(frozen=True)
class SessionRow:
    event: Event
    week: int | None
    expected: int | None  # participants minus "can't come"; None for a cancelled session
    attended: int | None  # None until staff record it
    begun: bool


@dataclass(frozen=True)
class SheetRow:
    patient_id: int
    study_id: str
    name: str | None
    not_coming: bool  # they replied that they cannot come
    attended: bool | None  # None: not recorded yet


def list_cohorts(session: Session, now: datetime) -> list[CohortRow]:
    counts: dict[tuple[int, str], int] = {
        (cid, role): n
        for cid, role, n in session.exec(
            select(Enrolment.cohort_id, Enrolment.role, func.count()).group_by(
                col(Enrolment.cohort_id), col(Enrolment.role)
            )
        ).all()
    }
    upcoming = dict(
        session.exec(
            select(Event.cohort_id, func.min(Event.starts_at))
            .where(Event.kind == "session", Event.status != "cancelled", Event.starts_at > now)
            .group_by(col(Event.cohort_id))
        ).all()
    )
    return [
        CohortRow(
            c.id or 0,
            c.name,
            c.start_date,
            c.weeks,
            c.timezone,
            counts.get((c.id or 0, "participant"), 0),
            counts.get((c.id or 0, "alumnus"), 0),
            upcoming.get(c.id),
        )  # fmt: skip
        for c in session.exec(select(Cohort).order_by(col(Cohort.start_date).desc())).all()
    ]


def calendar(session: Session, cohort: Cohort, now: datetime) -> list[SessionRow]:
    """Every session, cancelled ones included, with expected and recorded attendance."""
    report = {r.event.id: r for r in rsvp.attendance_report(session, cohort.id or 0).sessions}
    rows = []
    for event in cohort_sessions(session, cohort.id or 0):
        held = report.get(event.id)
        rows.append(
            SessionRow(
                event=event,
                week=week_of(session, event.id or 0),
                expected=held.expected if held else None,
                attended=held.attended if held else None,
                begun=event.starts_at <= now,
            )
        )
    return rows


def attendance_sheet(session: Session, event: Event, *, with_names: bool) -> list[SheetRow]:
    """The cohort's current participants (those rsvp.record_attendance marks) for one session."""
    assert event.cohort_id is not None
    answers = {
        r.patient_id: r for r in session.exec(select(Rsvp).where(Rsvp.event_id == event.id)).all()
    }
    rows = []
    for patient in participants(session, event.cohort_id):
        pid = patient.id or 0
        answer = answers.get(pid)
        rows.append(
            SheetRow(
                pid,
                patient.study_id,
                patient.display_name if with_names else None,
                answer is not None and answer.response == "not_coming",
                answer.attended if answer is not None else None,
            )  # fmt: skip
        )
    rows.sort(key=lambda r: r.study_id)
    return rows


def patient_ids(session: Session, study_ids: list[str]) -> dict[str, int]:
    return {
        s: pid
        for pid, s in session.exec(
            select(Patient.id, Patient.study_id).where(col(Patient.study_id).in_(study_ids))
        ).all()
        if pid is not None
    }


@dataclass(frozen=True)
class AlumniRuleRow:
    id: int
    text: str
    timezone: str
    minutes: int
    location: str | None
    active: bool
    created_at: datetime


def alumni_rules(session: Session) -> list[AlumniRuleRow]:
    return [
        AlumniRuleRow(r.id or 0, r.text, r.timezone, r.minutes, r.location, r.active, r.created_at)
        for r in alumni.rules(session)
    ]
