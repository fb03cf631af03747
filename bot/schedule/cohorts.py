"""Cohorts: create one with its weekly sessions, enrol patients, graduate them to alumni."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.db.models import Cohort, Enrolment, Event, Patient
from bot.db.schedule_models import EventOccurrence
from bot.schedule import plan
from bot.schedule.calendar import cohort_sessions
from bot.schedule.localtime import at_local, parse_clock

DEFAULT_WEEKS = 13


@dataclass(frozen=True)
class WeeklyRule:
    """The weekly group session: weekday (0 = Monday), local time, length, place and/or link."""

    weekday: int
    time: str  # "14:00" in the cohort's time zone
    minutes: int = 90
    location: str | None = None
    video_link: str | None = None


def create_cohort(
    session: Session,
    *,
    name: str,
    start_date: date,
    timezone: str,
    rule: WeeklyRule,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    survey_plan: plan.PlanOptions | None = None,
) -> Cohort:
    """Store the cohort with its sessions and survey plan, in the caller's transaction."""
    ZoneInfo(timezone)  # raises for an unknown zone before anything is written
    parse_clock(rule.time)
    if not 0 <= rule.weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    cohort = Cohort(
        name=name,
        start_date=start_date,
        weeks=weeks,
        timezone=timezone,
        session_weekday=rule.weekday,
        session_time=rule.time,
        session_minutes=rule.minutes,
        location=rule.location,
        video_link=rule.video_link,
        created_at=now,
    )
    session.add(cohort)
    session.flush()
    materialise_sessions(session, cohort, now)
    plan.create_plan(session, cohort, survey_plan or plan.PlanOptions())
    return cohort


def session_dates(cohort: Cohort) -> list[date]:
    """The local dates of the weekly sessions: the first rule weekday on or after the start."""
    assert cohort.session_weekday is not None
    first = cohort.start_date + timedelta(
        days=(cohort.session_weekday - cohort.start_date.weekday()) % 7
    )
    return [first + timedelta(weeks=week) for week in range(cohort.weeks)]


def materialise_sessions(session: Session, cohort: Cohort, now: datetime) -> list[Event]:
    """One Event per week, each at the rule's local wall time on its own date (DST-safe)."""
    cohort_id = _id(cohort.id)
    assert cohort.session_time is not None
    made: list[Event] = []
    for week, day in enumerate(session_dates(cohort), start=1):
        key = f"cohort:{cohort_id}:week:{week}"
        if session.exec(select(EventOccurrence.id).where(EventOccurrence.key == key)).first():
            continue
        starts = at_local(day, cohort.session_time, cohort.timezone)
        event = Event(
            kind="session",
            cohort_id=cohort_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=cohort.session_minutes),
            location=cohort.location,
            video_link=cohort.video_link,
            created_at=now,
        )
        session.add(event)
        session.flush()
        session.add(EventOccurrence(key=key, event_id=_id(event.id), sequence=week))
        made.append(event)
    session.flush()
    return made


class EnrolmentRefused(ValueError):
    """The enrolment would plan nothing (the cohort is over) and was not asked for as such."""


def enrol(
    session: Session,
    cohort: Cohort,
    patient: Patient,
    now: datetime,
    *,
    retrospective: bool = False,
) -> Enrolment:
    """Add a patient to a cohort and plan every survey of their enrolment.

    A cohort that has ended is refused unless `retrospective`: then the enrolment is recorded
    with its surveys planned as missed, for paper forms to fulfil.
    """
    existing = session.exec(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort.id, Enrolment.patient_id == patient.id
        )
    ).first()
    if existing is not None:
        return existing
    ended = cohort_end(session, cohort)
    if ended <= now and not retrospective:
        raise EnrolmentRefused(
            f"cohort {cohort.name} ended on {ended:%Y-%m-%d}: enrolling now plans no survey; "
            "use --retrospective to record a past enrolment (its surveys are planned as "
            "missed, for paper forms to fulfil)"
        )
    enrolment = Enrolment(cohort_id=_id(cohort.id), patient_id=_id(patient.id), enrolled_at=now)
    session.add(enrolment)
    session.flush()
    plan.assign_for_participant(session, cohort, patient, now, retrospective=ended <= now)
    return enrolment


def cohort_end(session: Session, cohort: Cohort) -> datetime:
    """When the cohort is over: the end of its last session that was not cancelled."""
    sessions = cohort_sessions(session, _id(cohort.id), include_cancelled=False)
    if sessions:
        last = sessions[-1]
        return last.ends_at or last.starts_at
    end_day = cohort.start_date + timedelta(weeks=cohort.weeks)
    return at_local(end_day, "00:00", cohort.timezone)


def graduate(session: Session, cohort: Cohort, now: datetime) -> list[Patient]:
    """Make the cohort's participants alumni and assign their alumni follow-ups."""
    graduates: list[Patient] = []
    for enrolment in session.exec(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort.id,
            Enrolment.role == "participant",
            col(Enrolment.ended_at).is_(None),
        )
    ).all():
        enrolment.role = "alumnus"
        enrolment.ended_at = now
        session.add(enrolment)
        patient = session.get(Patient, enrolment.patient_id)
        if patient is not None:
            plan.assign_for_graduate(session, cohort, patient, now)
            graduates.append(patient)
    session.flush()
    return graduates


def graduate_finished_cohorts(session: Session, now: datetime) -> int:
    """Graduate every cohort whose last session has ended; returns how many patients moved."""
    moved = 0
    active_cohorts = session.exec(
        select(Cohort).where(
            col(Cohort.id).in_(
                select(Enrolment.cohort_id).where(
                    Enrolment.role == "participant", col(Enrolment.ended_at).is_(None)
                )
            )
        )
    ).all()
    for cohort in active_cohorts:
        if cohort_end(session, cohort) <= now:
            moved += len(graduate(session, cohort, now))
    return moved


def find_cohort(session: Session, name_or_id: str) -> Cohort | None:
    if name_or_id.isdigit():
        found = session.get(Cohort, int(name_or_id))
        if found is not None:
            return found
    return session.exec(select(Cohort).where(Cohort.name == name_or_id)).first()


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id yet; flush the session first")
    return value
