"""The dispatcher serves recipients side by side (issue 16).

Before, one sequential loop awaited each chat's pacing slot inside the loop, so every other chat
waited behind it (about 4.7 answers a second whatever the load). Now each recipient has a queue
and a task of its own; a channel's sends run concurrently up to its provider's limit, with safety
replies first; the outbox stays the queue that several workers share.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.channels.base import Channel, OutboundEnvelope
from bot.channels.console import ConsoleChannel
from bot.channels.telegram.adapter import ChatPacer
from bot.conversation.messages import SAFETY_KINDS, Inbound, Outgoing, OutgoingKind
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage, Patient
from bot.schedule.outbox import enqueue_scheduled
from bot.service.app import App
from bot.service.dispatcher import Dispatcher
from bot.service.priority_gate import PriorityGate
from bot.service.runtime import Runtime
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock
from tests.telegram_support import TelegramHarness, eventually


def _enqueue(
    app: App,
    channel: str,
    address: str,
    texts: Sequence[str],
    *,
    kind: OutgoingKind = "prompt",
    patient_id: int | None = None,
    prefix: str = "q",
) -> list[int]:
    with session_scope(app.db) as s:
        rows = store.enqueue(
            s,
            patient_id=patient_id,
            channel=channel,
            address=address,
            messages=[Outgoing(kind, text) for text in texts],
            dedupe_prefix=f"{prefix}:{address}",
            now=app.pipeline.now(),
        )
        return [r.id or 0 for r in rows]


def _rows(app: App) -> list[OutboxMessage]:
    with Session(app.db) as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


class Recorder:
    """A channel that takes a little time per send and records (address, outbox id) in order;
    paced per address when given a pacer."""

    def __init__(
        self, name: str, log: list[tuple[str, int, float]], pacer: ChatPacer | None = None
    ) -> None:
        self.name = name
        self.log = log
        self.pacer = pacer
        self.turns: list[tuple[str, float]] = []  # when each message's pacing slot came

    async def wait_turn(self, message: OutboundEnvelope) -> float:
        if self.pacer is None:
            return 0.0
        urgent = message.kind in SAFETY_KINDS
        waited = await self.pacer.wait(int(message.address), urgent=urgent)
        self.turns.append((message.address, time.monotonic()))
        return waited

    async def send(self, message: OutboundEnvelope) -> str:
        await asyncio.sleep(0.001)  # a round trip: other recipients' sends interleave
        self.log.append((message.address, message.outbox_id, time.monotonic()))
        return f"{self.name}-{message.outbox_id}"


# ---- the gate ---------------------------------------------------------------------------


async def test_the_gate_lets_a_safety_reply_through_before_everyone_waiting() -> None:
    gate = PriorityGate(1)
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with gate.place():
            await release.wait()

    async def send(name: str, *, urgent: bool = False) -> None:
        async with gate.place(urgent=urgent):
            order.append(name)

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(send(name)) for name in ("a", "b", "c")]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(send("crisis", urgent=True)))
    await asyncio.sleep(0)
    assert gate.waiting == 4
    release.set()
    await asyncio.gather(held, *waiting)
    assert order == ["crisis", "a", "b", "c"]


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    gate = PriorityGate(1)
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with gate.place():
            await release.wait()

    async def send(name: str) -> None:
        async with gate.place():
            order.append(name)

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    first, second = asyncio.create_task(send("first")), asyncio.create_task(send("second"))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    await asyncio.gather(held, second)
    assert order == ["second"]
    async with gate.place():  # and the place is free again afterwards
        order.append("later")
    assert order == ["second", "later"]


# ---- several workers --------------------------------------------------------------------


@pytest.mark.postgres
async def test_two_workers_share_the_outbox_without_sending_anything_twice(
    postgres_url: str, clock: FakeClock
) -> None:
    """Two workers (two engines, as two processes would have) drain 300 messages to 100
    recipients at once: each message goes out exactly once, and each recipient's in order."""
    first, second = make_app(postgres_url, clock), make_app(postgres_url, clock)
    expected: dict[str, list[int]] = {}
    for n in range(100):
        address = f"{6_000_000_000 + n}"
        expected[address] = _enqueue(first, "sms", address, ["one", "two", "three"])
    log: list[tuple[str, int, float]] = []
    workers = [
        Dispatcher(first.db, batch_size=40, gate_width=8),
        Dispatcher(second.db, batch_size=40, gate_width=8),
    ]

    async def work(dispatcher: Dispatcher) -> int:
        return await dispatcher.run_once({"sms": Recorder("sms", log)}, clock())

    counts = await asyncio.gather(*(work(d) for d in workers))
    sent_ids = [outbox_id for _, outbox_id, _ in log]
    assert sorted(sent_ids) == sorted(i for ids in expected.values() for i in ids)
    assert len(set(sent_ids)) == len(sent_ids) == sum(counts) == 300
    assert all(c > 0 for c in counts), counts  # both workers took part
    for address, ids in expected.items():
        assert [i for a, i, _ in log if a == address] == ids  # in order, across workers
    assert {r.status for r in _rows(first)} == {"sent"}
    first.db.dispose()
    second.db.dispose()


# ---- pacing, priority, throttling -------------------------------------------------------


async def test_one_chat_is_paced_and_no_other_chat_waits_for_it(
    sqlite_url: str, clock: FakeClock
) -> None:
    """a's pacing sleeps do not end before b's message is out, whatever the machine's load: a
    dispatcher that awaited a's pacing before serving b would never send b, and the test fails
    on the timeout instead of on a race between 0.3 s of pacing and a busy machine."""
    app = make_app(sqlite_url, clock)
    a, b = "6000000001", "6000000002"
    a_ids = _enqueue(app, "telegram", a, ["a1", "a2", "a3"])
    (b_id,) = _enqueue(app, "telegram", b, ["b1"])
    log: list[tuple[str, int, float]] = []
    b_sent = asyncio.Event()

    async def pacing_sleep(seconds: float) -> None:  # only a's later messages are ever paced
        await asyncio.wait_for(b_sent.wait(), timeout=10)
        await asyncio.sleep(seconds)

    class NotingRecorder(Recorder):
        async def send(self, message: OutboundEnvelope) -> str:
            sent_as = await super().send(message)
            if message.address == b:
                b_sent.set()
            return sent_as

    channel = NotingRecorder("telegram", log, ChatPacer(0.3, sleep=pacing_sleep))
    sent = await Dispatcher(app.db).run_once({"telegram": channel}, clock())
    assert sent == 4
    times = [t for address, t in channel.turns if address == a]
    assert [i for address, i, _ in log if address == a] == a_ids
    assert all(later - earlier >= 0.29 for earlier, later in zip(times, times[1:], strict=False))
    order = [i for _, i, _ in log]
    assert order.index(b_id) < order.index(a_ids[1])  # b did not wait behind a's pacing
    app.db.dispose()


async def test_a_crisis_answer_overtakes_200_strangers_waiting_for_the_rate_limit(
    db_url: str, clock: FakeClock
) -> None:
    """200 refusals to 200 chats wait for Telegram's overall limit (the FairRateLimiter, here
    20 a second); a patient's crisis answer queued meanwhile takes the next free place.

    20, not Telegram's 30: the backlog then lasts 10 s, so on a loaded machine it is still there
    when the patient's message has been handled (at 50 a second it lasted 4 s: too close)."""
    async with TelegramHarness(db_url, clock, per_chat_interval=1.0, overall_per_second=20) as h:
        assert h.channel is not None and h.runtime is not None
        patient = 424242
        await h.enrol(patient)
        strangers = [str(700_000 + n) for n in range(200)]
        for chat in strangers:
            _enqueue(h.app, "telegram", chat, ["this chat is not linked"], kind="reply")
        dispatcher = Dispatcher(h.app.db, batch_size=300)
        channels = {"telegram": h.channel}

        def stranger_sends() -> int:
            return sum(1 for p in h.fake.calls_of("sendMessage") if str(p["chat_id"]) in strangers)

        backlog = asyncio.create_task(dispatcher.run_once(channels, clock()))
        await eventually(lambda: stranger_sends() >= 10)
        before = h.channel.updates_handled
        channel = h.channel
        h.fake.push_text(patient, "i want to kill myself tonight")
        await eventually(lambda: channel.updates_handled > before)
        await dispatcher.top_up(channels, clock(), kinds=SAFETY_KINDS)  # the safety lane
        queued_after = stranger_sends()
        await backlog
        await dispatcher.drain()
        chats = [str(p["chat_id"]) for p in h.fake.calls_of("sendMessage")]
        texts = [str(p["text"]) for p in h.fake.calls_of("sendMessage")]
        crisis = next(n for n, t in enumerate(texts) if "988" in t and chats[n] == str(patient))
        ahead = sum(1 for chat in chats[:crisis] if chat in strangers)
        assert queued_after < 150, "the backlog had drained before the crisis answer was queued"
        # ahead of it: what had gone, the sends holding the gate's places (waiting in the
        # limiter), and the one whose place it took
        width = h.channel.send_concurrency
        assert ahead <= queued_after + 2 * width + 2, (ahead, queued_after)
        assert stranger_sends() == 200


async def test_flood_control_holds_a_chats_later_messages_and_no_one_elses(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock, retries_after_429=0) as h:
        assert h.channel is not None
        a, b = 6_000_000_011, 6_000_000_012
        a_ids = _enqueue(h.app, "telegram", str(a), ["a1", "a2"])
        _enqueue(h.app, "telegram", str(b), ["b1"])
        h.fake.fail_next(
            "sendMessage", 429, "Too Many Requests: retry after 30", chat_id=a, retry_after=30
        )
        await h.dispatch()
        assert h.texts(b) == ["b1"]
        rows = {r.id: r for r in _rows(h.app)}
        first, second = rows[a_ids[0]], rows[a_ids[1]]
        assert (first.status, first.error_code, first.attempts) == ("pending", "429", 1)
        assert (second.status, second.attempts) == ("pending", 0)  # waits with it, not counted
        assert first.not_before == second.not_before == clock() + timedelta(seconds=30)
        clock.advance(seconds=10)
        await h.dispatch()
        assert h.texts(a) == ["a1"]  # only the refused attempt: Retry-After is honoured
        clock.advance(seconds=21)
        await h.dispatch()
        assert h.texts(a) == ["a1", "a1", "a2"]  # then again, and the order kept


async def test_stop_still_stops_everything_but_safety_replies_while_others_are_served(
    db_url: str, clock: FakeClock
) -> None:
    app = make_app(db_url, clock)
    stopped_id = add_patient(app, "S001")
    with session_scope(app.db) as s:
        stopped = s.get(Patient, stopped_id)
        assert stopped is not None
        stopped.status = "stopped"
        s.add(stopped)
        enqueue_scheduled(s, patient=stopped, kind="nudge", text="nudge", key="n:0", now=clock())
        address = s.exec(
            select(ChannelIdentity.address).where(ChannelIdentity.patient_id == stopped_id)
        ).one()
    _enqueue(app, "sms", address, ["question"], patient_id=stopped_id)
    (crisis,) = _enqueue(
        app, "sms", address, ["crisis"], kind="crisis", patient_id=stopped_id, prefix="c"
    )
    others = [_enqueue(app, "sms", f"+1802666{n:04d}", ["hello"])[0] for n in range(20)]
    log: list[tuple[str, int, float]] = []
    await Dispatcher(app.db).run_once({"sms": Recorder("sms", log)}, clock())
    assert sorted(i for _, i, _ in log) == sorted([crisis, *others])
    statuses = {r.body: r.status for r in _rows(app) if r.patient_id == stopped_id}
    assert statuses == {"nudge": "cancelled", "question": "cancelled", "crisis": "sent"}
    app.db.dispose()


# ---- the direct path --------------------------------------------------------------------


async def test_a_reply_goes_out_from_the_request_that_stored_it(
    sqlite_url: str, clock: FakeClock
) -> None:
    """With the runtime running, the reply to an answer is claimed by its own request right
    after commit (not by the sweep, which would wait for its timer or a wake)."""
    app = make_app(sqlite_url, clock)
    console = ConsoleChannel(io.StringIO())
    runtime = Runtime(app, [console])
    with session_scope(app.db) as s:
        patient = store.add_patient(s, study_id="D1", now=clock())
        store.bind_channel(
            s,
            patient=patient,
            channel="console",
            address="d1",
            consent_text_version="t",
            method="console",
            now=clock(),
        )
        patient_id = patient.id or 0
    direct: list[tuple[int, ...]] = []
    send_now = runtime.dispatcher.send_now

    async def spy(
        ids: Collection[int], channels: Mapping[str, Channel], now: datetime
    ) -> tuple[int, bool]:
        direct.append(tuple(ids))
        return await send_now(ids, channels, now)

    runtime.dispatcher.send_now = spy  # type: ignore[method-assign]
    await runtime.start()
    try:
        app.pipeline.start_survey(patient_id, "dvprs")
        runtime.wake()
        await eventually(lambda: any(m.text.startswith("Q1/5") for m in console.sent))
        result = await runtime.receive(Inbound("console", "d1", "direct-1", "4", clock()))
        await eventually(lambda: any(m.text.startswith("Q2/5") for m in console.sent))
        assert result.outbox_ids and direct == [result.outbox_ids]
    finally:
        await runtime.stop()
        app.db.dispose()


async def test_replies_the_sweep_took_first_do_not_wake_it_again(
    sqlite_url: str, clock: FakeClock
) -> None:
    """The sweep runs while requests commit their replies and may claim one before the
    request's own direct send does. Those replies are under way: waking the sweep again for
    them made it run after every answer and take the next request's replies too (under the
    harness over half the replies went by the sweep). Replies nobody here claimed still wake it.
    (The runtime is not started: no scheduler tick wakes it meanwhile.)"""
    app = make_app(sqlite_url, clock)
    console = ConsoleChannel(io.StringIO())
    runtime = Runtime(app, [console])
    with session_scope(app.db) as s:
        rows = store.enqueue(
            s,
            patient_id=None,
            channel="console",
            address="d2",
            messages=[Outgoing("reply", "one"), Outgoing("reply", "two")],
            dedupe_prefix="r2",
            now=clock(),
        )
        ids = [row.id or 0 for row in rows]
    wakes: list[str] = []
    runtime.wake = lambda: wakes.append("wake")  # type: ignore[method-assign]
    channels = runtime._metered  # what _running_channels gives once the channel has started
    try:
        assert await runtime.dispatcher.top_up(channels, clock()) == 2  # the sweep was first
        await runtime._send_now(ids, channels)  # the request's direct send finds them taken
        assert wakes == []  # claimed here, under way: nothing for the sweep to come back for
        await runtime._send_now([10**9], channels)  # a row nobody here claimed
        assert wakes == ["wake"]
        await runtime.dispatcher.drain()
        assert [m.text for m in console.sent] == ["one", "two"]  # each once, in order
    finally:
        app.db.dispose()


async def test_a_crisis_reply_another_lane_took_first_still_tells_staff_now(
    sqlite_url: str, clock: FakeClock
) -> None:
    """A crisis reply the safety lane claimed before the request's direct send: the sweep is
    not woken for it (it is under way), but the dispatch loop, which tells staff, still is."""
    app = make_app(sqlite_url, clock)
    console = ConsoleChannel(io.StringIO())
    runtime = Runtime(app, [console])
    with session_scope(app.db) as s:
        (row,) = store.enqueue(
            s,
            patient_id=None,
            channel="console",
            address="d3",
            messages=[Outgoing("crisis", "crisis resources")],
            dedupe_prefix="c3",
            now=clock(),
        )
        crisis_id = row.id or 0
    channels = runtime._metered
    try:
        assert await runtime.dispatcher.top_up(channels, clock(), kinds=SAFETY_KINDS) == 1
        runtime._wake.clear()
        runtime._safety_wake.clear()
        await runtime._send_now([crisis_id], channels)
        assert runtime._wake.is_set()  # the loop runs now and tells staff
        assert not runtime._safety_wake.is_set()  # no sweep asked for: the reply is under way
        await runtime.dispatcher.drain()
        assert [m.text for m in console.sent] == ["crisis resources"]
    finally:
        app.db.dispose()
