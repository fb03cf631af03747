"""The running service: the app, its channels, and the dispatcher loop that sends the outbox.

Each channel is started on its own and kept trying (with back-off) until it starts: Telegram
being unreachable at start-up must not take SMS down, and the server serves everything else
meanwhile (`/healthz` says which channel is not running and why). Only running channels are
dispatched to; their messages wait in the outbox.

Channel adapters hand inbound messages to their port (`bot/service/backend.py`), which runs the
(synchronous, transactional) pipeline in a worker thread and hands the ids of the replies it
committed to this runtime, which claims and sends them at once (`Dispatcher.send_now`). A sweep
loop claims everything else that is due (scheduled messages, retries, what a failed direct send or
another worker left), woken by the scheduler and on a timer, so nothing due waits for the next
inbound message; and a safety lane claims only crisis answers and HELP texts. The database is the
only queue: the per-recipient queues (bot/service/dispatcher.py) hold only claimed rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.channels.base import ChannelAdapter
from bot.conversation.messages import SAFETY_KINDS, HandleResult, Inbound
from bot.schedule.due import DueWork
from bot.schedule.tick_lock import materialise_due_work_once
from bot.service.app import App
from bot.service.backend import Backend
from bot.service.dispatcher import Dispatcher, SendRules, release
from bot.service.metrics import MeteredChannel
from bot.service.scheduler import Scheduler, start_scheduler, stop_scheduler
from bot.service.staff_alerts import notify_staff

log = logging.getLogger(__name__)

DISPATCH_INTERVAL_SECONDS = 5.0
# The safety lane also looks for due retries of crisis answers this often.
SAFETY_INTERVAL_SECONDS = 1.0
FIRST_START_WAIT_SECONDS = 5.0  # start-up waits this long for channels, then lets them retry
START_RETRY_MAX_SECONDS = 60.0
STOP_SENDS_SECONDS = 5.0  # at shutdown, sends under way get this long to finish
FAILING_AFTER = 5  # provider refusals in a row (network, 5xx, 429) that make a channel "failing"


class Runtime:
    def __init__(
        self, app: App, channels: Sequence[ChannelAdapter], *, backend: Backend | None = None
    ) -> None:
        """`backend` is the port the channels were built with (a fresh one when they need none)."""
        self.app = app
        self.backend = backend or Backend(app)
        self.backend.on_queued(self.queued)
        self.channels = {c.name: c for c in channels}
        self._metered = {name: MeteredChannel(c) for name, c in self.channels.items()}
        self._channel_state = {name: "starting" for name in self.channels}
        self._supervisors: dict[str, asyncio.Task[None]] = {}
        self._stopping = False
        self._wake = asyncio.Event()
        self._safety_wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._safety_task: asyncio.Task[None] | None = None
        self.last_dispatch: datetime | None = None
        self._scheduler: Scheduler | None = None
        settings = app.settings
        self.dispatcher = Dispatcher(
            app.db,
            rules=SendRules.from_settings(settings),
            default_locale=settings.default_locale,
            batch_size=settings.dispatch_batch_size,
        )
        self.dispatcher.on_room = self._wake.set  # a backlog: sweep again as recipients finish
        self._direct: set[asyncio.Task[None]] = set()

    async def receive(self, inbound: Inbound) -> HandleResult:
        """Run one inbound message through the port; its replies go out right after."""
        return await self.backend.receive(inbound)

    def wake(self) -> None:
        self._safety_wake.set()
        self._wake.set()

    def queued(self, outbox_ids: Sequence[int]) -> None:
        """A request committed these replies: while the loops run, they are claimed and sent
        now, from here; the sweep is the safety net (tests that dispatch by hand just wake)."""
        if self._task is None or self._stopping:
            self.wake()
            return
        task = asyncio.get_running_loop().create_task(
            self._send_now(outbox_ids, self._running_channels()), name="pathbot-send-now"
        )
        self._direct.add(task)
        task.add_done_callback(self._direct.discard)

    async def _send_now(
        self, outbox_ids: Sequence[int], channels: Mapping[str, MeteredChannel]
    ) -> None:
        try:
            claimed, safety = await self.dispatcher.send_now(
                outbox_ids, channels, self.app.pipeline.now()
            )
        except Exception:  # the sweep sends them instead
            log.warning("direct send failed; the dispatcher loop takes over", exc_info=True)
            claimed, safety = 0, False
        if claimed < len(outbox_ids) and not self.dispatcher.claimed_here(outbox_ids):
            self.wake()  # held back (order, another worker, a channel not up): the sweep's
        elif safety or self.dispatcher.safety_claimed_here(outbox_ids):
            # A crisis reply comes with a staff alert: the loop tells staff now, whichever lane
            # here sent the reply (the safety lane may have claimed it first).
            self._wake.set()

    async def dispatch_once(self) -> int:
        """One sweep, waiting until what it claimed has been sent (tests, simulations)."""
        now = await self._sweep_start()
        return await self.dispatcher.run_once(self._running_channels(), now, one_batch=True)

    async def sweep(self) -> int:
        """Claim what is due (topping up the dispatcher's queues) and return at once; the
        claimed messages are sent by their recipients' tasks."""
        now = await self._sweep_start()
        return await self.dispatcher.top_up(self._running_channels(), now)

    async def _sweep_start(self) -> datetime:
        now = self.app.pipeline.now()
        self.last_dispatch = now
        if self.dispatcher.interrupted:  # their unsent claims go back now, not after the lease
            await asyncio.to_thread(release, self.app.db, self.dispatcher.interrupted)
        return now

    async def dispatch_safety_once(self) -> int:
        """Claim the due crisis answers and HELP texts now, whatever else is under way; each
        is sent in a task of its own."""
        return await self.dispatcher.top_up(
            self._running_channels(), self.app.pipeline.now(), kinds=SAFETY_KINDS
        )

    def _running_channels(self) -> dict[str, MeteredChannel]:
        """The channels that started (a channel still retrying its start is not sent to: its
        messages wait in the outbox)."""
        return {
            name: channel
            for name, channel in self._metered.items()
            if self._channel_state[name] == "running"
        }

    def health(self) -> dict[str, str]:
        """ "starting" until the first round, "alive" while running, "dead" if a loop stopped."""
        dispatcher = "starting" if self.last_dispatch is None else "alive"
        if any(t is not None and t.done() for t in (self._task, self._safety_task)):
            dispatcher = "dead"
        scheduler = "starting"
        if self._scheduler is not None:
            scheduler = "alive" if self._scheduler.running else "dead"
        return {"dispatcher": dispatcher, "scheduler": scheduler}

    def channel_states(self) -> dict[str, str]:
        """Per channel: "running", "starting", "retrying (<error>)", or "failing (<code>)" when
        the provider refused the last sends in a row."""
        states = dict(self._channel_state)
        for name, metered in self._metered.items():
            if states[name] == "running" and metered.failures_in_a_row >= FAILING_AFTER:
                states[name] = f"failing ({metered.last_error_code or 'unknown'})"
        return states

    async def start(self) -> None:
        """Start the channels (each on its own), the dispatcher loop and the scheduler."""
        await self.start_channels()
        self._stopping = False
        self._task = asyncio.create_task(self._dispatch_loop(), name="pathbot-dispatcher")
        self._safety_task = asyncio.create_task(self._safety_loop(), name="pathbot-safety-lane")
        # materialises due reminders and surveys; the first tick runs at once
        self._scheduler = start_scheduler(self.due_work_tick, self.app.pipeline.now())

    async def start_channels(self) -> None:
        """Start every channel under its own supervisor, waiting a little for the first
        attempts (tests that dispatch by hand start only the channels)."""
        started = {name: asyncio.Event() for name in self.channels}
        for name, channel in self.channels.items():
            self._supervisors[name] = asyncio.create_task(
                self._keep_starting(name, channel, started[name]), name=f"pathbot-start-{name}"
            )
        if started:  # let quick channels be up before the first request; slow ones go on trying
            waits = [asyncio.ensure_future(event.wait()) for event in started.values()]
            _done, pending = await asyncio.wait(waits, timeout=FIRST_START_WAIT_SECONDS)
            for waiting in pending:
                waiting.cancel()

    async def _keep_starting(
        self, name: str, channel: ChannelAdapter, first_attempt: asyncio.Event
    ) -> None:
        """Start one channel, retrying with back-off until it starts (or the server stops)."""
        pause = 1.0
        while True:
            try:
                await channel.start()
            except Exception as exc:  # any failure: say so, keep the others going, try again
                self._channel_state[name] = f"retrying ({type(exc).__name__})"
                log.warning(
                    "channel %s did not start (%s); retrying in %.0f s",
                    name,
                    type(exc).__name__,
                    pause,
                )
                first_attempt.set()
                await asyncio.sleep(pause)
                pause = min(pause * 2, START_RETRY_MAX_SECONDS)
                continue
            self._channel_state[name] = "running"
            first_attempt.set()
            self.wake()  # its messages waited in the outbox
            return

    async def stop(self) -> None:
        stop_scheduler(self._scheduler)
        # The flag ends the loops even if a cancellation is lost: Python 3.11's wait_for can
        # swallow one that arrives as the wake event fires, and shutdown then hung forever.
        self._stopping = True
        self._wake.set()
        self._safety_wake.set()
        for task in (self._task, self._safety_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._direct:
            await asyncio.wait(list(self._direct), timeout=STOP_SENDS_SECONDS)
        await self.dispatcher.close(STOP_SENDS_SECONDS)  # sends under way finish first
        await self.stop_channels()

    async def stop_channels(self) -> None:
        for supervisor in self._supervisors.values():
            supervisor.cancel()
        for supervisor in self._supervisors.values():
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        for name, channel in self.channels.items():
            try:
                await channel.stop()
            except Exception:  # a channel that never started may not stop cleanly either
                if self._channel_state[name] == "running":
                    raise
                log.info("channel %s: stop after a failed start", name, exc_info=True)
            self._channel_state[name] = "stopped"

    async def due_work_tick(self) -> DueWork:
        """The scheduler's job: write what has come due into the outbox, then wake the
        dispatcher. One pass at a time across workers on PostgreSQL (bot/schedule/tick_lock.py):
        a skipped tick found another worker running it."""
        now = self.app.pipeline.now()
        work = await asyncio.to_thread(materialise_due_work_once, self.app.due_work_setup(), now)
        self.wake()
        return work or DueWork()

    async def _safety_loop(self) -> None:
        """The safety lane: woken with the dispatcher, it sends only crisis answers and HELP
        texts, so they never wait for a round of other messages to finish."""
        while not self._stopping:
            self._safety_wake.clear()  # before the round: a wake during it runs another
            try:
                await self.dispatch_safety_once()
            except Exception:  # a failed round must not stop future rounds
                log.exception("safety dispatch round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SAFETY_INTERVAL_SECONDS):
                    await self._safety_wake.wait()

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before the round: a wake during it runs another
            try:
                await self.sweep()
            except Exception:  # a failed round must not stop future rounds
                log.exception("dispatch round failed")
            try:  # staff alerts ride the same loop: crisis at once, re-sent until acknowledged
                await notify_staff(self.app, self.app.pipeline.now())
            except Exception:
                log.exception("staff alert round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DISPATCH_INTERVAL_SECONDS):
                    await self._wake.wait()
