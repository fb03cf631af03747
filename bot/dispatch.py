"""The dispatcher: the one place messages leave pathbot, applying the send rules in order.

Today it honours opt-out before every send and records each attempt; quiet hours, the daily cap
and per-channel rate limits belong here too (the schedules issue adds them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.base import (
    Channel,
    ContactStopped,
    OutboundEnvelope,
    RetryableSendError,
    SendError,
)
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage, Patient

MAX_ATTEMPTS = 5


async def dispatch_pending(db: Engine, channels: Mapping[str, Channel], now: datetime) -> int:
    """Send every due outbox message of the given channels; returns how many were sent."""
    sent = 0
    for name, channel in channels.items():
        with session_scope(db) as session:
            due = store.pending_outbox(session, name, now)
        for row in due:
            if await _send_one(db, channel, row, now):
                sent += 1
    return sent


async def _send_one(db: Engine, channel: Channel, row: OutboxMessage, now: datetime) -> bool:
    with session_scope(db) as session:
        if not _may_send(session, row):
            _update(session, row, status="cancelled")
            return False
    envelope = OutboundEnvelope(
        outbox_id=row.id or 0,
        address=row.address,
        kind=row.kind,
        text=row.body,
        hint=row.hint,
        options=tuple(row.options),
    )
    try:
        provider_id = await channel.send(envelope)
    except ContactStopped as exc:
        with session_scope(db) as session:
            _update(session, row, status="failed", error_code=exc.code)
            _mark_identity(session, row, "stopped")
        return False
    except RetryableSendError as exc:
        with session_scope(db) as session:
            delay = timedelta(seconds=exc.retry_after or 2 ** (row.attempts + 1))
            final = row.attempts + 1 >= MAX_ATTEMPTS
            _update(
                session,
                row,
                status="failed" if final else "pending",
                error_code=exc.code,
                not_before=now + delay,
            )
        return False
    except SendError as exc:
        with session_scope(db) as session:
            _update(session, row, status="failed", error_code=exc.code)
        return False
    with session_scope(db) as session:
        _update(session, row, status="sent", provider_message_id=provider_id, sent_at=now)
    return True


def _may_send(session: Session, row: OutboxMessage) -> bool:
    """Opt-out is honoured before every send; answers to the patient's own message still go."""
    if row.patient_id is None:
        return True
    patient = session.get(Patient, row.patient_id)
    stopped = patient is None or patient.status == "stopped"
    if not stopped:
        return True
    return row.kind in ("confirmation", "crisis") or row.in_reply_to is not None


def _update(session: Session, row: OutboxMessage, **changes: object) -> None:
    fresh = session.get(OutboxMessage, row.id)
    if fresh is None:
        return
    if "status" in changes and changes["status"] != "cancelled":
        fresh.attempts += 1
    for key, value in changes.items():
        setattr(fresh, key, value)
    session.add(fresh)


def _mark_identity(session: Session, row: OutboxMessage, status: str) -> None:
    identity = store.find_identity(session, row.channel, row.address)
    if isinstance(identity, ChannelIdentity):
        identity.status = status
        session.add(identity)
