"""The Bot API client's line (bot/channels/telegram/bounded_request.py): at most `connections`
requests inside httpx, the rest waiting here first come, first served, and never failing for the
wait (a real python-telegram-bot Bot against the fake Bot API over HTTP)."""

from __future__ import annotations

import asyncio

from telegram import Bot

from bot.channels.telegram.bounded_request import BoundedRequest, FifoGate
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import TOKEN, eventually

CHATS = 40


async def test_waiters_get_their_place_in_the_order_they_asked() -> None:
    gate = FifoGate(1)
    order: list[int] = []
    release = asyncio.Event()

    async def holder(n: int) -> None:
        async with gate.place():
            order.append(n)
            if n == 0:
                await release.wait()

    tasks = [asyncio.create_task(holder(n)) for n in range(6)]
    await eventually(lambda: gate.waiting == 5)
    tasks[3].cancel()  # one gives up while waiting: its place goes to the next
    await eventually(lambda: gate.waiting == 4)
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [0, 1, 2, 4, 5]
    async with gate.place():  # every place came back
        pass


async def test_a_waiter_cancelled_as_it_gets_its_place_passes_it_on() -> None:
    gate = FifoGate(1)
    async with gate.place():
        waiter = asyncio.create_task(_enter(gate))
        await eventually(lambda: gate.waiting == 1)
    waiter.cancel()  # given the place (its future is set) but not yet resumed
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.wait_for(_enter(gate), 5)  # the place was passed on, not lost


async def _enter(gate: FifoGate) -> None:
    async with gate.place():
        pass


async def test_only_connections_requests_reach_the_api_and_the_rest_wait_without_failing() -> None:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    # a pool timeout far shorter than the wait: without the line, httpx would fail them
    request = BoundedRequest(4, pool_timeout=0.05)
    bot = Bot(TOKEN, base_url=f"{fake.base}/bot", request=request)
    try:
        await bot.initialize()
        release = fake.hold("sendMessage")  # a slow Bot API
        sends = [
            asyncio.create_task(bot.send_message(1000 + n, f"message {n}")) for n in range(CHATS)
        ]
        await eventually(lambda: len(fake.calls_of("sendMessage")) == 4)
        await asyncio.sleep(0.3)  # six pool timeouts: still only four inside, none failed
        assert len(fake.calls_of("sendMessage")) == 4
        assert request.line.waiting == CHATS - 4
        assert not any(task.done() for task in sends)
        release.set()
        sent = await asyncio.gather(*sends)
        assert len(sent) == CHATS
        # first come, first served: the order they were asked in (the first four together)
        chats = [int(call["chat_id"]) for call in fake.calls_of("sendMessage")]
        assert sorted(chats[:4]) == list(range(1000, 1004))
        assert chats[4:] == list(range(1004, 1000 + CHATS))
    finally:
        await bot.shutdown()
        await fake.stop()
