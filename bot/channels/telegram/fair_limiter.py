"""Telegram's limits, kept in the order the patients' messages arrived (issue 16).

Telegram lets a bot send about 30 messages a second overall and about one a second to one chat
(short bursts tolerated), and answers 429 with `retry_after` beyond that. PTB's `AIORateLimiter`
keeps those limits but serves waiting requests in the order they reached it, which is not the
order the patients answered in: the edit for a press that just came could go ahead of the next
question for a press that came ten seconds earlier, and under load the slowest waits grew well past
the average (p99 21 s against a mean of 13 s at N = 200).

`FairRateLimiter` is PTB's `BaseRateLimiter`, so the Bot API calls go through it as through
`AIORateLimiter`, and grants each waiting call its slot in the order of its send stamp
(bot/channels/send_order.py: crisis answers and HELP texts first, then the earliest cause):

* overall: a token bucket of `overall_per_second`, holding a fifth of a second's worth, so any one
  second sees at most 1.2x the rate (`AIORateLimiter` allows a whole second's worth at once);
* per chat: one message per `per_chat_interval`, with a burst of `chat_burst` (the edit of the
  answered question and the next question go together); a crisis answer or HELP text is never
  held back by its chat's pace (it still counts toward it);
* `places`: calls in flight at once. A granted call holds its place until its answer arrives, so
  the line forms here, in stamp order, and not in the HTTP client's pool in whatever order. A few
  are enough at 30 messages a second (4 at a 50 ms round trip carry 80 a second; 4 and 8 measured
  alike under the harness);
* a 429 pauses every counted call for `retry_after` (+0.1 s), then the call is tried again in its
  old place in line, up to `max_retries` times; after that the `RetryAfter` reaches the caller
  (the dispatcher records a retry at the time Telegram gave).

Calls without a chat (answerCallbackQuery, getMe, setMyCommands) are not messages to a chat: they
are neither counted nor queued, as in `AIORateLimiter`, but they too wait out a 429 pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from bisect import insort
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels import send_order

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

DEFAULT_PLACES = 4
DEFAULT_CHAT_BURST = 3
BURST_SECONDS = 0.2  # the overall bucket holds this much of a second's rate
RETRY_MARGIN_SECONDS = 0.1  # on top of Telegram's retry_after, as AIORateLimiter does
IDLE_CHATS_KEPT = 1024  # per-chat buckets kept before full (idle) ones are forgotten


@dataclass(order=True)
class _Waiter:
    order: send_order.SendOrder
    seq: int
    chat: int | str | None = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


class _Bucket:
    """A token bucket: `rate` tokens a second, at most `capacity` saved."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.at = now

    def refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
            self.at = now

    def ready_at(self, now: float) -> float:
        """When the bucket holds a whole token (now, if it does)."""
        self.refill(now)
        return now if self.tokens >= 1 else now + (1 - self.tokens) / self.rate

    @property
    def full(self) -> bool:
        return self.tokens >= self.capacity


class FairRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        *,
        overall_per_second: float = 30,
        per_chat_interval: float = 1.0,
        chat_burst: int = DEFAULT_CHAT_BURST,
        places: int | None = DEFAULT_PLACES,
        max_retries: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`overall_per_second` 0: no overall limit; `per_chat_interval` 0: no per-chat limit;
        `places` None: no bound on calls in flight (the limits-off setting)."""
        if places is not None and places < 1:
            raise ValueError("at least one call must be let through at a time")
        self._clock = clock
        self._overall_rate = overall_per_second
        self._overall = (
            _Bucket(overall_per_second, max(1.0, overall_per_second * BURST_SECONDS), clock())
            if overall_per_second > 0
            else None
        )
        self._chat_rate = 1 / per_chat_interval if per_chat_interval > 0 else 0.0
        self._chat_burst = max(1, chat_burst)
        self._chats: dict[int | str, _Bucket] = {}
        self._free = places
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._paused_until = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._max_retries = max_retries
        # limits off (capacity runs): no line at all, only a 429's pause
        self._unlimited = self._overall is None and not self._chat_rate and places is None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def waiting(self) -> int:
        """Calls waiting for their slot (health, tests)."""
        return len(self._waiting)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat = _chat_of(data)
        order = send_order.current()  # read once: every retry keeps the call's place in line
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            try:
                if chat is None or self._unlimited:  # not a message to a chat: only a 429 pause
                    await self._pause_over()
                    return await callback(*args, **kwargs)
                await self._slot(order, chat)
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self._leave()
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning("telegram: flood control (%s), retries used up", endpoint)
                    raise
                pause = _seconds(exc.retry_after) + RETRY_MARGIN_SECONDS
                log.info("telegram: flood control (%s); every send pauses %.1f s", endpoint, pause)
                self._paused_until = max(self._paused_until, self._clock() + pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # ---- the line ------------------------------------------------------------------------

    async def _slot(self, order: send_order.SendOrder, chat: int | str) -> None:
        waiter = _Waiter(order, next(self._seq), chat, asyncio.get_running_loop().create_future())
        insort(self._waiting, waiter)
        self._pump()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._leave()  # granted as it was cancelled: the place passes on
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
            raise

    def _leave(self) -> None:
        if self._free is not None:
            self._free += 1
        self._pump()

    async def _pause_over(self) -> None:
        # a loop, not an event: another 429 may lengthen the pause while this sleeps
        while (left := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    def _pump(self) -> None:
        """Grant slots to the waiting calls, earliest stamp first, while places and tokens
        last; a call whose chat must wait lets the next one by. If calls are left waiting for
        time to pass, wake up when it has."""
        now = self._clock()
        if now < self._paused_until:
            self._wake_at(self._paused_until)
            return
        if self._overall is not None:
            self._overall.refill(now)
        next_ready: float | None = None
        index = 0
        while index < len(self._waiting) and self._free != 0:
            if self._overall is not None and self._overall.tokens < 1:
                next_ready = self._overall.ready_at(now)
                break
            waiter = self._waiting[index]
            if waiter.granted.done():  # cancelled while waiting
                del self._waiting[index]
                continue
            bucket = self._chat_bucket(waiter.chat, now)
            if bucket is not None and not waiter.order.urgent:
                ready = bucket.ready_at(now)
                if ready > now:  # this chat's pace: the next in line goes first
                    next_ready = ready if next_ready is None else min(next_ready, ready)
                    index += 1
                    continue
            del self._waiting[index]
            if bucket is not None:
                bucket.tokens -= 1
            if self._overall is not None:
                self._overall.tokens -= 1
            if self._free is not None:
                self._free -= 1
            waiter.granted.set_result(None)
        if self._waiting and next_ready is not None and self._free != 0:
            self._wake_at(next_ready)

    def _wake_at(self, when: float) -> None:
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, when - self._clock())
        self._timer = loop.call_at(loop.time() + delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()

    def _chat_bucket(self, chat: int | str | None, now: float) -> _Bucket | None:
        if chat is None or not self._chat_rate:
            return None
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= IDLE_CHATS_KEPT:
                self._forget_idle_chats(now)
            bucket = self._chats[chat] = _Bucket(self._chat_rate, self._chat_burst, now)
        return bucket

    def _forget_idle_chats(self, now: float) -> None:
        """A full bucket is as good as a new one: forget those (bounded memory)."""
        for chat, bucket in list(self._chats.items()):
            bucket.refill(now)
            if bucket.full:
                del self._chats[chat]


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if chat is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat)
    return str(chat)


def _seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
