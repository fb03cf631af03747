"""Which surveys get a phone call now: the second tier after text, and the staff "to call" list.

Tiers (per program, from the settings): a survey is offered by text first; when it is still not
answered `fallback_after_hours` after it opened, a patient with an active voice line is called
(at once for a patient whose preferred channel is voice), inside their calling hours in their
own time zone (zoneinfo: daylight saving time included), at most `max_attempts` times, at least
`retry_minutes` apart. A survey still open after the last attempt is on the staff "to call" list
(`to_call`), as is one whose patient has no voice line at all once it is overdue by text, and one
whose patient's language the call cannot speak (no phone script, or the clinic's recordings are
incomplete): that patient is not called.

A call to place is an outbox row of kind "call" on the voice channel (dedupe key
"call:<assignment>:<attempt>"), so the dispatcher's rules apply to it as to any unsolicited
message (opt-out, a stopped voice line, quiet hours, the daily cap) and the voice channel places
it; its body is empty (it is never shown or said).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db.models import ChannelIdentity, OutboxMessage, Patient, SurveyAssignment

CHANNEL = "voice"
CALL_KIND = "call"
OPEN_STATES = ("pending", "in_progress")


@dataclass(frozen=True)
class CallRules:
    fallback_after_hours: float = 24.0
    max_attempts: int = 3
    retry_minutes: int = 120
    calling_start_hour: int = 10  # local: the first hour a call may be placed
    calling_end_hour: int = 19  # local: no call from this hour on
    # The languages a call can be held in (a phone script, or the clinic's complete recordings:
    # bot/service/voice/phone_words.py); None = not restricted. A patient in any other language
    # is not called (the call could only say, in English, that nothing is due) but put on the
    # staff "to call" list.
    phone_locales: frozenset[str] | None = None

    def can_call_in(self, locale: str) -> bool:
        return self.phone_locales is None or locale in self.phone_locales

    def __post_init__(self) -> None:
        if not 0 <= self.calling_start_hour < self.calling_end_hour <= 24:
            raise ValueError("calling hours must be a daytime window, start before end")


def in_calling_hours(instant: datetime, timezone: str, rules: CallRules) -> bool:
    """True when the patient's local wall-clock hour is inside [start, end)."""
    hour = instant.astimezone(ZoneInfo(timezone)).hour
    return rules.calling_start_hour <= hour < rules.calling_end_hour


def calling_window_end(instant: datetime, timezone: str, rules: CallRules) -> datetime:
    """When today's calling hours end, local time, as an instant (a held call expires then)."""
    zone = ZoneInfo(timezone)
    day = instant.astimezone(zone).date()
    if rules.calling_end_hour == 24:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, time(rules.calling_end_hour), tzinfo=zone)


def plan_calls(session: Session, now: datetime, rules: CallRules) -> int:
    """Queue the calls due now; returns how many."""
    placed = 0
    for assignment, patient, line in _candidates(session, now):
        wait = 0.0 if patient.preferred_channel == CHANNEL else rules.fallback_after_hours
        if now < assignment.opens_at + timedelta(hours=wait):
            continue
        if not rules.can_call_in(patient.locale):
            continue  # on the "to call" list instead (to_call)
        if not in_calling_hours(now, patient.timezone, rules):
            continue
        attempts, last = _attempts(session, _id(assignment.id))
        if attempts >= rules.max_attempts:
            continue
        if last is not None and now < last + timedelta(minutes=rules.retry_minutes):
            continue
        if _call_waiting(session, line.address):
            continue
        session.add(
            OutboxMessage(
                dedupe_key=f"call:{assignment.id}:{attempts}",
                patient_id=patient.id,
                channel=CHANNEL,
                address=line.address,
                kind=CALL_KIND,
                body="",
                not_before=now,
                expires_at=calling_window_end(now, patient.timezone, rules),
                created_at=now,
            )
        )
        session.flush()
        placed += 1
    return placed


@dataclass(frozen=True)
class ToCall:
    """A survey staff should phone about, and why."""

    study_id: str
    instrument_id: str
    due_at: datetime
    attempts: int
    reason: str  # "calls unanswered" | "no phone line" | "no phone words in their language"


def to_call(session: Session, now: datetime, rules: CallRules) -> list[ToCall]:
    """Open surveys the automated tiers did not reach: the staff "to call" list."""
    rows = session.exec(
        select(SurveyAssignment, Patient)
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .where(
            col(SurveyAssignment.state).in_(OPEN_STATES),
            SurveyAssignment.opens_at <= now,
            SurveyAssignment.expires_at > now,
            col(Patient.status).in_(("active", "paused")),
        )
        .order_by(col(SurveyAssignment.due_at), col(SurveyAssignment.id))
    ).all()
    listed: list[ToCall] = []
    for assignment, patient in rows:
        attempts, _ = _attempts(session, _id(assignment.id))
        has_line = _voice_line(session, _id(patient.id)) is not None
        overdue = now >= assignment.opens_at + timedelta(hours=rules.fallback_after_hours)
        if attempts >= rules.max_attempts:
            reason = "calls unanswered"
        elif not has_line and overdue:
            reason = "no phone line"
        elif (
            has_line
            and not rules.can_call_in(patient.locale)
            and (overdue or patient.preferred_channel == CHANNEL)
        ):
            reason = "no phone words in their language"
        else:
            continue
        listed.append(
            ToCall(patient.study_id, assignment.instrument_id, assignment.due_at, attempts, reason)
        )
    return listed


def _candidates(
    session: Session, now: datetime
) -> list[tuple[SurveyAssignment, Patient, ChannelIdentity]]:
    rows = session.exec(
        select(SurveyAssignment, Patient, ChannelIdentity)
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .join(ChannelIdentity, col(ChannelIdentity.patient_id) == col(Patient.id))
        .where(
            col(SurveyAssignment.state).in_(OPEN_STATES),
            SurveyAssignment.opens_at <= now,
            SurveyAssignment.expires_at > now,
            Patient.status == "active",
            ChannelIdentity.channel == CHANNEL,
            ChannelIdentity.status == "active",
        )
        .order_by(col(SurveyAssignment.opens_at), col(SurveyAssignment.id))
    ).all()
    seen: set[int] = set()
    picked: list[tuple[SurveyAssignment, Patient, ChannelIdentity]] = []
    for assignment, patient, line in rows:
        if _id(patient.id) in seen:
            continue  # one call covers every survey due: it offers them in turn
        seen.add(_id(patient.id))
        picked.append((assignment, patient, line))
    return picked


def _attempts(session: Session, assignment_id: int) -> tuple[int, datetime | None]:
    """Calls queued for this survey so far (placed, failed or dropped), and the latest."""
    count, last = session.exec(
        select(func.count(col(OutboxMessage.id)), func.max(col(OutboxMessage.created_at))).where(
            col(OutboxMessage.dedupe_key).startswith(f"call:{assignment_id}:")
        )
    ).one()
    if last is not None and last.tzinfo is None:  # SQLite's aggregate drops the zone
        last = last.replace(tzinfo=UTC)
    return int(count), last


def _call_waiting(session: Session, address: str) -> bool:
    """A call to this number is queued or being placed already."""
    return (
        session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.address == address,
                OutboxMessage.kind == CALL_KIND,
                col(OutboxMessage.status).in_(("pending", "sending")),
            )
        ).first()
        is not None
    )


def _voice_line(session: Session, patient_id: int) -> ChannelIdentity | None:
    return session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.patient_id == patient_id,
            ChannelIdentity.channel == CHANNEL,
            ChannelIdentity.status == "active",
        )
    ).first()


def _id(value: int | None) -> int:
    assert value is not None
    return value
