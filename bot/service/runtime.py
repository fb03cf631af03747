"""The running service: the app, its channels, and the dispatcher loop that sends the outbox.

Each channel is started on its own and kept trying (with back-off) until it starts: Telegram
being unreachable at start-up must not take SMS down, and the server serves everything else
meanwhile (`/healthz` says which channel is not running and why). Only running channels are
dispatched to; their messages wait in the outbox.

Channel adapters hand inbound messages to their port (`bot/service/backend.py`), which runs the
(synchronous, transactional) pipeline in a worker thread and wakes this runtime's dispatcher. The
dispatcher also runs on a timer, so nothing due waits for the next inbound message; the database
is the only queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.channels.base import ChannelAdapter
from bot.conversation.messages import HandleResult, Inbound
from bot.db.availability import release_claims
from bot.schedule.due import DueWork
from bot.schedule.tick_lock import materialise_due_work_once
from bot.service.app import App
from bot.service.backend import Backend
from bot.service.dispatcher import SendRules, dispatch_pending, dispatch_safety
from bot.service.metrics import MeteredChannel
from bot.service.scheduler import Scheduler, start_scheduler, stop_scheduler
from bot.service.staff_alerts import notify_staff

log = logging.getLogger(__name__)

DISPATCH_INTERVAL_SECONDS = 5.0
# The safety lane also looks for due retries of crisis answers this often.
SAFETY_INTERVAL_SECONDS = 1.0
FIRST_START_WAIT_SECONDS = 5.0  # start-up waits this long for channels, then lets them retry
START_RETRY_MAX_SECONDS = 60.0
FAILING_AFTER = 5  # provider refusals in a row (network, 5xx, 429) that make a channel "failing"


class Runtime:
    def __init__(
        self, app: App, channels: Sequence[ChannelAdapter], *, backend: Backend | None = None
    ) -> None:
        """`backend` is the port the channels were built with (a fresh one when they need none)."""
        self.app = app
        self.backend = backend or Backend(app)
        self.backend.on_queued(self.wake)
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
        self._interrupted_rounds: list[datetime] = []  # claim times of rounds an error cut short

    async def receive(self, inbound: Inbound) -> HandleResult:
        """Run one inbound message through the port; its replies go out right after."""
        return await self.backend.receive(inbound)

    def wake(self) -> None:
        self._safety_wake.set()
        self._wake.set()

    async def dispatch_once(self) -> int:
        now = self.app.pipeline.now()
        self.last_dispatch = now
        while self._interrupted_rounds:  # their unsent claims go back now, not after the lease
            await asyncio.to_thread(
                release_claims, self.app.db, claimed_at=self._interrupted_rounds[0]
            )
            self._interrupted_rounds.pop(0)
        settings = self.app.settings
        return await dispatch_pending(
            self.app.db,
            self._running_channels(),  # counting sends for /metrics
            now,
            rules=SendRules.from_settings(settings),
            default_locale=settings.default_locale,
            batch_size=settings.dispatch_batch_size,
        )

    async def dispatch_safety_once(self) -> int:
        """Send the due crisis answers and HELP texts now, whatever else is under way."""
        return await dispatch_safety(
            self.app.db,
            self._running_channels(),
            self.app.pipeline.now(),
            default_locale=self.app.settings.default_locale,
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
            try:
                await self.dispatch_once()
            except Exception:  # a failed round must not stop future rounds
                log.exception("dispatch round failed")
                if self.last_dispatch is not None:
                    self._interrupted_rounds.append(self.last_dispatch)
            try:  # staff alerts ride the same loop: crisis at once, re-sent until acknowledged
                await notify_staff(self.app, self.app.pipeline.now())
            except Exception:
                log.exception("staff alert round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DISPATCH_INTERVAL_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
