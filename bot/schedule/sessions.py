"""Moving or cancelling one session (or alumni meeting), and telling everyone it concerns.

The event change, the cancelled reminders and every patient's notice are written in the caller's
transaction, so a crash cannot leave patients uninformed about a change that was saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.conversation.clinic_texts import ProgramInfo
from bot.conversation.i18n import translator
from bot.db.models import Cohort, Event, Patient
from bot.schedule import plan
from bot.schedule.outbox import audience, enqueue_scheduled, reachable_identity
from bot.schedule.reminders import cancel_pending_reminders, place_text, when_text


class EventChangeError(ValueError):
    """The change makes no sense (the event is cancelled, or is already over)."""


@dataclass(frozen=True)
class Notice:
    """One patient's notice of a changed event: what they will read, and where (None: nowhere)."""

    patient: Patient
    channel: str | None  # the channel it goes to; None when the patient cannot be reached
    text: str
    key: str


def check_move(event: Event, new_start: datetime, now: datetime) -> None:
    """Raise EventChangeError when `event` cannot move to `new_start`."""
    if event.status == "cancelled":
        raise EventChangeError(f"event {event.id} is cancelled")
    if new_start <= now:
        raise EventChangeError("the new time has already passed")


def check_cancel(event: Event, now: datetime) -> None:
    """Raise EventChangeError when `event` cannot be cancelled (it is already under way)."""
    if event.status != "cancelled" and event.starts_at <= now:
        raise EventChangeError("the event has already begun")


def move_notices(
    session: Session, event: Event, new_start: datetime, *, program: ProgramInfo
) -> list[Notice]:
    """Who a move tells and what, worked out before anything changes (the console's preview
    shows exactly this list; move_event sends it)."""
    notices: list[Notice] = []
    stamp = new_start.strftime("%Y%m%dT%H%MZ")
    for patient in audience(session, event):
        tr = translator(patient.locale)
        template = (
            tr.gettext("{program}: your group on {old} has moved to {new}.")
            if event.kind == "session"
            else tr.gettext("{program}: the alumni meeting on {old} has moved to {new}.")
        )
        text = template.format(
            program=program.name_in(tr.code),
            old=when_text(event.starts_at, patient, tr),
            new=when_text(new_start, patient, tr),
        )
        place = place_text(event, tr, program)
        notices.append(
            _notice(
                session,
                patient,
                f"{text}\n{place}" if place else text,
                f"notice:{event.id}:{patient.id}:moved:{stamp}:0",
            )  # fmt: skip
        )
    return notices


def cancel_notices(session: Session, event: Event, *, program: ProgramInfo) -> list[Notice]:
    """Who a cancellation tells and what (the preview's list; cancel_event sends it)."""
    if event.status == "cancelled":
        return []
    notices: list[Notice] = []
    for patient in audience(session, event):
        tr = translator(patient.locale)
        template = (
            tr.gettext("{program}: your group on {when} is cancelled.")
            if event.kind == "session"
            else tr.gettext("{program}: the alumni meeting on {when} is cancelled.")
        )
        text = template.format(
            program=program.name_in(tr.code), when=when_text(event.starts_at, patient, tr)
        )
        notices.append(
            _notice(session, patient, text, f"notice:{event.id}:{patient.id}:cancelled:0")
        )
    return notices


def _notice(session: Session, patient: Patient, text: str, key: str) -> Notice:
    identity = reachable_identity(session, patient)
    return Notice(patient, identity.channel if identity else None, text, key)


def move_event(
    session: Session, event: Event, new_start: datetime, now: datetime, *, program: ProgramInfo
) -> int:
    """Move an event to `new_start`; returns how many patients were told."""
    check_move(event, new_start, now)
    notices = move_notices(session, event, new_start, program=program)
    length = (event.ends_at - event.starts_at) if event.ends_at else timedelta(minutes=90)
    event.starts_at = new_start
    event.ends_at = new_start + length
    event.status = "moved"
    session.add(event)
    cancel_pending_reminders(session, _id(event.id))
    timezone = _timezone(session, event)
    plan.reschedule_event_surveys(session, event, timezone)
    _retime_battery(session, event, now)
    told = _send(session, notices, now, expires_at=new_start)
    session.flush()
    return told


def cancel_event(session: Session, event: Event, now: datetime, *, program: ProgramInfo) -> int:
    """Cancel an event; returns how many patients were told."""
    if event.status == "cancelled":
        return 0
    check_cancel(event, now)
    notices = cancel_notices(session, event, program=program)
    event.status = "cancelled"
    session.add(event)
    cancel_pending_reminders(session, _id(event.id))
    plan.cancel_event_surveys(session, event)
    _retime_battery(session, event, now)
    told = _send(session, notices, now, expires_at=event.starts_at)
    session.flush()
    return told


def _send(session: Session, notices: list[Notice], now: datetime, *, expires_at: datetime) -> int:
    told = 0
    for notice in notices:
        if enqueue_scheduled(
            session, patient=notice.patient, kind="notice", text=notice.text, key=notice.key,
            now=now, expires_at=expires_at,
        ):  # fmt: skip
            told += 1
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
