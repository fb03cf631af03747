"""The Bot API limiter keeps Telegram's limits and serves calls by their cause's arrival (issue 16).

Most tests call `FairRateLimiter.process_request` the way PTB does, with a coroutine standing in
for the HTTP call (the callback is the only part PTB hands the limiter); the flood-control and
ordering tests run a real PTB bot against the fake Bot API over HTTP. Rates are checked as lower
bounds on the time between grants (a loaded machine only makes them later), never as speed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.channels import send_order
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.fair_limiter import FairRateLimiter
from tests.fakes.telegram_api import FakeTelegram
from tests.support import FakeClock
from tests.telegram_support import TOKEN, TelegramHarness

Call = Callable[..., Coroutine[Any, Any, Any]]


class Calls:
    """Stands in for PTB's HTTP call: records when each was let through, may hold them."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.times: list[float] = []
        self.release = asyncio.Event()
        self.release.set()

    def call(self, name: str) -> Call:
        async def callback() -> dict[str, Any]:
            self.order.append(name)
            self.times.append(time.monotonic())
            await self.release.wait()
            return {"ok": name}

        return callback


async def _request(
    limiter: FairRateLimiter,
    callback: Call,
    *,
    chat: int | None = 1,
    since: float | None = None,
    urgent: bool = False,
    endpoint: str = "sendMessage",
) -> Any:
    data = {} if chat is None else {"chat_id": chat}
    with send_order.serving(time.monotonic() if since is None else since, urgent=urgent):
        return await limiter.process_request(callback, (), {}, endpoint, data, None)


async def _started(*coroutines: Coroutine[Any, Any, Any]) -> list[asyncio.Task[Any]]:
    """Start each as a task, in turn, letting each reach the limiter's line before the next."""
    tasks = []
    for coroutine in coroutines:
        tasks.append(asyncio.create_task(coroutine))
        await asyncio.sleep(0)
    return tasks


# ---- order ----------------------------------------------------------------------------------


async def test_waiting_calls_go_by_their_causes_arrival_and_safety_replies_first() -> None:
    limiter = FairRateLimiter(overall_per_second=0, per_chat_interval=0, places=1)
    calls = Calls()
    calls.release.clear()
    holder = await _started(_request(limiter, calls.call("holder"), chat=100))
    waiting = await _started(
        _request(limiter, calls.call("late"), chat=3, since=30.0),
        _request(limiter, calls.call("early"), chat=1, since=10.0),
        _request(limiter, calls.call("middle"), chat=2, since=20.0),
        _request(limiter, calls.call("crisis"), chat=4, since=40.0, urgent=True),
    )
    assert limiter.waiting == 4
    calls.release.set()
    await asyncio.gather(*holder, *waiting)
    assert calls.order == ["holder", "crisis", "early", "middle", "late"]


async def test_no_more_calls_in_flight_than_places() -> None:
    limiter = FairRateLimiter(overall_per_second=0, per_chat_interval=0, places=4)
    in_flight = 0
    most = 0

    async def callback() -> bool:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return True

    await asyncio.gather(*(_request(limiter, callback, chat=i) for i in range(20)))
    assert most == 4


async def test_a_call_without_a_chat_never_waits_in_the_line() -> None:
    """answerCallbackQuery is not a message to a chat: it passes the sends waiting for places."""
    limiter = FairRateLimiter(overall_per_second=30, per_chat_interval=1.0, places=1)
    calls = Calls()
    calls.release.clear()
    held = await _started(_request(limiter, calls.call("send"), chat=1))
    answered = await asyncio.wait_for(
        _request(limiter, _returns("answered"), chat=None, endpoint="answerCallbackQuery"), 30
    )
    assert answered == "answered"
    calls.release.set()
    await asyncio.gather(*held)


async def test_a_cancelled_waiter_gives_its_place_to_the_next() -> None:
    limiter = FairRateLimiter(overall_per_second=0, per_chat_interval=0, places=1)
    calls = Calls()
    calls.release.clear()
    holder = await _started(_request(limiter, calls.call("holder"), chat=1))
    gone, after = await _started(
        _request(limiter, calls.call("gone"), chat=2, since=1.0),
        _request(limiter, calls.call("after"), chat=3, since=2.0),
    )
    gone.cancel()
    calls.release.set()
    await asyncio.gather(*holder, after)
    assert calls.order == ["holder", "after"]


# ---- limits -------------------------------------------------------------------------------


async def test_the_overall_rate_is_kept_after_a_short_burst() -> None:
    rate = 50.0  # a burst of a fifth of a second's worth (10), then one every 20 ms
    limiter = FairRateLimiter(overall_per_second=rate, per_chat_interval=0, places=None)
    calls = Calls()
    start = time.monotonic()
    await asyncio.gather(*(_request(limiter, calls.call(str(i)), chat=i) for i in range(25)))
    burst = int(rate * 0.2)
    for i, at in enumerate(calls.times):
        earliest = max(0, i + 1 - burst) / rate
        assert at - start >= earliest - 0.002, f"call {i} went {earliest - (at - start):.3f}s early"


async def test_one_chat_is_paced_and_the_next_in_line_goes_meanwhile() -> None:
    limiter = FairRateLimiter(overall_per_second=0, per_chat_interval=0.2, chat_burst=1, places=4)
    calls = Calls()
    tasks = await _started(
        *(_request(limiter, calls.call(f"a{i}"), chat=1, since=float(i)) for i in range(3)),
        _request(limiter, calls.call("b"), chat=2, since=10.0),
    )
    await asyncio.gather(*tasks)
    assert calls.order.index("b") < calls.order.index("a1")  # b did not wait behind a's pace
    a_times = [t for name, t in zip(calls.order, calls.times, strict=True) if name[0] == "a"]
    assert all(
        later - earlier >= 0.19 for earlier, later in zip(a_times, a_times[1:], strict=False)
    )


async def test_a_crisis_answer_is_not_held_back_by_its_chats_pace() -> None:
    limiter = FairRateLimiter(overall_per_second=0, per_chat_interval=60, chat_burst=1, places=4)
    calls = Calls()
    await _request(limiter, calls.call("question"), chat=1)
    # the chat's next slot is a minute away; the crisis answer goes now all the same
    await asyncio.wait_for(_request(limiter, calls.call("crisis"), chat=1, urgent=True), 30)
    assert calls.order == ["question", "crisis"]


def _returns(value: Any) -> Call:
    async def callback() -> Any:
        return value

    return callback


# ---- with the real PTB bot over HTTP ---------------------------------------------------------


@pytest.fixture
async def fake() -> Any:
    api = FakeTelegram(TOKEN)
    await api.start()
    yield api
    await api.stop()


async def _bot(fake: FakeTelegram, limiter: FairRateLimiter) -> ExtBot[Any]:
    bot: ExtBot[Any] = ExtBot(TOKEN, base_url=f"{fake.base}/bot", rate_limiter=limiter)
    await bot.initialize()
    return bot


async def test_flood_control_pauses_then_retries_the_call_once(fake: FakeTelegram) -> None:
    limiter = FairRateLimiter(overall_per_second=30, per_chat_interval=0, max_retries=1)
    bot = await _bot(fake, limiter)
    try:
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        started = time.monotonic()
        sent = await bot.send_message(7, "Q1/5")
        assert sent.text == "Q1/5"
        sends = [i for i, (name, _) in enumerate(fake.calls) if name == "sendMessage"]
        assert len(sends) == 2  # refused once, then accepted
        assert fake.call_times[sends[1]] - started >= 1.0  # after Telegram's retry_after
    finally:
        await bot.shutdown()


async def test_flood_control_beyond_the_retries_reaches_the_caller(fake: FakeTelegram) -> None:
    limiter = FairRateLimiter(overall_per_second=30, per_chat_interval=0, max_retries=0)
    bot = await _bot(fake, limiter)
    try:
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(7, "Q1/5")
        assert len(fake.calls_of("sendMessage")) == 1
    finally:
        await bot.shutdown()


async def test_the_bot_api_receives_waiting_sends_in_order_of_their_causes(
    fake: FakeTelegram,
) -> None:
    limiter = FairRateLimiter(overall_per_second=30, per_chat_interval=1.0, places=1)
    bot = await _bot(fake, limiter)
    try:
        held = asyncio.Event()

        async def first() -> None:  # takes the only place and keeps it a moment
            with send_order.serving(0.0):
                await bot.send_message(100, "first")
            held.set()

        async def send(chat: int, since: float) -> None:
            with send_order.serving(since):
                await bot.send_message(chat, f"caused at {since}")

        tasks = [asyncio.create_task(first())]
        await asyncio.sleep(0)
        for chat, since in ((3, 30.0), (1, 10.0), (2, 20.0)):
            tasks.append(asyncio.create_task(send(chat, since)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        chats = [params["chat_id"] for params in fake.calls_of("sendMessage")]
        assert [int(c) for c in chats] == [100, 1, 2, 3]
    finally:
        await bot.shutdown()


async def test_the_channel_sends_through_the_fair_limiter_with_the_update_stamped(
    sqlite_url: str, clock: FakeClock
) -> None:
    """The adapter's bot uses the fair limiter, and the calls an update makes itself (the
    answer to a button, the edit of the question) carry that update's arrival."""
    seen: list[tuple[str, send_order.SendOrder | None]] = []
    async with TelegramHarness(sqlite_url, clock, overall_per_second=30) as h:
        assert isinstance(h.channel, TelegramChannel)
        limiter = h.channel.application.bot.rate_limiter
        assert isinstance(limiter, FairRateLimiter)
        process = limiter.process_request

        async def spy(*args: Any, **kwargs: Any) -> Any:
            seen.append((str(kwargs.get("endpoint", args[3] if len(args) > 3 else "")),
                         send_order.stamp()))  # fmt: skip
            return await process(*args, **kwargs)

        limiter.process_request = spy  # type: ignore[method-assign]
        before = time.monotonic()
        await h.enrol()  # /start <code>, then a press of the language button
        after = time.monotonic()
    from_the_press = [order for endpoint, order in seen if endpoint == "answerCallbackQuery"]
    assert from_the_press, "the press was answered through the limiter"
    for order in from_the_press:
        assert order is not None and before <= order.since <= after
