"""The Bot API's HTTP client: a small connection pool, and a first-come line in front of it.

(The pool itself is httpx's, over streams that check a connection cheaply: http_pool.py.)

PTB's `HTTPXRequest` lets every call wait inside httpx's connection pool. There, each waiting
request costs bookkeeping on every checkout (the harness's profiles: PTB's default of 256
connections cost more CPU than the answers did), and one that waits longer than the pool timeout
fails with a `NetworkError` although nothing went wrong but the wait. `BoundedRequest` lets at
most as many requests into httpx as it has connections, so none ever waits in httpx's pool; the
rest wait here, in arrival order and without a timeout (their number is bounded already: by the
updates PTB handles at once and by the dispatcher's gate).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

from telegram._utils.types import ODVInput  # (PTB's own type for its timeouts)
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels.telegram.http_pool import pooled_transport

CONNECTIONS = 16  # to the Bot API at once: enough for the sends and updates in flight


class FifoGate:
    """At most `width` holders at once; the others get their place in the order they asked."""

    def __init__(self, width: int) -> None:
        self._free = width
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for f in self._waiting if not f.done())

    @contextlib.asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # given a place just as it gave up
                    self._pass_on()
                else:
                    with contextlib.suppress(ValueError):
                        self._waiting.remove(turn)
                raise
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        """A place came free: to the longest waiting, else back to the free places."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


class BoundedRequest(BaseRequest):
    """PTB's HTTPXRequest with `connections` connections and the line in front of them."""

    def __init__(
        self,
        connections: int = CONNECTIONS,
        *,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 30.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout  # never reached: the line lets in only `connections`
        self._http = self._new_client()
        self._shut = False
        self.line = FifoGate(connections)

    def _new_client(self) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=self._connections,
            read_timeout=self._read_timeout,
            pool_timeout=self._pool_timeout,
            httpx_kwargs={"transport": pooled_transport(self._connections)},
        )

    @property
    def read_timeout(self) -> float | None:
        return self._http.read_timeout

    async def initialize(self) -> None:
        if self._shut:  # started again after a stop: a transport is not reopened, made anew
            self._http, self._shut = self._new_client(), False
        await self._http.initialize()

    async def shutdown(self) -> None:
        await self._http.shutdown()
        self._shut = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async with self.line.place():
            return await self._http.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
