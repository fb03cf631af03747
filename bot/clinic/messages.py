"""The outbox as staff read it, and the two things they may do to one message.

Listing: newest first, filtered by status, kind, channel and patient; message text only for
callers who may see identity. Cancelling stops a message that has not gone yet (never a safety
reply); resending queues a fresh copy of one that failed, was dropped or was cancelled. A resent
copy passes every send rule again when the dispatcher takes it (opt-out, quiet hours, caps), so
nothing here can reach a patient who said STOP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.conversation.messages import SAFETY_KINDS
from bot.db.invite_models import EnrolmentCode
from bot.db.models import OutboxMessage, Patient

COUNT_LIMIT = 10_000  # "more than 10,000" is enough to know; counting a million rows is not
CANCELLABLE = ("pending",)
RESENDABLE = ("failed", "dropped", "cancelled")
INVITE_PREFIX = "sms-optin:"  # bot/service/sms_optin.py's opt-in invitations


@dataclass(frozen=True)
class MessageRow:
    id: int
    study_id: str | None
    patient_timezone: str | None
    channel: str
    kind: str
    status: str
    error_code: str | None
    attempts: int
    text: str | None  # None for callers who may not see identity
    created_at: datetime
    not_before: datetime
    sent_at: datetime | None
    expires_at: datetime | None

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE and self.kind not in SAFETY_KINDS

    def resendable(self, now: datetime) -> bool:
        return self.status in RESENDABLE and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class OutboxFilter:
    status: str = ""
    kind: str = ""
    channel: str = ""
    study_id: str = ""
    invitations: bool = False  # only the SMS opt-in invitations


def outbox(
    session: Session, flt: OutboxFilter, *, with_text: bool, offset: int = 0, limit: int = 50
) -> tuple[list[MessageRow], int]:
    """One page of messages, newest first, and how many match (at most COUNT_LIMIT + 1)."""
    query = select(OutboxMessage.id)
    if flt.status:
        query = query.where(OutboxMessage.status == flt.status)
    if flt.kind:
        query = query.where(OutboxMessage.kind == flt.kind)
    if flt.channel:
        query = query.where(OutboxMessage.channel == flt.channel)
    if flt.invitations:
        query = query.where(col(OutboxMessage.dedupe_key).startswith(INVITE_PREFIX))
    if flt.study_id:
        query = query.where(
            col(OutboxMessage.patient_id).in_(
                select(Patient.id).where(Patient.study_id == flt.study_id)
            )
        )
    total = session.exec(
        select(func.count()).select_from(query.limit(COUNT_LIMIT + 1).subquery())
    ).one()
    ids = query.order_by(col(OutboxMessage.id).desc()).offset(offset).limit(limit)
    rows = session.exec(
        select(OutboxMessage, Patient.study_id, Patient.timezone)
        .outerjoin(Patient, col(Patient.id) == col(OutboxMessage.patient_id))
        .where(col(OutboxMessage.id).in_(ids))
        .order_by(col(OutboxMessage.id).desc())
    ).all()
    return [_row(m, study_id, tz, with_text) for m, study_id, tz in rows], total


def _row(m: OutboxMessage, study_id: str | None, tz: str | None, with_text: bool) -> MessageRow:
    return MessageRow(
        m.id or 0, study_id, tz, m.channel, m.kind, m.status, m.error_code, m.attempts,
        m.body if with_text else None, m.created_at, m.not_before, m.sent_at, m.expires_at,
    )  # fmt: skip


def one(session: Session, message_id: int, *, with_text: bool) -> MessageRow | None:
    found = session.exec(
        select(OutboxMessage, Patient.study_id, Patient.timezone)
        .outerjoin(Patient, col(Patient.id) == col(OutboxMessage.patient_id))
        .where(OutboxMessage.id == message_id)
    ).first()
    if found is None:
        return None
    return _row(found[0], found[1], found[2], with_text)


def cancel(session: Session, message_id: int, now: datetime) -> bool:
    """Stop one message that has not gone yet; False when it is gone, going or a safety reply."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status not in CANCELLABLE or row.kind in SAFETY_KINDS:
        return False
    row.status = "cancelled"
    row.error_code = "staff"
    session.add(row)
    session.flush()
    return True


class ResendRefused(ValueError):
    """The message may not be sent again; the text says why."""


def resend(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Queue a fresh copy of a failed, dropped or cancelled message (same occasion: it counts
    once towards the daily cap); raises ResendRefused with the reason when it may not be."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise ResendRefused("there is no such message")
    if row.status not in RESENDABLE:
        raise ResendRefused(f"only a failed, dropped or cancelled message is resent ({row.status})")
    if row.expires_at is not None and row.expires_at <= now:
        raise ResendRefused("it is out of date (its session or survey has passed)")
    tries = session.exec(
        select(func.count()).where(
            col(OutboxMessage.dedupe_key).startswith(f"{row.dedupe_key}:resend")
        )
    ).one()
    copy = OutboxMessage(
        dedupe_key=f"{row.dedupe_key}:resend{tries + 1}", patient_id=row.patient_id,
        channel=row.channel, address=row.address, kind=row.kind, body=row.body, hint=row.hint,
        options=list(row.options), status="pending", not_before=now, created_at=now,
        expires_at=row.expires_at,
    )  # fmt: skip
    session.add(copy)
    session.flush()
    return copy


@dataclass(frozen=True)
class InviteRow:
    study_id: str
    channel: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def telegram_invites(session: Session, *, limit: int = 50) -> list[InviteRow]:
    """The newest invitation codes (QR or link): made, valid until, used."""
    return [
        InviteRow(study_id, c.channel, c.created_at, c.expires_at, c.used_at)
        for c, study_id in session.exec(
            select(EnrolmentCode, Patient.study_id)
            .join(Patient, col(Patient.id) == col(EnrolmentCode.patient_id))
            .order_by(col(EnrolmentCode.id).desc())
            .limit(limit)
        ).all()
    ]
