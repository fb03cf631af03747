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
from bot.service.dispatcher import DIRECT_BACKLOG_MAX, DIRECT_BACKLOG_MIN, Dispatcher
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


def _enqueue(app: App, address: str, prefix: str, kind: str = "reply") -> int:
    with session_scope(app.db) as s:
        (row,) = store.enqueue(
            s,
            patient_id=None,
            channel="console",
            address=address,
            messages=[Outgoing(kind, f"{kind} to {address}")],
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


class SlowHeldSends(HeldSends):
    """A channel limited to one send a second whose sends wait until released."""

    sends_per_second = 1.0


async def test_a_burst_faster_than_the_channel_is_not_all_claimed_at_once(
    sqlite_url: str, clock: FakeClock
) -> None:
    # One send a second: the direct path may hold 30 s of it (DIRECT_BACKLOG_SECONDS). Without
    # the bound, every reply of a burst was claimed into memory, each claim carrying the ids of
    # all those held (15,000 after a burst of free text to SMS: 2.5 GB) and rows outlived
    # their lease while they waited.
    app = make_app(sqlite_url, clock)
    channel = SlowHeldSends()
    channels = {"console": channel}
    dispatcher = Dispatcher(app.db, batch_size=5, gate_width=16)
    assert dispatcher.direct_room(channel) == 30  # type: ignore[arg-type]
    burst = [_enqueue(app, f"patient-{i}", f"b{i}") for i in range(45)]
    claimed = 0
    for row_id in burst:  # one request each, as they arrive
        got, _ = await dispatcher.send_now([row_id], channels, clock())  # type: ignore[arg-type]
        claimed += got
    assert claimed == 30
    assert dispatcher.direct_room(channel) == 0  # type: ignore[arg-type]

    # Full: a crisis answer is still claimed at once, and not counted against the backlog ...
    crisis = _enqueue(app, "patient-in-crisis", "c", "crisis")
    assert await dispatcher.send_now([crisis], channels, clock()) == (1, True)  # type: ignore[arg-type]
    assert dispatcher.direct_room(channel) == 0  # type: ignore[arg-type]
    # ... and a later reply to a patient whose earlier one waits in the outbox waits behind it
    later = _enqueue(app, "patient-40", "later")
    assert await dispatcher.send_now([later], channels, clock()) == (0, False)  # type: ignore[arg-type]

    # The sweep takes the rest in its batches, in order, as room frees; each goes once.
    channel.release.set()
    while await dispatcher.top_up(channels, clock()) or dispatcher.more_due:  # type: ignore[arg-type]
        await dispatcher.drain()
    await dispatcher.drain()
    assert sorted(channel.sent) == sorted([*burst, crisis, later])
    assert channel.sent.index(burst[40]) < channel.sent.index(later)
    assert dispatcher.direct_room(channel) == 30  # type: ignore[arg-type]
    app.db.dispose()


async def test_a_channel_without_a_rate_limit_still_has_a_bounded_backlog(
    sqlite_url: str, clock: FakeClock
) -> None:
    app = make_app(sqlite_url, clock)
    dispatcher = Dispatcher(app.db)
    assert dispatcher.direct_room(HeldSends()) == DIRECT_BACKLOG_MAX  # type: ignore[arg-type]
    fast = SlowHeldSends()
    fast.sends_per_second = 10_000.0
    assert dispatcher.direct_room(fast) == DIRECT_BACKLOG_MAX  # type: ignore[arg-type]
    slow = SlowHeldSends()
    slow.sends_per_second = 0.1
    assert dispatcher.direct_room(slow) == DIRECT_BACKLOG_MIN  # type: ignore[arg-type]
    app.db.dispose()
