"""The sweep's room counts only the rows the sweep claimed (issue 16).

The sweep may hold `batch_size` rows per channel. It used to count every row claimed in this
process, direct sends in flight included, so under a steady stream of replies (each request sends
its own) it had no room at all, and what only the sweep finds (retries, scheduled messages, rows
held back to keep a chat's order) waited: 83 s under the harness, limits on, N = 200.
"""

from __future__ import annotations

import asyncio

from bot.channels.base import OutboundEnvelope
from bot.conversation.messages import Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App
from bot.service.dispatcher import Dispatcher
from tests.schedule_support import make_app
from tests.support import FakeClock


class HeldSends:
    """A channel whose sends wait until released: direct sends stay in flight."""

    name = "console"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent: list[int] = []

    async def send(self, message: OutboundEnvelope) -> str:
        await self.release.wait()
        self.sent.append(message.outbox_id)
        return f"sent-{message.outbox_id}"


def _enqueue(app: App, address: str, prefix: str) -> int:
    with session_scope(app.db) as s:
        (row,) = store.enqueue(
            s,
            patient_id=None,
            channel="console",
            address=address,
            messages=[Outgoing("reply", f"to {address}")],
            dedupe_prefix=prefix,
            now=app.pipeline.now(),
        )
        return row.id or 0


async def test_direct_sends_in_flight_leave_the_sweep_its_room(
    sqlite_url: str, clock: FakeClock
) -> None:
    app = make_app(sqlite_url, clock)
    channel = HeldSends()
    channels = {"console": channel}
    dispatcher = Dispatcher(app.db, batch_size=3, gate_width=16)
    direct = [_enqueue(app, f"direct-{i}", f"d{i}") for i in range(6)]
    claimed, _ = await dispatcher.send_now(direct, channels, clock())  # type: ignore[arg-type]
    assert claimed == 6  # a request's replies are claimed whatever the batch size
    left_for_the_sweep = [_enqueue(app, f"swept-{i}", f"s{i}") for i in range(4)]

    # Six direct sends are in flight, twice the batch: the sweep still takes its batch ...
    assert await dispatcher.top_up(channels, clock()) == 3  # type: ignore[arg-type]
    # ... and no more while those three are held
    assert await dispatcher.top_up(channels, clock()) == 0  # type: ignore[arg-type]
    assert dispatcher.more_due

    channel.release.set()
    await dispatcher.drain()
    assert await dispatcher.top_up(channels, clock()) == 1  # type: ignore[arg-type]
    await dispatcher.drain()
    assert sorted(channel.sent) == sorted(direct + left_for_the_sweep)  # each exactly once
    app.db.dispose()
