"""The Bot API client's connection pool, without a system call per connection per request.

Before each request, httpcore's pool asks every idle connection whether the server has closed it
(`get_extra_info("is_readable")`: a poll of its socket). Under asyncio its streams are anyio's,
which answer by building a table of all the socket's attributes first, `getpeername()` and
`getsockname()` included: two more system calls and a dict, per idle connection, per request.
Profiled under the load harness this was the costliest code of a whole answer
(`TransportSocket.getpeername`, `is_socket_readable`, `_SocketProvider.extra_attributes`:
about a seventh of the process's busy time). Upstream knows (encode/httpcore#928, open).

`pooled_transport` is httpx's own transport (its request mapping and error translation, which
python-telegram-bot relies on) over an httpcore pool whose streams keep their socket from the
start and answer "is_readable" with the one poll. Everything else is anyio's, unchanged.
"""

# ruff: noqa: ASYNC109 (httpcore's stream and backend interfaces take their timeouts as arguments)
from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

KEEPALIVE_SECONDS = 5.0  # httpx's default


class _KnownSocketStream(httpcore.AsyncNetworkStream):
    """An anyio stream that looked its socket up once, when it was opened."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _KnownSocketStream(
            await self._stream.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: data, or the b"" of a closed connection (httpcore's
    own test; a socket that is gone counts as readable, so the pool drops its connection)."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


class _KnownSocketBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._anyio = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._anyio.connect_tcp(host, port, timeout, local_address, socket_options)
        return _KnownSocketStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._anyio.connect_unix_socket(path, timeout, socket_options)
        return _KnownSocketStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._anyio.sleep(seconds)


def pooled_transport(connections: int) -> httpx.AsyncHTTPTransport:
    """httpx's transport with `connections` connections over the pool described above. Should
    httpx ever build its transport differently, its own pool is kept (correct, only slower)."""
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    transport = httpx.AsyncHTTPTransport(limits=limits)
    if isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=_KnownSocketBackend(),
        )
    return transport
