"""The dispatcher: the one place messages leave pathbot. Recipients are served side by side.

The database is the queue. A claim locks due outbox rows (pending -> sending, with a lease) with
SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers share the work without
sending anything twice; a row whose lease expires (its worker died mid-send) is claimed again.
SQLite runs one worker.

In this process, claimed rows wait in per-recipient queues: one task per recipient (channel and
address) sends that recipient's messages in order, so per-chat pacing (Telegram: a message a
second to one chat) is a wait in that recipient's own task, never in anyone else's way. Different
recipients are sent concurrently, up to the channel's provider limit: the provider's own limiter
keeps the rate (Telegram: bot/channels/telegram/fair_limiter.py, 30 messages a second per bot; the
SMS segment pacer), and a `PriorityGate` per channel keeps the line in front of it short and puts
safety replies first.

The provider's "accepted" is recorded as "sent" at once, in a short transaction shared by the
sends that finished together (bot/service/sent_records.py), outside the gate; a crash between the
two re-sends the message after its lease (at-least-once), and an allowance per channel keeps the
ordinary sends in flight or awaiting their record to the gate's width, which bounds how many.

Each message, just before it goes, passes the send rules (bot/service/send_rules.py: still our
claim, opt-out and pause, the channel, staleness, quiet hours, the daily cap); when it had to wait
for its pacing slot the rules are applied again, so a STOP that came meanwhile stops it.

Safety replies (`SAFETY_KINDS`: the crisis answer, the HELP text) wait for nobody: each is sent in
a task of its own, ahead of everything at the gate, not paced behind its chat, never cancelled or
held; they are retried longer than other messages, and when one fails for good staff get an
urgent alert at once. Every claim orders them first, and the runtime also runs a lane that claims
only them.

Replies to an inbound message are claimed by id and sent as soon as the request that stored them
has committed (`send_now`), up to a backlog per channel (about 30 s of its sending rate; safety
replies always); the sweep (`top_up`) finds everything else that is due (scheduled messages,
retries, what another worker left, replies past that backlog) and is the safety net for the
direct path. Both are bounded: what a process holds claimed is never more than it can send
well within a claim's lease, however fast messages arrive.

Sends are served first come, first served by the arrival of their cause (send_order.py): a
request's replies carry the arrival time of the inbound message they answer, a row the sweep
finds carries its age, and the gate, the allowance and the provider's limiter serve the earliest
first (safety replies before everything).

Every database step runs in a worker thread: the dispatcher shares the event loop with the
webhooks, and a slow or stalled database must not freeze them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, text, update
from sqlmodel import Session, col, select

from bot.channels import send_order
from bot.channels.base import (
    Channel,
    ContactStopped,
    OutboundEnvelope,
    Paced,
    RetryableSendError,
    Segmented,
    SendError,
)
from bot.clinic.alerts.delivery import record_send_failure
from bot.conversation.messages import SAFETY_KINDS
from bot.db import fallback
from bot.db.availability import is_outage, until_database_answers
from bot.db.database import session_scope
from bot.db.models import PENDING_SQL, SAFETY_SQL, OutboxMessage, Patient
from bot.service import send_rules
from bot.service.priority_gate import PriorityGate
from bot.service.reply_claim import claim_replies
from bot.service.send_rules import ALWAYS_SENT_KINDS, PAUSABLE_KINDS, SendRules
from bot.service.sent_records import Accepted, Allowance, SentRecords

__all__ = [
    "ALWAYS_SENT_KINDS",
    "DEFAULT_BATCH_SIZE",
    "LEASE",
    "MAX_ATTEMPTS",
    "PAUSABLE_KINDS",
    "SAFETY_MAX_ATTEMPTS",
    "Dispatcher",
    "SendRules",
    "claim_due",
    "dispatch_pending",
    "dispatch_safety",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A safety reply is retried for about ten minutes (2, 4, ... 60, 60 s) before staff are told.
SAFETY_MAX_ATTEMPTS = 14
MAX_BACKOFF = timedelta(seconds=60)
LEASE = timedelta(minutes=5)
DEFAULT_BATCH_SIZE = 50
# Sends in flight per channel, unless the channel says (`send_concurrency`). A safety reply takes
# the next free place, and then may wait in the provider's limiter behind the others in flight:
# a channel with a rate limit keeps this small (Telegram: 4, a seventh of a second at 30/s).
DEFAULT_GATE_WIDTH = 16
# Messages one recipient may have claimed ahead in this process (one sweep claims no more for
# them, so one chat's backlog cannot fill a batch and hold up every other recipient).
AHEAD_PER_RECIPIENT = 3
# A channel's replies claimed by the direct path (`send_now`) and not yet finished here: at most
# this many seconds of its sending rate (`sends_per_second`, when the channel has a limit),
# within these bounds. Beyond it a request's ordinary replies stay in the outbox and the sweep
# takes them in batches, in order. Unbounded, a burst faster than the channel (15,000 texts at
# ~200/s, SMS at its default 1 message/s) left 15,000 rows claimed in memory, each claim
# carrying all their ids (2.5 GB, a core busy, answers slowing), rows held past their lease.
DIRECT_BACKLOG_SECONDS = 30.0
DIRECT_BACKLOG_MIN = 20
DIRECT_BACKLOG_MAX = 1000
# Claims remembered for `Dispatcher.claimed_here`: far more than are ever under way at once.
CLAIMS_REMEMBERED = 4096
# A row cleared by the send rules in its claim goes without checking them again this soon
# after; one that waited longer in its recipient's queue is checked again first.
STILL_CLEARED_SECONDS = 0.2
# A claim this young cannot have been taken by another worker (that needs the lease expired):
# half the lease, a margin for clocks that differ between machines.
UNCONTESTED_LEASE_SECONDS = LEASE.total_seconds() / 2
# What staff are told when a safety reply could not be delivered (an urgent alert kind).
UNDELIVERED_ALERT = "reply_undelivered"


@dataclass(frozen=True)
class _Claimed:
    row: OutboxMessage
    now: datetime  # the clock at the claim: the rules, the record and back-off use it
    # The patient's language, read with the claim, which also applied the send rules (a safety
    # reply passes all of them): a message sent at once needs no other transaction first.
    locale: str | None = None
    cleared_at: float = 0.0  # time.monotonic() of the claim
    # time.monotonic() when its cause arrived (bot/channels/send_order.py): the order it is
    # served in at the gate, the allowance and the provider's limiter.
    since: float = 0.0


class Dispatcher:
    """Claimed rows in per-recipient queues, sent concurrently; lives as long as its runtime
    (or one `dispatch_pending` call)."""

    def __init__(
        self,
        db: Engine,
        *,
        rules: SendRules | None = None,
        default_locale: str = "en",
        batch_size: int = DEFAULT_BATCH_SIZE,
        gate_width: int = DEFAULT_GATE_WIDTH,
    ) -> None:
        self.db = db
        self.rules = rules
        self.default_locale = default_locale
        self.batch_size = batch_size
        self._gate_width = gate_width
        self._gates: dict[str, PriorityGate] = {}
        self._allowances: dict[str, Allowance] = {}
        self.records = SentRecords(db)
        self._queues: dict[tuple[str, str], deque[_Claimed]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[int, tuple[str, str]] = {}  # claimed here and not finished
        # Of those, the ones the sweep claimed (id -> channel): only they count against its
        # batch. Direct sends in flight do not: counted too, a busy minute of replies left the
        # sweep no room at all, and what only it finds (retries, rows held back for order,
        # scheduled messages) starved (83 s under the harness, limits on, N = 200).
        self._swept: dict[int, str] = {}
        # Of those, the ordinary rows the direct path claimed (id -> channel), and how many per
        # channel: bounded by `direct_room` (safety replies are never counted nor held back).
        self._direct: dict[int, str] = {}
        self._direct_count: dict[str, int] = {}
        # Safety replies under way, per recipient: that recipient's other messages wait for them.
        self._urgent: dict[tuple[str, str], set[asyncio.Task[None]]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.interrupted: set[int] = set()  # claims an outage cut short: to be put back
        # Rows claimed in this process lately, by any lane (see `claimed_here`): id -> whether it
        # is a safety reply.
        self._claimed_lately: OrderedDict[int, bool] = OrderedDict()
        self.sent = 0
        # The last sweep left due rows behind (its batch was full): when a recipient finishes,
        # `on_room` is called so the sweep can claim more without waiting for its timer.
        self.more_due = False
        self.on_room: Callable[[], None] | None = None

    # ---- claiming -----------------------------------------------------------------------

    async def send_now(
        self, ids: Collection[int], channels: Mapping[str, Channel], now: datetime
    ) -> tuple[int, bool]:
        """Claim these rows (a request's replies, just committed) and queue them. Returns how
        many were claimed (a row another worker or the sweep took is theirs to send) and
        whether a safety reply was among them."""
        if not ids or not channels:
            return 0, False
        # A channel whose direct backlog is full gets only its safety replies claimed here; the
        # rest wait in the outbox for the sweep (the caller wakes it: not all were claimed).
        # Requests under way at once may each pass the check: the bound is soft by that many.
        roomy = [name for name, channel in channels.items() if self.direct_room(channel) > 0]
        rows, locales = await asyncio.to_thread(
            claim_replies,
            self.db,
            roomy,
            now,
            ids,
            held=set(self._held),
            lease_end=now - LEASE,
            rules=self.rules,
            safety_channels=list(channels),
        )
        for row in rows:
            if not send_rules.is_safety(row):
                self._direct[row.id or 0] = row.channel
                self._direct_count[row.channel] = self._direct_count.get(row.channel, 0) + 1
        # Called from the request's own context: its replies go in line by its arrival.
        self._queue_all(rows, channels, now, locales, since=send_order.arrival())
        return len(rows), any(send_rules.is_safety(row) for row in rows)

    def direct_room(self, channel: Channel) -> int:
        """How many more ordinary replies the direct path may claim for `channel` now."""
        rate = getattr(channel, "sends_per_second", None)
        limit = DIRECT_BACKLOG_MAX
        if rate:
            limit = min(limit, max(DIRECT_BACKLOG_MIN, int(rate * DIRECT_BACKLOG_SECONDS)))
        return limit - self._direct_count.get(channel.name, 0)

    async def top_up(
        self,
        channels: Mapping[str, Channel],
        now: datetime,
        *,
        kinds: Sequence[str] | None = None,
    ) -> int:
        """Claim due rows of each channel up to `batch_size` held here, and queue them."""
        claimed = 0
        more_due = False
        safety_only = kinds is not None and set(kinds) <= set(SAFETY_KINDS)
        for name, channel in channels.items():
            room = self.batch_size - sum(1 for held in self._swept.values() if held == name)
            if safety_only:  # a safety reply never waits for room
                room = self.batch_size
            if room <= 0:  # full: sweep again as soon as one of its rows is done
                more_due = True
                continue
            busy = [] if safety_only else self._busy_addresses(name)
            rows, left_some, locales = await asyncio.to_thread(
                _claim,
                self.db,
                [name],
                now,
                room,
                kinds=kinds,
                held=set(self._held),
                skip_addresses=busy,
                rules=self.rules,
                check=True,
            )
            self._queue_all(rows, {name: channel}, now, locales)
            if not safety_only:
                self._swept.update((row.id or 0, name) for row in rows)
            claimed += len(rows)
            more_due = more_due or left_some or bool(busy)
        if not safety_only:
            self.more_due = more_due
        return claimed

    async def run_once(
        self, channels: Mapping[str, Channel], now: datetime, *, one_batch: bool = False
    ) -> int:
        """Send everything due now (or about one batch per channel) and wait until it has
        gone; returns how many were sent."""
        before = self.sent
        total = await self.top_up(channels, now, kinds=SAFETY_KINDS)
        while True:
            claimed = await self.top_up(channels, now)
            total += claimed
            await self.drain()
            if not claimed or (one_batch and total >= self.batch_size):
                break
        await self.drain()
        return self.sent - before

    async def drain(self) -> None:
        """Wait until every queued message was sent (or held, failed, put back)."""
        while self._tasks:
            await self._idle.wait()

    async def close(self, within: float) -> None:
        """Let what is under way finish for up to `within` seconds, then stop; what was claimed
        and not sent goes back to the outbox."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.drain()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.records.settle(within)  # what went out is recorded, not re-sent later
        await asyncio.to_thread(release, self.db, self.interrupted)

    def _let_go(self, row_id: int) -> None:
        """A claimed row is finished here (sent, failed, deferred or put back)."""
        self._held.pop(row_id, None)
        self._swept.pop(row_id, None)
        channel = self._direct.pop(row_id, None)
        if channel is not None:
            left = self._direct_count[channel] - 1
            if left:
                self._direct_count[channel] = left
            else:
                del self._direct_count[channel]

    def claimed_here(self, ids: Collection[int]) -> bool:
        """Whether this process claimed every one of these rows lately (sent or not yet).

        A request's replies that its direct send did not get were most often taken a moment
        earlier by this process's own sweep, which runs while replies are committed: they are
        under way, and waking the sweep again for them made it run after every answer and take
        the next request's replies before their direct send could (under the harness, over half
        of the replies went by the sweep, each ORM claim costing 1.3-2 ms of CPU per answer)."""
        return all(row_id in self._claimed_lately for row_id in ids)

    def safety_claimed_here(self, ids: Collection[int]) -> bool:
        """Whether a safety reply is among these rows claimed here lately, whichever lane
        claimed it (the direct send, the safety lane, the sweep)."""
        return any(self._claimed_lately.get(row_id, False) for row_id in ids)

    def _busy_addresses(self, channel: str) -> list[str]:
        counts: dict[str, int] = {}
        for name, address in self._held.values():
            if name == channel:
                counts[address] = counts.get(address, 0) + 1
        return [address for address, n in counts.items() if n >= AHEAD_PER_RECIPIENT]

    # ---- the queues -----------------------------------------------------------------------

    def _queue_all(
        self,
        rows: Sequence[OutboxMessage],
        channels: Mapping[str, Channel],
        now: datetime,
        cleared: Mapping[int, str | None],
        *,
        since: float | None = None,
    ) -> None:
        """Queue claimed rows; `since` is when their cause arrived (default: each row's age)."""
        clock = time.monotonic()
        for row in rows:
            channel = channels[row.channel]
            key = (row.channel, row.address)
            self._held[row.id or 0] = key
            self._claimed_lately[row.id or 0] = send_rules.is_safety(row)
            if len(self._claimed_lately) > CLAIMS_REMEMBERED:
                self._claimed_lately.popitem(last=False)
            stamp = (
                since
                if since is not None
                else send_order.since_for_age(_cause_age(row, now), now=clock)
            )
            item = _Claimed(row, now, cleared.get(row.id or 0), clock, stamp)
            if send_rules.is_safety(row):  # waits for nobody, not even its own chat's queue
                task = self._spawn(self._send_safety(channel, item), f"pathbot-safety-{row.id}")
                # ... but that chat's other messages claimed with it or after wait for it
                urgent = self._urgent.setdefault(key, set())
                urgent.add(task)
                task.add_done_callback(functools.partial(self._urgent_done, key))
                continue
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(item)  # its recipient's task sends it after the earlier ones
                continue
            self._queues[key] = deque([item])
            _ = self._spawn(self._serve(channel, key), f"pathbot-recipient-{row.id}")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)
        return task

    def _urgent_done(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        waiting = self._urgent.get(key)
        if waiting is not None:
            waiting.discard(task)
            if not waiting:
                del self._urgent[key]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self.more_due and self.on_room is not None:
            self.on_room()
        if not self._tasks:
            self._idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("a send task failed", exc_info=task.exception())

    async def _send_safety(self, channel: Channel, item: _Claimed) -> None:
        try:
            await self._send_guarded(channel, item, ())
        finally:
            self._let_go(item.row.id or 0)

    async def _serve(self, channel: Channel, key: tuple[str, str]) -> None:
        """One recipient's messages, in order."""
        queue = self._queues[key]
        try:
            while queue:
                while self._urgent.get(key):  # a safety reply to this recipient goes first
                    await asyncio.wait(set(self._urgent[key]))
                item = queue.popleft()
                try:
                    await self._send_guarded(channel, item, queue)
                finally:
                    self._let_go(item.row.id or 0)
        finally:
            for rest in queue:  # only after an outage or a cancellation: put back below
                self.interrupted.add(rest.row.id or 0)
                self._let_go(rest.row.id or 0)
            del self._queues[key]

    # ---- one message ----------------------------------------------------------------------

    async def _send_guarded(
        self, channel: Channel, item: _Claimed, after: deque[_Claimed] | tuple[()]
    ) -> None:
        """`_send_one`, except that a row which fails other than by a database outage (a bug, a
        value the database refuses) is failed loudly instead of being retried for ever, and an
        outage gives the claim back (the rest of the recipient's queue too)."""
        row = item.row
        try:
            # Everything this send asks of the provider is in line by its cause's arrival.
            with send_order.serving(item.since, urgent=send_rules.is_safety(row)):
                if await self._send_one(channel, item, after):
                    self.sent += 1
        except Exception as exc:
            if is_outage(exc):
                log.warning("database unavailable; message %s goes back to the outbox", row.id)
                self.interrupted.add(row.id or 0)
                if isinstance(after, deque):
                    self.interrupted.update(rest.row.id or 0 for rest in after)
                    for rest in after:
                        self._let_go(rest.row.id or 0)
                    after.clear()
                return
            log.error("message %s could not be sent (%s)", row.id, type(exc).__name__)
            await asyncio.to_thread(_record_internal_failure, self.db, row, item.now)

    async def _send_one(
        self, channel: Channel, item: _Claimed, after: deque[_Claimed] | tuple[()]
    ) -> bool:
        row, now, rules = item.row, item.now, self.rules
        urgent = send_rules.is_safety(row)
        if self._only_ownership_matters(item) or (
            time.monotonic() - item.cleared_at < STILL_CLEARED_SECONDS
        ):
            locale = item.locale  # cleared by the claim (and ours since; nothing could stop it)
        else:  # it waited in its recipient's queue: STOP or PAUSE may have come meanwhile
            verdict, locale = await asyncio.to_thread(
                send_rules.verdict_now, self.db, row, now, rules
            )
            if verdict != "send":
                return False
        envelope = OutboundEnvelope(
            outbox_id=row.id or 0,
            address=row.address,
            kind=row.kind,
            text=row.body,
            hint=row.hint,
            options=tuple(row.options),
            locale=locale or self.default_locale,
        )
        if (
            isinstance(channel, Paced)
            and await channel.wait_turn(envelope) > 0
            and not self._only_ownership_matters(item)
        ):
            # Time passed while the message waited for its slot: STOP (or PAUSE, or a hold)
            # may have come meanwhile, and nothing goes out after it.
            verdict, _ = await asyncio.to_thread(send_rules.verdict_now, self.db, row, now, rules)
            if verdict != "send":
                return False
        if urgent:  # a safety reply takes no place in the allowance: nothing delays it
            return await self._send_and_record(channel, envelope, item, after)
        async with self._allowance(channel).place(since=item.since) as waited:
            if waited > STILL_CLEARED_SECONDS and not self._only_ownership_matters(item):
                # the records were slow: check the rules again
                verdict, _ = await asyncio.to_thread(
                    send_rules.verdict_now, self.db, row, now, rules
                )
                if verdict != "send":
                    return False
            return await self._send_and_record(channel, envelope, item, after)

    @staticmethod
    def _only_ownership_matters(item: _Claimed) -> bool:
        """Whether no re-read of the send rules could stop this row: a safety reply (it goes
        whatever happens), or a row only ownership could stop (`send_rules.unstoppable`) while
        its claim is young enough that no other worker can have taken it over."""
        if send_rules.is_safety(item.row):
            return True
        young = time.monotonic() - item.cleared_at < UNCONTESTED_LEASE_SECONDS
        return young and send_rules.unstoppable(item.row)

    async def _send_and_record(
        self,
        channel: Channel,
        envelope: OutboundEnvelope,
        item: _Claimed,
        after: deque[_Claimed] | tuple[()],
    ) -> bool:
        """Send through the channel's gate, then record "sent" with the sends that finished
        with it (bot/service/sent_records.py); the gate's place is free before the record."""
        row, now = item.row, item.now
        try:
            async with self._gate(channel).place(
                urgent=send_rules.is_safety(row), since=item.since
            ):
                provider_id = await channel.send(replace(envelope, turn_taken=True))
        except SendError as exc:
            retry_at = await asyncio.to_thread(_record_failure, self.db, row, exc, now)
            if retry_at is not None and isinstance(after, deque) and after:
                # The rest of this recipient's messages wait with it: question 2 never
                # overtakes question 1.
                ids = [rest.row.id or 0 for rest in after]
                for rest in after:
                    self._let_go(rest.row.id or 0)
                after.clear()
                await until_database_answers(lambda: _defer(self.db, ids, retry_at))
            return False
        segments = channel.segments(envelope) if isinstance(channel, Segmented) else None
        # An outage here is ridden out (else the message would go again after its lease).
        await self.records.record(Accepted(row.id or 0, provider_id, now, segments))
        return True

    def _allowance(self, channel: Channel) -> Allowance:
        """Ordinary sends in flight or awaiting their record: as many as the gate lets through."""
        allowance = self._allowances.get(channel.name)
        if allowance is None:
            allowance = self._allowances[channel.name] = Allowance(self._width(channel))
        return allowance

    def _gate(self, channel: Channel) -> PriorityGate:
        """The channel's gate; its width is the channel's `send_concurrency` when it says."""
        gate = self._gates.get(channel.name)
        if gate is None:
            gate = self._gates[channel.name] = PriorityGate(self._width(channel))
        return gate

    def _width(self, channel: Channel) -> int:
        return int(getattr(channel, "send_concurrency", None) or self._gate_width)


# ---- the functions the CLI, simulations and tests call ------------------------------------


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
    dispatcher = Dispatcher(
        db,
        rules=rules,
        default_locale=default_locale,
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
    )
    sent = await dispatcher.run_once(channels, now, one_batch=batch_size is not None)
    await asyncio.to_thread(release, db, dispatcher.interrupted)
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
    dispatcher = Dispatcher(db, default_locale=default_locale)
    sent = 0
    while await dispatcher.top_up(channels, now, kinds=SAFETY_KINDS):
        await dispatcher.drain()
        sent = dispatcher.sent
    await asyncio.to_thread(release, db, dispatcher.interrupted)
    return sent


def claim_due(
    db: Engine,
    channel: str | Sequence[str],
    now: datetime,
    limit: int,
    *,
    kinds: Sequence[str] | None = None,
    ids: Collection[int] | None = None,
    held: Collection[int] = (),
    skip_addresses: Collection[str] = (),
) -> list[OutboxMessage]:
    """Lock and claim up to `limit` due rows, safety replies first; rows another dispatcher
    holds are skipped. `kinds` narrows the claim (the safety lane claims only its own), `ids`
    claims exactly those rows if due; `held` are rows this process claimed and has queued (they
    keep their place, so they hold nothing back); `skip_addresses` have enough queued here."""
    channels = [channel] if isinstance(channel, str) else list(channel)
    rows, _, _ = _claim(
        db,
        channels,
        now,
        limit,
        kinds=kinds,
        ids=ids,
        held=held,
        skip_addresses=skip_addresses,
    )
    return rows


def _claim(
    db: Engine,
    channels: list[str],
    now: datetime,
    limit: int,
    *,
    kinds: Sequence[str] | None = None,
    ids: Collection[int] | None = None,
    held: Collection[int] = (),
    skip_addresses: Collection[str] = (),
    rules: SendRules | None = None,
    check: bool = False,
) -> tuple[list[OutboxMessage], bool, dict[int, str | None]]:
    """`claim_due`; whether due rows were left behind (a full batch, or rows held back); and
    the rows cleared to go, with their patient's language: every safety reply, and with `check`
    every row that passed the send rules in the claim's own transaction (a row the rules held,
    dropped or cancelled is changed there and not returned)."""
    with session_scope(db) as session:
        rows, left_some = _due_rows(
            session, channels, now, limit, kinds=kinds, ids=ids, skip_addresses=skip_addresses
        )
        rows = _in_order(session, rows, now, held)
        if ids is None:  # a request's own replies are claimed together, however many
            kept = _few_per_recipient(rows)
            left_some = left_some or len(kept) < len(rows)
            rows = kept
        for row in rows:
            row.status = "sending"
            row.claimed_at = now
            session.add(row)
        session.flush()
        cleared = _clear(session, rows, now, rules, check=check)
    if check:
        rows = [row for row in rows if (row.id or 0) in cleared]
    return rows, left_some, cleared


def _clear(
    session: Session,
    rows: list[OutboxMessage],
    now: datetime,
    rules: SendRules | None,
    *,
    check: bool,
) -> dict[int, str | None]:
    """The rows cleared to go now, with their patient's language (see `_claim`)."""
    judged = [r for r in rows if check or r.kind in SAFETY_KINDS]
    wanted = {r.patient_id for r in judged if r.patient_id is not None}
    patients = (
        {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(wanted))).all()}
        if wanted
        else {}
    )
    cleared: dict[int, str | None] = {}
    for row in judged:
        patient = patients.get(row.patient_id) if row.patient_id is not None else None
        safety = row.kind in SAFETY_KINDS
        if safety or send_rules.verdict(session, row, patient, now, rules) == "send":
            cleared[row.id or 0] = patient.locale if patient is not None else None
    return cleared


def _cause_age(row: OutboxMessage, now: datetime) -> float:
    """Seconds since the cause of this row: a reply (or a retry) waits since it was written, a
    message written ahead of its time since it came due."""
    caused = row.created_at
    if row.in_reply_to is None and row.attempts == 0 and row.not_before > caused:
        caused = row.not_before
    if (caused.tzinfo is None) != (now.tzinfo is None):  # both UTC: compare them as such
        caused, now = caused.replace(tzinfo=None), now.replace(tzinfo=None)
    return (now - caused).total_seconds()


def _due_rows(
    session: Session,
    channels: list[str],
    now: datetime,
    limit: int,
    *,
    kinds: Sequence[str] | None,
    ids: Collection[int] | None,
    skip_addresses: Collection[str],
) -> tuple[list[OutboxMessage], bool]:
    """Lock up to `limit` due rows, safety replies first, then by id; and whether due rows may
    have been left behind (a part of the search came back full).

    "Due" is two kinds of row, each searched on its own, in id order, up to `limit`: pending
    rows whose time has come (the ordinary rows, and the safety replies apart, so a backlog of
    ordinary rows never hides one), and rows whose lease expired (their worker died). The
    pending searches walk partial indexes that hold only pending rows (`ix_outboxmessage_pending`,
    `ix_outboxmessage_pending_safety`) and stop at `limit`; rows in flight are few.

    Asked in one query (either condition, safety first by a CASE), a claim read and sorted
    every due row, and PostgreSQL walked the primary key through every row ever sent: with
    30,000 rows waiting for a slow channel, a safety round took 8 ms and a sweep 13 ms on
    SQLite (PostgreSQL, behind 100,000 sent rows: 17 and 44 ms), against about 1 ms with
    nothing waiting. Now 1-2 ms on SQLite and 2-5 on PostgreSQL; up to 6 and 10 ms when 20,000
    rows held for later (quiet hours) come first in id order, passed over inside the index."""
    filters: list[ColumnElement[bool]] = [col(OutboxMessage.channel).in_(channels)]
    if ids is not None:
        filters.append(col(OutboxMessage.id).in_(list(ids)))
    if skip_addresses:  # (never a safety reply: it waits for nobody)
        filters.append(
            or_(
                col(OutboxMessage.kind).in_(SAFETY_KINDS),
                col(OutboxMessage.address).not_in(list(skip_addresses)),
            )
        )
    # (written as the partial indexes' conditions: see OutboxMessage)
    pending = and_(text(PENDING_SQL), col(OutboxMessage.not_before) <= now)
    expired = and_(
        col(OutboxMessage.status) == "sending", col(OutboxMessage.claimed_at) < now - LEASE
    )
    kind = col(OutboxMessage.kind)
    safety_kinds = [k for k in (SAFETY_KINDS if kinds is None else kinds) if k in SAFETY_KINDS]
    other_kinds = None if kinds is None else [k for k in kinds if k not in SAFETY_KINDS]
    searches: list[list[ColumnElement[bool]]] = []
    if safety_kinds:
        narrower = [kind.in_(safety_kinds)] if set(safety_kinds) != set(SAFETY_KINDS) else []
        searches.append([and_(pending, text(SAFETY_SQL), *narrower)])
    if other_kinds is None:
        searches.append([pending])  # (finds safety replies too: they are kept once)
    elif other_kinds:
        searches.append([pending, kind.in_(other_kinds)])
    searches.append([expired] if kinds is None else [expired, kind.in_(kinds)])
    found: dict[int, OutboxMessage] = {}
    full = False
    for conditions in searches:
        part = session.exec(
            select(OutboxMessage)
            .where(*filters, *conditions)
            .order_by(col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        full = full or len(part) >= limit
        found.update((row.id or 0, row) for row in part)
    rows = sorted(found.values(), key=lambda r: (r.kind not in SAFETY_KINDS, r.id or 0))
    return rows[:limit], full or len(rows) > limit


def _few_per_recipient(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """At most `AHEAD_PER_RECIPIENT` ordinary rows per recipient in one claim: the rest of a
    long backlog to one chat stays in the outbox for the next claim, and the claim's places
    go to other recipients. (Skipping rows at the end of a recipient's run keeps the order.)"""
    counts: dict[tuple[str, str], int] = {}
    kept = []
    for row in rows:
        if row.kind in SAFETY_KINDS:
            kept.append(row)
            continue
        key = (row.channel, row.address)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= AHEAD_PER_RECIPIENT:
            kept.append(row)
    return kept


def _in_order(
    session: Session, rows: list[OutboxMessage], now: datetime, held: Collection[int]
) -> list[OutboxMessage]:
    """Keep a patient's messages in order: skip a row while an earlier one is still unsent
    elsewhere (another dispatcher holds it, or it is due but not in this claim), so question 2
    never overtakes question 1. Rows this process holds are queued ahead of it already. A
    safety reply waits for nothing: it may overtake anything."""
    ordered = [r for r in rows if r.kind not in SAFETY_KINDS]
    if not ordered:
        return rows
    ids = {r.id for r in rows} | set(held)
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


def release(db: Engine, ids: set[int]) -> int:
    """Put back rows this process claimed and never finished (an outage cut them short): they
    were not sent (a sent row's record rides out an outage: `SentRecords`), so they go back to
    pending at once instead of waiting out the lease. Empties `ids` as they go back."""
    if not ids:
        return 0
    taken = list(ids)
    with session_scope(db) as session:
        result = session.connection().execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(taken), col(OutboxMessage.status) == "sending")
            .values(status="pending", claimed_at=None)
        )
    ids.difference_update(taken)
    return int(result.rowcount or 0)


def _defer(db: Engine, ids: list[int], until: datetime) -> None:
    """A recipient's later messages wait until its failed one is retried."""
    with session_scope(db) as session:
        session.connection().execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == "sending")
            .values(status="pending", claimed_at=None, not_before=until)
        )


def _record_failure(
    db: Engine, row: OutboxMessage, exc: SendError, now: datetime
) -> datetime | None:
    """What a failed send leaves behind: a retry later (returns when), or a final failure
    (alerted, and maybe re-routed to another channel)."""
    with session_scope(db) as session:
        final = not isinstance(exc, RetryableSendError) or row.attempts + 1 >= _max_attempts(row)
        if not final:
            assert isinstance(exc, RetryableSendError)
            retry_at = now + _backoff(row, exc.retry_after)
            send_rules.update(
                session, row, status="pending", error_code=exc.code, not_before=retry_at
            )
            return retry_at
        failed = send_rules.update(session, row, status="failed", error_code=exc.code)
        if isinstance(exc, ContactStopped):
            send_rules.mark_identity(session, row, exc.identity_status)
        _after_final_failure(session, failed or row, now)
        return None


def _record_internal_failure(db: Engine, row: OutboxMessage, now: datetime) -> None:
    with session_scope(db) as session:
        failed = send_rules.update(session, row, status="failed", error_code="internal")
        _after_final_failure(session, failed or row, now)


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
