"""A gate in front of a channel's provider: a few sends in flight at once, urgent ones first.

The provider's own limiter (`FairRateLimiter` for the Bot API, the SMS segment pacer) keeps
the rate; this gate keeps the queue in front of that limiter short and in our order. Without it,
two hundred recipients' sends would all wait inside the limiter, first come first served, and a
crisis answer that arrived last would wait behind all of them. With it, at most `width` sends
wait in the limiter, and a crisis answer or HELP text takes the next free place ahead of every
ordinary send (`urgent`); among equals the send whose cause arrived first goes first (`since`, a
`time.monotonic()` stamp: bot/channels/send_order.py), and at the same stamp, first come.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import AsyncIterator

URGENT = 0
ORDINARY = 1


class PriorityGate:
    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError("a gate lets at least one send through")
        self._free = width
        self._waiting: list[tuple[int, float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, f in self._waiting if not f.done())

    @contextlib.asynccontextmanager
    async def place(
        self, *, urgent: bool = False, since: float | None = None
    ) -> AsyncIterator[None]:
        """Hold one place while the body runs (the send); `since` is when its cause arrived
        (default: now)."""
        await self._enter(
            URGENT if urgent else ORDINARY, time.monotonic() if since is None else since
        )
        try:
            yield
        finally:
            self._leave()

    async def _enter(self, priority: int, since: float) -> None:
        if self._free > 0:  # places are handed straight to waiters, so none is waiting
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, since, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._leave()  # we were handed a place as we were cancelled: pass it on
            raise

    def _leave(self) -> None:
        while self._waiting:
            *_, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)  # the place passes straight to the next in line
                return
        self._free += 1
