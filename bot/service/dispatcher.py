"""The dispatcher: the one place messages leave pathbot, applying the send rules in order.

Every round claims a batch of due outbox rows (pending -> sending, with a lease), then for each
row applies, in order:

1. opt-out and pause: a stopped patient gets only confirmations, crisis messages and replies to
   their own message; a paused (or crisis-held) patient gets no survey nudges;
2. staleness: a row past its `expires_at` (a reminder for a session that has begun) is dropped
   and recorded, never sent;
3. quiet hours in the patient's local time: an unsolicited message due at night waits for the
   morning (`not_before`); replies and crisis messages are never held;
4. a cap on unsolicited messages per patient per local day: the rest wait for the next day;
5. the channel's rate limit: a paced channel (`Paced`) is waited for first, and when that took
   any time, rules 1-4 are applied again, so a STOP that came while the message waited for its
   slot stops it; the batch size keeps a round small;

then sends and marks the row sent. Every database step runs in a worker thread: the dispatcher
shares the event loop with the webhooks, and a slow or stalled database must not freeze them.
Claiming uses SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several dispatchers share the
work without sending anything twice; a row whose lease expires (its dispatcher died mid-send) is
claimed again. SQLite runs one dispatcher.

Safety replies (`SAFETY_KINDS`: the crisis answer, the HELP text) have a lane of their own:
`dispatch_safety` claims only them, across every channel, and sends each in its own task, so a
crisis answer never waits behind another recipient's message, another channel's backlog or a
round already under way (the runtime runs this lane in its own loop). Every claim orders safety
replies first. They are never cancelled or held, are retried longer than other messages, and
when one fails for good staff get an urgent alert at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, case, or_
from sqlmodel import Session, col, select

from bot.channels.base import (
    Channel,
    ContactStopped,
    OutboundEnvelope,
    Paced,
    RetryableSendError,
    SendError,
)
from bot.clinic.alerts.delivery import record_send_failure
from bot.conversation.messages import SAFETY_KINDS
from bot.db import fallback, store
from bot.db.availability import is_outage, until_database_answers
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage, Patient
from bot.schedule.localtime import in_quiet_hours, local_day_bounds, next_local_hour

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A safety reply is retried for about ten minutes (2, 4, ... 60, 60 s) before staff are told.
SAFETY_MAX_ATTEMPTS = 14
MAX_BACKOFF = timedelta(seconds=60)
LEASE = timedelta(minutes=5)
DEFAULT_BATCH_SIZE = 50
ALWAYS_SENT_KINDS = (*SAFETY_KINDS, "confirmation")
# What staff are told when a safety reply could not be delivered (an urgent alert kind).
UNDELIVERED_ALERT = "reply_undelivered"
# Held while the patient has paused or is in a crisis hold (UX-09).
PAUSABLE_KINDS = ("nudge",)


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


async def dispatch_pending(
    db: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    rules: SendRules | None = None,
    batch_size: int | None = None,
    default_locale: str = "en",
) -> int:
    """Send due outbox messages of the given channels; returns how many were sent.

    Without `batch_size` every due message is sent (batch after batch); with it, one batch per
    channel, so a busy outbox cannot starve other work in the same loop.
    """
    sent = await dispatch_safety(db, channels, now, default_locale=default_locale)
    for name, channel in channels.items():
        while True:
            claimed = await asyncio.to_thread(
                claim_due, db, name, now, batch_size or DEFAULT_BATCH_SIZE
            )
            for row in claimed:
                if await _send_guarded(db, channel, row, now, rules, default_locale):
                    sent += 1
            if batch_size is not None or not claimed:
                break
    return sent


async def dispatch_safety(
    db: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    default_locale: str = "en",
) -> int:
    """Send every due safety reply of these channels now, each in its own task; returns how
    many were sent. Nothing else is claimed, so this never waits for other messages."""
    sent = 0
    while True:
        claimed = await asyncio.to_thread(
            claim_due, db, list(channels), now, DEFAULT_BATCH_SIZE, kinds=SAFETY_KINDS
        )
        if not claimed:
            return sent
        results = await asyncio.gather(
            *(
                _send_guarded(db, channels[row.channel], row, now, None, default_locale)
                for row in claimed
            )
        )
        sent += sum(results)


def claim_due(
    db: Engine,
    channel: str | Sequence[str],
    now: datetime,
    limit: int,
    *,
    kinds: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Lock and claim up to `limit` due rows, safety replies first; rows another dispatcher
    holds are skipped. `kinds` narrows the claim (the safety lane claims only its own)."""
    channels = [channel] if isinstance(channel, str) else list(channel)
    safety_first = case((col(OutboxMessage.kind).in_(SAFETY_KINDS), 0), else_=1)
    with session_scope(db) as session:
        query = select(OutboxMessage).where(col(OutboxMessage.channel).in_(channels))
        if kinds is not None:
            query = query.where(col(OutboxMessage.kind).in_(kinds))
        rows = list(
            session.exec(
                query.where(
                    or_(
                        and_(
                            col(OutboxMessage.status) == "pending",
                            col(OutboxMessage.not_before) <= now,
                        ),
                        and_(
                            col(OutboxMessage.status) == "sending",
                            col(OutboxMessage.claimed_at) < now - LEASE,
                        ),
                    ),
                )
                .order_by(safety_first, col(OutboxMessage.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
        )
        rows = _in_order(session, rows, now)
        for row in rows:
            row.status = "sending"
            row.claimed_at = now
            session.add(row)
    return rows


def _in_order(session: Session, rows: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
    """Keep a patient's messages in order: skip a row while an earlier one is still unsent
    elsewhere (another dispatcher holds it), so question 2 never overtakes question 1. A safety
    reply waits for nothing: it may overtake anything."""
    ordered = [r for r in rows if r.kind not in SAFETY_KINDS]
    if not ordered:
        return rows
    ids = {r.id for r in rows}
    addresses = {r.address for r in ordered}
    earlier = session.exec(
        select(OutboxMessage.address, OutboxMessage.id).where(
            col(OutboxMessage.address).in_(addresses),
            col(OutboxMessage.id) < max(r.id or 0 for r in ordered),
            or_(
                col(OutboxMessage.status) == "sending",
                and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.not_before) <= now),
            ),
        )
    ).all()
    blocked_from: dict[str, int] = {}
    for address, row_id in earlier:
        if row_id is not None and row_id not in ids:
            blocked_from[address] = min(blocked_from.get(address, row_id), row_id)
    return [
        r
        for r in rows
        if r.kind in SAFETY_KINDS or (r.id or 0) < blocked_from.get(r.address, 1 << 62)
    ]


async def _send_guarded(
    db: Engine,
    channel: Channel,
    row: OutboxMessage,
    now: datetime,
    rules: SendRules | None,
    default_locale: str,
) -> bool:
    """`_send_one`, except that a row which fails other than by a database outage (a bug, a
    value the database refuses) is failed loudly instead of being retried for ever."""
    try:
        return await _send_one(db, channel, row, now, rules, default_locale)
    except Exception as exc:
        if is_outage(exc):
            raise  # the round stops; its claims go back (runtime.release_claims)
        log.error("message %s could not be sent (%s)", row.id, type(exc).__name__)
        await asyncio.to_thread(_record_internal_failure, db, row, now)
        return False


async def _send_one(
    db: Engine,
    channel: Channel,
    row: OutboxMessage,
    now: datetime,
    rules: SendRules | None,
    default_locale: str,
) -> bool:
    verdict, locale = await asyncio.to_thread(_apply_rules_now, db, row, now, rules)
    if verdict != "send":
        return False
    envelope = OutboundEnvelope(
        outbox_id=row.id or 0,
        address=row.address,
        kind=row.kind,
        text=row.body,
        hint=row.hint,
        options=tuple(row.options),
        locale=locale or default_locale,
    )
    try:
        if isinstance(channel, Paced) and await channel.wait_turn(envelope) > 0:
            # Time passed while the message waited for its slot: STOP (or PAUSE, or a hold)
            # may have come meanwhile, and nothing goes out after it.
            verdict, _ = await asyncio.to_thread(_apply_rules_now, db, row, now, rules)
            if verdict != "send":
                return False
        provider_id = await channel.send(replace(envelope, turn_taken=True))
    except SendError as exc:
        await asyncio.to_thread(_record_failure, db, row, exc, now)
        return False

    def record_sent() -> None:
        with session_scope(db) as session:
            _update(session, row, status="sent", provider_message_id=provider_id, sent_at=now)

    await until_database_answers(record_sent)  # else an outage here means a re-send later
    return True


def _record_failure(db: Engine, row: OutboxMessage, exc: SendError, now: datetime) -> None:
    """What a failed send leaves behind: a retry later, or a final failure (alerted, and maybe
    re-routed to another channel)."""
    with session_scope(db) as session:
        final = not isinstance(exc, RetryableSendError) or row.attempts + 1 >= _max_attempts(row)
        if not final:
            assert isinstance(exc, RetryableSendError)
            delay = _backoff(row, exc.retry_after)
            _update(session, row, status="pending", error_code=exc.code, not_before=now + delay)
            return
        failed = _update(session, row, status="failed", error_code=exc.code)
        if isinstance(exc, ContactStopped):
            _mark_identity(session, row, exc.identity_status)
        _after_final_failure(session, failed or row, now)


def _record_internal_failure(db: Engine, row: OutboxMessage, now: datetime) -> None:
    with session_scope(db) as session:
        failed = _update(session, row, status="failed", error_code="internal")
        _after_final_failure(session, failed or row, now)


def _apply_rules_now(
    db: Engine, row: OutboxMessage, now: datetime, rules: SendRules | None
) -> tuple[str, str | None]:
    with session_scope(db) as session:
        return _apply_rules(session, row, now, rules)


def _max_attempts(row: OutboxMessage) -> int:
    return SAFETY_MAX_ATTEMPTS if row.kind in SAFETY_KINDS else MAX_ATTEMPTS


def _backoff(row: OutboxMessage, retry_after: float | None) -> timedelta:
    """The provider's Retry-After, else 2, 4, 8 ... seconds (safety replies: at most a minute)."""
    if retry_after:
        return timedelta(seconds=retry_after)
    delay = timedelta(seconds=2 ** min(row.attempts + 1, 16))
    return min(delay, MAX_BACKOFF) if row.kind in SAFETY_KINDS else delay


def _after_final_failure(session: Session, row: OutboxMessage, now: datetime) -> None:
    """A message failed for good: staff are told (at once, urgently, for a safety reply;
    bot/clinic/alerts/delivery.py), and the patient is reached on another channel where that
    fits."""
    record_send_failure(session, row, now)
    fallback.after_final_failure(session, row, now=now)


def _apply_rules(
    session: Session, row: OutboxMessage, now: datetime, rules: SendRules | None
) -> tuple[str, str | None]:
    """("send", the patient's language), or the row's new state after a rule held, dropped or
    cancelled it."""
    patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
    verdict = _verdict(session, row, patient, now, rules)
    return verdict, patient.locale if patient is not None else None


def _verdict(
    session: Session,
    row: OutboxMessage,
    patient: Patient | None,
    now: datetime,
    rules: SendRules | None,
) -> str:
    if not _may_send(session, row, patient):
        _hold(session, row, status="cancelled")
        return "cancelled"
    if not _channel_reachable(session, row):
        # Opted out or blocked on this channel only: reach the patient on another one.
        _hold(session, row, status="cancelled", error_code="channel_stopped")
        fallback.after_final_failure(session, row, now=now)
        return "cancelled"
    if row.expires_at is not None and row.expires_at <= now and not _is_exempt(row):
        _hold(session, row, status="dropped", error_code=row.error_code or "expired")
        return "dropped"
    if rules is None or patient is None or _is_exempt(row):
        return "send"
    if in_quiet_hours(now, patient.timezone, rules.quiet_start, rules.quiet_end):
        morning = next_local_hour(now, rules.quiet_end, patient.timezone)
        _hold(session, row, status="pending", not_before=morning)
        return "held"
    if not _under_daily_cap(session, row, patient, now, rules.max_unsolicited_per_day):
        _, day_end = local_day_bounds(now, patient.timezone)
        morning = next_local_hour(day_end, rules.quiet_end, patient.timezone)
        _hold(session, row, status="pending", not_before=morning)
        return "held"
    return "send"


def _is_exempt(row: OutboxMessage) -> bool:
    """Replies to the patient's own message and crisis messages are never held."""
    return row.in_reply_to is not None or row.kind in ALWAYS_SENT_KINDS


def _may_send(session: Session, row: OutboxMessage, patient: Patient | None) -> bool:
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


def _hold(session: Session, row: OutboxMessage, **changes: object) -> None:
    """Change a claimed row without counting a send attempt."""
    fresh = session.get(OutboxMessage, row.id)
    if fresh is None:
        return
    fresh.claimed_at = None
    for key, value in changes.items():
        setattr(fresh, key, value)
    session.add(fresh)


def _update(session: Session, row: OutboxMessage, **changes: object) -> OutboxMessage | None:
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


def _mark_identity(session: Session, row: OutboxMessage, status: str) -> None:
    identity = store.find_identity(session, row.channel, row.address)
    if isinstance(identity, ChannelIdentity):
        identity.status = status
        session.add(identity)
