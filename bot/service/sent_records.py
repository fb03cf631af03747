"""Recording "sent" the moment the provider has accepted a message, and keeping the window small.

Between the provider's "accepted" and the commit of status "sent" a message exists only in this
process's memory: if the process dies then (kill -9, a power cut), its row is still claimed
("sending") and goes out again when the lease runs out. That re-send is the price of
at-least-once delivery, and nothing on our side can remove it for a send the provider accepted
just before the crash (neither Twilio nor the Bot API take an idempotency key). What we can do
is keep the window short and bounded:

- Sends that finish while a record is being written wait for the next one together: one short
  transaction with one UPDATE per row, run as a single executemany (a group commit). Writing
  each record in a transaction of its own made sends pile up behind each other's commits (and,
  on SQLite, behind every webhook waiting for the write lock), tens of them per crash.
- The records have a writer thread of their own, so they never queue for a worker thread behind
  webhooks that wait for the database.
- `Allowance`: an ordinary send takes a place before it goes and gives it back only when its
  record has committed, so at most `width` ordinary sends per channel are ever in flight or
  accepted-and-unrecorded: a crash re-sends at most that many. When the database cannot take
  the records (an outage), ordinary sends stop at the allowance instead of sending what could
  not be recorded. Safety replies (the crisis answer, HELP) take no place: a database outage
  never delays them (they still go through the channel's gate first, and their records join
  the same group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, case, func, or_, update
from sqlmodel import col

from bot.db.availability import until_database_answers
from bot.db.database import writer
from bot.db.models import OutboxMessage
from bot.service.priority_gate import PriorityGate

# What a provider's status callback may have written before our own record: never overwritten.
REPORTED_STATUSES = ("delivered", "undelivered", "failed")

# One thread for every record this process writes: a group commit needs only one writer at a
# time, and a thread of its own means no wait behind webhooks in the default thread pool.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathbot-sent-records")

_MARK_SENT = (
    update(OutboxMessage)
    .where(col(OutboxMessage.id) == bindparam("sent_id"))
    .values(
        status=case(
            # (equalities, not IN: an expanding IN cannot be run as an executemany)
            (
                or_(*(col(OutboxMessage.status) == status for status in REPORTED_STATUSES)),
                col(OutboxMessage.status),
            ),
            else_="sent",
        ),
        attempts=col(OutboxMessage.attempts) + 1,
        claimed_at=None,
        provider_message_id=bindparam("provider_id"),
        sent_at=bindparam("at"),
        segments=func.coalesce(bindparam("parts"), col(OutboxMessage.segments)),
    )
)


@dataclass(frozen=True)
class Accepted:
    """A send the provider accepted: what its "sent" record says."""

    outbox_id: int
    provider_message_id: str
    sent_at: datetime
    segments: int | None = None  # SMS: the parts it took (bot/channels/base.py `Segmented`)


def write_sent(db: Engine, sends: Sequence[Accepted]) -> None:
    """Mark these rows sent in one transaction (one executemany UPDATE, no ORM)."""
    params = [
        {
            "sent_id": s.outbox_id,
            "provider_id": s.provider_message_id,
            "at": s.sent_at,
            "parts": s.segments,
        }
        for s in sends
    ]
    with writer(db).begin() as connection:
        connection.execute(_MARK_SENT, params)


class SentRecords:
    """The "sent" records of one dispatcher, written together as sends finish."""

    def __init__(self, db: Engine) -> None:
        self._db = db
        self._waiting: list[tuple[Accepted, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None
        self.commits = 0  # transactions written (fewer than records when sends finish together)
        self.recorded = 0

    async def record(self, sent: Accepted) -> None:
        """Returns once the record has committed; raises what `until_database_answers` gave
        up with after a long outage (the row then goes back to the outbox and is re-sent).
        Cancelling the caller does not cancel the record: the message did go."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        done.add_done_callback(_retrieved)
        self._waiting.append((sent, done))
        if self._writing is None or self._writing.done():
            self._writing = loop.create_task(self._write_all(), name="pathbot-sent-records")
        await asyncio.shield(done)

    async def settle(self, within: float) -> None:
        """Wait (up to `within` seconds) for the records still being written."""
        writing = self._writing
        if writing is not None and not writing.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writing), within)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            sends = [sent for sent, _ in batch]
            try:
                await until_database_answers(
                    functools.partial(write_sent, self._db, sends), executor=_WRITER
                )
            except BaseException as exc:  # an outage outlasted the retries, or shutdown
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.commits += 1
            self.recorded += len(batch)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


def _retrieved(future: asyncio.Future[None]) -> None:
    # A caller cancelled while its record failed would leave "exception never retrieved".
    if not future.cancelled():
        future.exception()


class Allowance:
    """At most `width` ordinary sends of a channel in flight or awaiting their "sent" record."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._places = PriorityGate(width)  # handed out in the order the causes arrived

    @contextlib.asynccontextmanager
    async def place(self, *, since: float | None = None) -> AsyncIterator[float]:
        """Hold a place until the block ends (after the record); yields the seconds waited.
        Waiting sends get places in the order their causes arrived (`since`: send_order.py)."""
        started = time.monotonic()
        async with self._places.place(since=since):
            yield time.monotonic() - started
