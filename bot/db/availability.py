"""The database being away for a while: what that looks like, and riding it out without loss."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import select

from bot.db.database import session_scope
from bot.db.models import OutboxMessage

log = logging.getLogger(__name__)

# The database is away, stalled, locked, full or read-only: the same work will succeed later,
# so it is retried (a webhook answers 503 and the provider delivers again; the inbound dedupe
# makes the second delivery harmless). OperationalError covers a refused, dropped or stalled
# connection, a statement time-out, a deadlock, a locked, full or read-only SQLite file and a
# full disk on PostgreSQL; PoolTimeout: every pooled connection is busy.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    InternalError,
    PoolTimeout,
)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` says the database is unavailable now (retry later); False when the work
    itself cannot succeed (a DataError or IntegrityError from what was sent, or a bug): retrying
    that forever would lose the message, so it is quarantined instead."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return True
    # A DBAPIError of no finer class (some drivers' generic error) whose connection broke.
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


async def until_database_answers(
    write: Callable[[], None],
    *,
    within: float = 240.0,
    first_wait: float = 0.5,
    executor: Executor | None = None,
) -> None:
    """Run a small write, retrying through a database outage (backing off, up to `within` s).

    For facts that exist only in memory until written: "the provider accepted this message".
    Lost, that fact would make the message go out again when its lease expires. `executor`:
    the thread(s) to write in, when not the default pool.
    """
    waited, pause = 0.0, first_wait
    while True:
        try:
            # never on the event loop: it may wait for seconds
            if executor is None:
                await asyncio.to_thread(write)
            else:
                await asyncio.get_running_loop().run_in_executor(executor, write)
            return
        except DATABASE_UNAVAILABLE:
            if waited >= within:
                raise
            log.warning("database unavailable; retrying a write in %.1f s", pause)
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 5.0)


def release_claims(db: Engine, *, claimed_at: datetime) -> int:
    """Put back rows a dispatcher round claimed and never finished (it hit an outage).

    The round's own claim time identifies them; they were not sent (a sent row is recorded by
    `until_database_answers`), so they go back to pending at once instead of waiting out the
    lease. Returns how many.
    """
    with session_scope(db) as session:
        rows = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.status == "sending", OutboxMessage.claimed_at == claimed_at
            )
        ).all()
        for row in rows:
            row.status = "pending"
            row.claimed_at = None
            session.add(row)
        return len(rows)
