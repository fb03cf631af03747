"""`/healthz`: whether this server can do its job now, answered within a second whatever the
database does.

The database check writes (one heartbeat row): a full disk or a read-only SQLite file still
answers a SELECT. It runs on a thread of its own, so it never queues behind request work, and
is awaited for at most `ANSWER_WITHIN` seconds; a check still waiting from an earlier request is
not doubled, the answer is "stalled" at once. The same transaction counts what staff must see:
permanent send failures, quarantined messages not yet looked at, and urgent alerts (crisis,
undelivered crisis answers, text triage could not read) that no staff channel has been told of
after `UNDELIVERED_AFTER`: those make the server unhealthy, loudly, until one is. And how long
each channel's oldest due message has waited (outbox_lag.py): a channel far behind makes it
unhealthy too.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import col, exists, select

from bot.clinic.alerts.delivery import SEND_FAILURE_KINDS
from bot.clinic.alerts.notify import URGENT_KINDS
from bot.db.database import session_scope
from bot.db.export_models import AlertNotice
from bot.db.models import Alert
from bot.db.reliability_models import HealthProbe, QuarantinedInbound
from bot.service.outbox_lag import oldest_due_seconds

log = logging.getLogger(__name__)

ANSWER_WITHIN = 0.6  # seconds; the whole /healthz answer stays well under 1 s
# Staff are told of urgent alerts every few seconds (bot/service/runtime.py); one still untold
# after this long could not be delivered.
UNDELIVERED_AFTER = timedelta(minutes=2)

Facts = dict[str, Any]


class DatabaseProbe:
    """Checks that the database takes a write, on its own thread, within `within` seconds."""

    def __init__(self, db: Engine, *, within: float = ANSWER_WITHIN) -> None:
        self._db = db
        self._within = within
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathbot-health")
        self._in_flight: Future[Facts] | None = None

    async def check(self, now: datetime) -> Facts:
        if self._in_flight is not None and not self._in_flight.done():
            return {"database": "stalled"}  # the last check is still waiting on the database
        future = self._executor.submit(probe_database, self._db, now)
        self._in_flight = future
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self._within)
        except TimeoutError:
            return {"database": "stalled"}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def probe_database(db: Engine, now: datetime) -> Facts:
    """Write the heartbeat and count what staff must see; or say why the database cannot."""
    try:
        with session_scope(db) as session:
            session.exec(_heartbeat(db.dialect.name, now))
            failures = session.exec(
                select(func.count())
                .select_from(Alert)
                .where(col(Alert.kind).in_(SEND_FAILURE_KINDS), Alert.status == "open")
            ).one()
            quarantined = session.exec(
                select(func.count())
                .select_from(QuarantinedInbound)
                .where(col(QuarantinedInbound.reviewed_at).is_(None))
            ).one()
            undelivered = session.exec(
                select(func.count())
                .select_from(Alert)
                .where(
                    col(Alert.kind).in_(URGENT_KINDS),
                    col(Alert.status).in_(("open", "acknowledged")),
                    col(Alert.acknowledged_at).is_(None),
                    col(Alert.created_at) <= now - UNDELIVERED_AFTER,
                    ~exists().where(col(AlertNotice.alert_id) == col(Alert.id)),
                )
            ).one()
        # Read after the heartbeat's transaction, not in it: on SQLite that transaction holds
        # the write lock, and with a backlog this read walks every due row (16 ms at 30,000).
        with db.connect() as conn:
            lag = oldest_due_seconds(conn, now)
    except Exception as exc:  # noqa: BLE001 - every failure is an answer for the health check
        state = database_state(exc)
        log.warning("health check: database %s (%s)", state, type(exc).__name__)
        return {"database": state}
    return {
        "database": "ok",
        "open_send_failures": int(failures),
        "quarantined_messages": int(quarantined),
        "crisis_alerts_undelivered": int(undelivered),
        "outbox_oldest_due_seconds": {name: round(seconds) for name, seconds in lag.items()},
    }


def _heartbeat(dialect: str, now: datetime) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(HealthProbe).values(id=1, checked_at=now, beats=1)
    return statement.on_conflict_do_update(
        index_elements=["id"], set_={"checked_at": now, "beats": col(HealthProbe.beats) + 1}
    )


def database_state(exc: BaseException) -> str:
    """A short word for why the database refused: read_only, full, stalled, unreachable, error."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate = getattr(orig, "sqlstate", None)
    text = str(orig).lower()
    if "readonly database" in text or sqlstate == "25006":
        return "read_only"
    if "database or disk is full" in text or sqlstate == "53100":
        return "full"
    if isinstance(exc, PoolTimeout) or "did not answer within" in text:
        return "stalled"
    if isinstance(exc, DBAPIError):
        return "unreachable"
    return "error"
