"""Session and alumni-meeting reminders at configurable offsets, in the patient's own time.

Reminder times are computed on the patient's local wall clock ("the day before at 14:00" stays
14:00 across a DST change). A reminder that comes due after its session has begun (the server
was down) is recorded as dropped, never sent; when several offsets come due at once, only the
nearest is sent, so a restart causes no burst of stale reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_day_names
from sqlmodel import Session, col, select

from bot.db.models import Event, OutboxMessage, Patient, Rsvp
from bot.i18n import Translator, translator
from bot.schedule.localtime import shift_wall
from bot.schedule.outbox import audience, enqueue_scheduled

DEFAULT_OFFSETS_MINUTES: tuple[int, ...] = (24 * 60, 60)
# How far back a tick looks for reminders it never materialised (downtime longer than this
# leaves no dropped-reminder record, which is harmless).
LOOKBACK = timedelta(days=7)
REMINDED_KINDS = ("session", "alumni_meeting")


def reminder_key(event: Event, patient_id: int, offset_minutes: int) -> str:
    """One key per event, patient, offset and start time: a moved session is reminded afresh."""
    stamp = event.starts_at.strftime("%Y%m%dT%H%MZ")
    return f"reminder:{event.id}:{patient_id}:{offset_minutes}:{stamp}:0"


def materialise_reminders(
    session: Session,
    now: datetime,
    *,
    program: str,
    offsets_minutes: Sequence[int] = DEFAULT_OFFSETS_MINUTES,
) -> int:
    """Write every reminder that has come due into the outbox; returns how many will be sent."""
    if not offsets_minutes:
        return 0
    horizon = timedelta(minutes=max(offsets_minutes) + 24 * 60)  # wall-time slack for DST
    events = session.exec(
        select(Event).where(
            col(Event.kind).in_(REMINDED_KINDS),
            Event.status != "cancelled",
            Event.starts_at > now - LOOKBACK,
            Event.starts_at <= now + horizon,
        )
    ).all()
    queued = 0
    for event in events:
        for patient in audience(session, event):
            queued += _remind(session, event, patient, now, program, offsets_minutes)
    return queued


def _remind(
    session: Session,
    event: Event,
    patient: Patient,
    now: datetime,
    program: str,
    offsets_minutes: Sequence[int],
) -> int:
    patient_id = patient.id
    assert patient_id is not None
    if _not_coming(session, event, patient_id):
        return 0
    due = sorted(
        (o for o in offsets_minutes if shift_wall(event.starts_at, -o, patient.timezone) <= now),
        reverse=True,
    )
    queued = 0
    for offset in due:
        key = reminder_key(event, patient_id, offset)
        if event.starts_at <= now:
            reason: str | None = "session_passed"
        elif offset != due[-1]:
            reason = "superseded"  # a nearer reminder is due too: send only that one
        else:
            reason = None
        row = enqueue_scheduled(
            session,
            patient=patient,
            kind="reminder",
            text=reminder_text(event, patient, program),
            key=key,
            now=now,
            expires_at=event.starts_at,
            status="dropped" if reason else "pending",
            error_code=reason,
        )
        if row is not None and reason is None:
            queued += 1
    return queued


def _not_coming(session: Session, event: Event, patient_id: int) -> bool:
    rsvp = session.exec(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.patient_id == patient_id)
    ).first()
    return rsvp is not None and rsvp.response == "not_coming"


def cancel_pending_reminders(session: Session, event_id: int, patient_id: int | None = None) -> int:
    """Cancel reminders not yet sent for an event (moved, cancelled, or the patient can't come)."""
    prefix = f"reminder:{event_id}:" + (f"{patient_id}:" if patient_id is not None else "")
    rows = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith(prefix),
            col(OutboxMessage.status).in_(("pending",)),
        )
    ).all()
    for row in rows:
        row.status = "cancelled"
        session.add(row)
    return len(rows)


def when_text(instant: datetime, patient: Patient, tr: Translator) -> str:
    """ "Tuesday, November 3 at 2:00 PM" in the patient's language and time zone."""
    zone = ZoneInfo(patient.timezone)
    local = instant.astimezone(zone)
    weekday = get_day_names("wide", locale=tr.locale)[local.weekday()]
    day = f"{weekday}, " + format_skeleton("MMMMd", instant, tzinfo=zone, locale=tr.locale)
    clock = format_time(instant, format="short", tzinfo=zone, locale=tr.locale)
    return tr.gettext("{day} at {time}").format(day=day, time=clock)


def place_text(event: Event, tr: Translator) -> str:
    parts: list[str] = []
    if event.location:
        parts.append(tr.gettext("Place: {place}.").format(place=event.location))
    if event.video_link:
        parts.append(tr.gettext("Video: {link}").format(link=event.video_link))
    return " ".join(parts)


def reminder_text(event: Event, patient: Patient, program: str) -> str:
    """No health detail: lock screens are public (PRIV-01)."""
    tr = translator(patient.locale)
    when = when_text(event.starts_at, patient, tr)
    if event.kind == "alumni_meeting":
        head = tr.gettext("{program}: reminder, the alumni group meets {when}.")
    else:
        head = tr.gettext("{program}: reminder, your group meets {when}.")
    lines = [head.format(program=program, when=when)]
    place = place_text(event, tr)
    if place:
        lines.append(place)
    lines.append(
        tr.gettext("Reply {cant} if you can't come. Reply {stop} to end texts.").format(
            cant=tr.gettext("C"), stop=tr.gettext("STOP")
        )
    )
    return "\n".join(lines)
