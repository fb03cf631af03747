"""Polled updates of different chats are handled side by side; one chat's, one at a time, in order.

python-telegram-bot handles one update at a time by default, so every patient waited for every
other patient's database work and Bot API calls (two round trips an answer). Its plain concurrent
mode would let one chat's updates overtake each other (a button pressed twice, an answer and the
next /pain). This processor keeps each chat's updates in the order they came (a lock per chat,
taken in arrival order: PTB starts one task per update in that order) and lets different chats
run concurrently, up to `max_concurrent_updates` (PTB's own bound).

Each polled update is stamped with its arrival (bot/channels/send_order.py): the moment the
updater put it in the queue (`ArrivalQueue`), not the moment it got a place among the updates
handled at once. What it sends waits in line by when it came: under load 200 `/pain` commands took
seconds to get places, and the later ones' first questions went behind earlier patients' answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.channels import send_order

DEFAULT_CONCURRENT_UPDATES = 256


class ArrivalQueue(asyncio.Queue[object]):
    """PTB's update queue, noting when each update came (time.monotonic(), by update id)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[int, float] = {}

    def put_nowait(self, item: object) -> None:  # `put` ends here too
        if isinstance(item, Update):
            self.arrived[item.update_id] = time.monotonic()
        super().put_nowait(item)

    def arrival(self, update: object) -> float | None:
        """When this update came (once: the note is dropped); None if it was not queued here."""
        if not isinstance(update, Update):
            return None
        return self.arrived.pop(update.update_id, None)


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES,
        *,
        arrivals: ArrivalQueue | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._arrivals = arrivals
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}  # updates using each chat's lock (dropped at 0)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # In the update's own task (PTB starts one per update): its handling inherits the stamp.
        at = self._arrivals.arrival(update) if self._arrivals is not None else None
        if at is not None:
            send_order.arrived(at)
        chat = _chat_id(update)
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._holders[chat] = self._holders.get(chat, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[chat] -= 1
            if not self._holders[chat]:
                del self._holders[chat]
                del self._locks[chat]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_id(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else None
