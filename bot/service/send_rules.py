"""The send rules: whether one claimed outbox row may go out now, applied just before it is sent.

In order:

1. ownership: the row must still be this dispatcher's claim (status "sending", our claim time);
   a claim that outlived its lease and was taken by another worker is left to that worker, so
   nothing is sent twice;
2. opt-out and pause: a stopped patient gets only confirmations, crisis messages and replies to
   their own message; a paused (or crisis-held) patient gets no survey nudges;
3. the channel: a stopped or blocked channel gets only what the patient asked for (and the
   patient is reached on another channel where that fits);
4. staleness: a row past its `expires_at` is dropped and recorded, never sent;
5. quiet hours in the patient's local time: an unsolicited message due at night waits for the
   morning (`not_before`); replies and crisis messages are never held;
6. a cap on unsolicited messages per patient per local day: the rest wait for the next day.

Safety replies (`SAFETY_KINDS`: the crisis answer, the HELP text) pass every rule but the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.conversation.messages import SAFETY_KINDS
from bot.db import fallback, store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage, Patient
from bot.schedule.localtime import in_quiet_hours, local_day_bounds, next_local_hour

ALWAYS_SENT_KINDS = (*SAFETY_KINDS, "confirmation")
# Held while the patient has paused or is in a crisis hold (UX-09).
PAUSABLE_KINDS = ("nudge",)
# The verdict for a row whose claim is no longer ours (its lease ran out, another worker took it).
NOT_OURS = "not_ours"


@dataclass(frozen=True)
class SendRules:
    """Quiet hours and the daily cap; `None` rules (console, simulations) apply opt-out only."""

    quiet_start: int = 20
    quiet_end: int = 9
    max_unsolicited_per_day: int = 3

    @classmethod
    def from_settings(cls, settings: object) -> SendRules:
        return cls(
            quiet_start=int(getattr(settings, "quiet_hours_start", 20)),
            quiet_end=int(getattr(settings, "quiet_hours_end", 9)),
            max_unsolicited_per_day=int(getattr(settings, "max_unsolicited_per_day", 3)),
        )


def is_safety(row: OutboxMessage) -> bool:
    return row.kind in SAFETY_KINDS


def verdict_now(
    db: Engine, row: OutboxMessage, now: datetime, rules: SendRules | None
) -> tuple[str, str | None]:
    """("send", the patient's language), or what became of the row: "cancelled", "dropped",
    "held", or `NOT_OURS`. A row that may not go is changed in the same transaction."""
    with session_scope(db) as session:
        fresh = session.get(OutboxMessage, row.id)
        if fresh is None or fresh.status != "sending" or fresh.claimed_at != row.claimed_at:
            return NOT_OURS, None
        patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
        found = verdict(session, fresh, patient, now, rules)
        return found, patient.locale if patient is not None else None


def verdict(
    session: Session,
    row: OutboxMessage,
    patient: Patient | None,
    now: datetime,
    rules: SendRules | None,
) -> str:
    if not _may_send(row, patient):
        hold(session, row, status="cancelled")
        return "cancelled"
    if not _channel_reachable(session, row):
        # Opted out or blocked on this channel only: reach the patient on another one.
        hold(session, row, status="cancelled", error_code="channel_stopped")
        fallback.after_final_failure(session, row, now=now)
        return "cancelled"
    if row.expires_at is not None and row.expires_at <= now and not is_exempt(row):
        hold(session, row, status="dropped", error_code=row.error_code or "expired")
        return "dropped"
    if rules is None or patient is None or is_exempt(row):
        return "send"
    if in_quiet_hours(now, patient.timezone, rules.quiet_start, rules.quiet_end):
        morning = next_local_hour(now, rules.quiet_end, patient.timezone)
        hold(session, row, status="pending", not_before=morning)
        return "held"
    if not _under_daily_cap(session, row, patient, now, rules.max_unsolicited_per_day):
        _, day_end = local_day_bounds(now, patient.timezone)
        morning = next_local_hour(day_end, rules.quiet_end, patient.timezone)
        hold(session, row, status="pending", not_before=morning)
        return "held"
    return "send"


def is_exempt(row: OutboxMessage) -> bool:
    """Replies to the patient's own message and crisis messages are never held."""
    return row.in_reply_to is not None or row.kind in ALWAYS_SENT_KINDS


def unstoppable(row: OutboxMessage) -> bool:
    """Whether no rule but the first (ownership) can stop this row, whatever the patient's or
    the channel's state: a crisis or HELP reply, a confirmation, or a reply to the patient's
    own message that is not a nudge (a nudge waits out a pause even as a reply). For these, a
    re-check of the rules before the send would re-read the database to no effect."""
    if row.kind in ALWAYS_SENT_KINDS:
        return True
    return row.in_reply_to is not None and row.kind not in PAUSABLE_KINDS


def _may_send(row: OutboxMessage, patient: Patient | None) -> bool:
    """Opt-out is honoured before every send; answers to the patient's own message still go."""
    if row.patient_id is None:
        return True
    if patient is None or patient.status == "stopped":
        return row.kind in ALWAYS_SENT_KINDS or row.in_reply_to is not None
    if patient.status in ("paused", "crisis_hold") and row.kind in PAUSABLE_KINDS:
        return False
    return True


def _channel_reachable(session: Session, row: OutboxMessage) -> bool:
    """A stopped or blocked channel (SMS STOP, 21610, Telegram block) gets only what the
    patient asked for; a pending one (SMS opt-in not yet confirmed) only the opt-in itself."""
    if row.kind in ALWAYS_SENT_KINDS or row.in_reply_to is not None:
        return True
    identity = store.find_identity(session, row.channel, row.address)
    return identity is None or identity.status == "active"


def _occasion(key: str) -> str:
    """Messages written together ("offer:12:0", "offer:12:1") count once towards the cap."""
    return key.rsplit(":", 1)[0]


def _under_daily_cap(
    session: Session, row: OutboxMessage, patient: Patient, now: datetime, cap: int
) -> bool:
    start, end = local_day_bounds(now, patient.timezone)
    keys = session.exec(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.patient_id == patient.id,
            col(OutboxMessage.status).in_(("sent", "delivered")),
            col(OutboxMessage.in_reply_to).is_(None),
            col(OutboxMessage.kind).not_in(ALWAYS_SENT_KINDS),
            col(OutboxMessage.sent_at) >= start,
            col(OutboxMessage.sent_at) < end,
        )
    ).all()
    occasions = {_occasion(k) for k in keys}
    return _occasion(row.dedupe_key) in occasions or len(occasions) < cap


def hold(session: Session, row: OutboxMessage, **changes: object) -> None:
    """Change a claimed row without counting a send attempt."""
    fresh = session.get(OutboxMessage, row.id)
    if fresh is None:
        return
    fresh.claimed_at = None
    for key, value in changes.items():
        setattr(fresh, key, value)
    session.add(fresh)


def update(session: Session, row: OutboxMessage, **changes: object) -> OutboxMessage | None:
    """Change a claimed row after a send attempt (counted, unless it was cancelled)."""
    fresh = session.get(OutboxMessage, row.id)
    if fresh is None:
        return None
    if "status" in changes and changes["status"] != "cancelled":
        fresh.attempts += 1
    fresh.claimed_at = None
    for key, value in changes.items():
        setattr(fresh, key, value)
    session.add(fresh)
    return fresh


def mark_identity(session: Session, row: OutboxMessage, status: str) -> None:
    identity = store.find_identity(session, row.channel, row.address)
    if isinstance(identity, ChannelIdentity):
        identity.status = status
        session.add(identity)
