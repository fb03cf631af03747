"""Moving or cancelling one session (or alumni meeting), and telling everyone it concerns.

The event change, the cancelled reminders and every patient's notice are written in the caller's
transaction, so a crash cannot leave patients uninformed about a change that was saved.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.conversation.i18n import translator
from bot.db.models import Cohort, Event
from bot.schedule import plan
from bot.schedule.outbox import audience, enqueue_scheduled
from bot.schedule.reminders import cancel_pending_reminders, place_text, when_text


class EventChangeError(ValueError):
    """The change makes no sense (the event is cancelled, or is already over)."""


def move_event(
    session: Session, event: Event, new_start: datetime, now: datetime, *, program: str
) -> int:
    """Move an event to `new_start`; returns how many patients were told."""
    if event.status == "cancelled":
        raise EventChangeError(f"event {event.id} is cancelled")
    if new_start <= now:
        raise EventChangeError("the new time has already passed")
    old_start = event.starts_at
    length = (event.ends_at - event.starts_at) if event.ends_at else timedelta(minutes=90)
    event.starts_at = new_start
    event.ends_at = new_start + length
    event.status = "moved"
    session.add(event)
    cancel_pending_reminders(session, _id(event.id))
    timezone = _timezone(session, event)
    plan.reschedule_event_surveys(session, event, timezone)
    _retime_battery(session, event, now)
    told = 0
    for patient in audience(session, event):
        tr = translator(patient.locale)
        template = (
            tr.gettext("{program}: your group on {old} has moved to {new}.")
            if event.kind == "session"
            else tr.gettext("{program}: the alumni meeting on {old} has moved to {new}.")
        )
        text = template.format(
            program=program,
            old=when_text(old_start, patient, tr),
            new=when_text(new_start, patient, tr),
        )
        place = place_text(event, tr)
        stamp = new_start.strftime("%Y%m%dT%H%MZ")
        if enqueue_scheduled(
            session,
            patient=patient,
            kind="notice",
            text=f"{text}\n{place}" if place else text,
            key=f"notice:{event.id}:{patient.id}:moved:{stamp}:0",
            now=now,
            expires_at=new_start,
        ):
            told += 1
    session.flush()
    return told


def cancel_event(session: Session, event: Event, now: datetime, *, program: str) -> int:
    """Cancel an event; returns how many patients were told."""
    if event.status == "cancelled":
        return 0
    if event.starts_at <= now:
        raise EventChangeError("the event has already begun")
    event.status = "cancelled"
    session.add(event)
    cancel_pending_reminders(session, _id(event.id))
    plan.cancel_event_surveys(session, event)
    _retime_battery(session, event, now)
    told = 0
    for patient in audience(session, event):
        tr = translator(patient.locale)
        template = (
            tr.gettext("{program}: your group on {when} is cancelled.")
            if event.kind == "session"
            else tr.gettext("{program}: the alumni meeting on {when} is cancelled.")
        )
        text = template.format(program=program, when=when_text(event.starts_at, patient, tr))
        if enqueue_scheduled(
            session,
            patient=patient,
            kind="notice",
            text=text,
            key=f"notice:{event.id}:{patient.id}:cancelled:0",
            now=now,
            expires_at=event.starts_at,
        ):
            told += 1
    session.flush()
    return told


def _retime_battery(session: Session, event: Event, now: datetime) -> None:
    """A moved or cancelled first/last session moves the baseline/post windows tied to it."""
    if event.kind == "session" and event.cohort_id is not None:
        session.flush()
        cohort = session.get(Cohort, event.cohort_id)
        if cohort is not None:
            plan.retime_for_calendar(session, cohort, now)


def _timezone(session: Session, event: Event) -> str:
    if event.cohort_id is not None:
        cohort = session.get(Cohort, event.cohort_id)
        if cohort is not None:
            return cohort.timezone
    return "UTC"


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id yet; flush the session first")
    return value
