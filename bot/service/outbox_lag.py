"""How far behind each channel's sending is: how long its oldest due message has waited.

The outbox is durable, so a channel slower than what is written to it (SMS on one long code
sends a message a second) never loses a message, but it can fall hours behind: replies to
patients arrive late, and nothing failed that anyone would be told of. This is the witness:
`/healthz` reports the lag of each channel and is unhealthy while a channel this server sends
on has a message due for longer than `BEHIND_AFTER`; `/metrics` serves it as a gauge.

A message counts from its `not_before` (when it was meant to go), so one held for the morning
by quiet hours, or for a retry, is not late before then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, text
from sqlmodel import col

from bot.db.models import PENDING_SQL, OutboxMessage
from bot.schedule.localtime import as_utc

# A burst bigger than this many minutes of a channel's rate (two thousand reminders at SMS's
# default message a second take 33 minutes) is a channel too slow for the clinic.
BEHIND_AFTER = timedelta(minutes=30)


def oldest_due_seconds(conn: Connection, now: datetime) -> dict[str, float]:
    """Per channel with a due message still pending: seconds its oldest one has waited."""
    # (walks the due rows in the partial index of pending rows, which holds both columns)
    rows = conn.execute(
        select(col(OutboxMessage.channel), func.min(col(OutboxMessage.not_before)))
        .where(text(PENDING_SQL), col(OutboxMessage.not_before) <= now)
        .group_by(col(OutboxMessage.channel))
    ).all()
    return {
        str(name): max(0.0, (as_utc(now) - as_utc(oldest)).total_seconds()) for name, oldest in rows
    }


def behind(lag: Mapping[str, float], channels: Collection[str]) -> list[str]:
    """The channels of `channels` whose oldest due message has waited past `BEHIND_AFTER` (a
    channel this server does not send on is another server's business, or no longer used)."""
    limit = BEHIND_AFTER.total_seconds()
    return sorted(name for name in channels if lag.get(name, 0.0) > limit)
