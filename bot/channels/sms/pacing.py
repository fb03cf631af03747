"""Pace SMS sends by segments: a US long code carries about one segment per second.

`PATHBOT_SMS_MESSAGES_PER_SECOND` is read as segments per second, because carriers count (and
throttle) segments, not API calls. The clock and sleep are injected so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class SegmentPacer:
    def __init__(
        self,
        segments_per_second: float,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if segments_per_second <= 0:
            raise ValueError("segments_per_second must be positive")
        self._rate = segments_per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._free_at: float | None = None
        self._lock = asyncio.Lock()

    async def wait_turn(self, segments: int, *, urgent: bool = False) -> float:
        """Wait until the previous sends have had their time, then book `segments` of airtime.

        An urgent send (a crisis answer, HELP) waits for nobody: it books its airtime after what
        is already booked, so the sends after it wait longer, and goes now (the provider queues
        the few it cannot carry at once). Returns the seconds waited."""
        if urgent:
            now = self._monotonic()
            self._free_at = max(self._free_at or now, now) + max(segments, 1) / self._rate
            return 0.0
        async with self._lock:
            started = now = self._monotonic()
            if self._free_at is not None and self._free_at > now:
                await self._sleep(self._free_at - now)
                now = self._monotonic()
            self._free_at = now + max(segments, 1) / self._rate
            return now - started
