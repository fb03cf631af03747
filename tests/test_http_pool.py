"""The Bot API client's pool (bot/channels/telegram/http_pool.py): a connection the server closed
while idle is still noticed (and not reused), and checking the idle connections no longer asks
the socket for its addresses on every request (real httpx over real local sockets)."""

from __future__ import annotations

import asyncio
from asyncio import trsock

import httpx
import pytest
from telegram import Bot

from bot.channels.telegram.bounded_request import BoundedRequest
from bot.channels.telegram.http_pool import pooled_transport
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import TOKEN

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)  # "keep-alive", and then it closes all the same
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(transport=pooled_transport(2)) as client:
        for _ in range(3):
            response = await client.get(f"http://127.0.0.1:{port}/")
            assert response.text == "ok"
            await asyncio.sleep(0.1)  # the server's close arrives while the connection is idle
    server.close()
    await server.wait_closed()
    assert connections == 3  # each request found its closed connection and opened a new one


async def test_many_requests_do_not_ask_each_socket_its_addresses_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []
    getpeername = trsock.TransportSocket.getpeername

    def counted(self: trsock.TransportSocket) -> object:
        asked.append(1)
        return getpeername(self)

    monkeypatch.setattr(trsock.TransportSocket, "getpeername", counted)
    fake = FakeTelegram(TOKEN)
    await fake.start()
    bot = Bot(TOKEN, base_url=f"{fake.base}/bot", request=BoundedRequest(4))
    try:
        await bot.initialize()
        for _ in range(10):  # 10 rounds of 8 concurrent calls over 4 connections
            await asyncio.gather(*(bot.send_message(1000 + n, "hello") for n in range(8)))
    finally:
        await bot.shutdown()
        await fake.stop()
    assert len(fake.calls_of("sendMessage")) == 80
    # anyio's own check asked every idle connection on every request (hundreds here); what is
    # left are the look-ups when a connection opens
    assert len(asked) <= 8
