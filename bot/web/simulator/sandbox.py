"""The conversation simulator's sandbox: a throw-away clinic where a staff member is the patient.

Each sandbox is its own SQLite database in a temporary folder (copied from one migrated
template), with its own clock, built by `build_app` like the real service: the same pipeline,
engine, scheduler due-work pass and dispatcher (with the clinic's quiet hours and caps), sending
to the console channel instead of a phone. Nothing in it can reach the clinic's database, its
patients or their outbox. Moving time forward runs the scheduler's pass every quarter of an
hour of simulated time, as the real scheduler would, so reminders, nudges and expiry arrive
when they would.

Nothing is left behind: a sandbox's folder goes when its owner starts again, resets, signs out,
or leaves it idle for IDLE_LIMIT (checked whenever anyone uses the simulator); every folder of
the process goes at exit (atexit: uvicorn returns normally on SIGTERM or Ctrl-C); and folders of
a process that died without exiting (kill -9, a crash) are removed by the next process that
simulates, which knows them by their owner's process id.
"""

from __future__ import annotations

import asyncio
import atexit
import io
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.render import render_text
from bot.db.database import session_scope, upgrade
from bot.db.models import Patient
from bot.schedule import cohorts
from bot.schedule.due import materialise_due_work
from bot.schedule.plan import PlanOptions
from bot.service.app import App, build_app
from bot.service.console_session import ConsoleSession
from bot.service.dispatcher import SendRules, dispatch_pending
from bot.service.settings import Settings

TICK = timedelta(minutes=15)  # how often the real scheduler's pass runs, in simulated time
MAX_JUMP = timedelta(days=14)
MAX_SANDBOXES = 20  # per console process; the oldest is closed to make room
SESSION_LEAD = timedelta(minutes=15)  # the simulated group session starts this soon
IDLE_LIMIT = 2 * 60 * 60.0  # seconds of real time unused before a sandbox is thrown away
ROOT_PREFIX = "pathbot-simulator-"
OWNER_FILE = "owner.pid"  # the process id of the console process that made the folder


class SimClock:
    """The sandbox's own time, moved only by the staff member."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class ChatLine:
    direction: str  # in (the staff member, as the patient) | out (the bot) | time (a jump)
    kind: str  # the outbox kind: reply, prompt, reminder, nudge, notice, crisis ...
    text: str
    at: datetime


@dataclass
class Sandbox:
    app: App
    folder: Path
    clock: SimClock
    session: ConsoleSession
    locale: str
    instrument: str
    mode: str  # now | session
    timezone: str
    lines: list[ChatLine] = field(default_factory=list)
    _seen: int = 0
    last_used: float = 0.0  # Sandboxes' clock (monotonic seconds), for the idle limit

    def say(self, text: str) -> None:
        self.lines.append(ChatLine("in", "message", text, self.clock()))
        self.session.say(text)  # the real pipeline; it dispatches what it queued
        self._collect()

    def advance(self, delta: timedelta) -> None:
        """Move time forward tick by tick, running the scheduler's pass and the dispatcher."""
        delta = min(delta, MAX_JUMP)
        end = self.clock() + delta
        self.lines.append(ChatLine("time", "jump", _span(delta), end))
        while self.clock() < end:
            self.clock.now = min(end, self.clock() + TICK)
            self._tick()

    def _tick(self) -> None:
        done = materialise_due_work(self.app.due_work_setup(), self.clock())
        if done.expired:  # the patient is not told; staff are
            text = "The survey expired: recorded as missed, and staff get a missed-survey alert."
            self.lines.append(ChatLine("time", "expired", text, self.clock()))
        self._dispatch()

    def _dispatch(self) -> None:
        channels: dict[str, Any] = {self.session.channel_name: self.session.channel}
        rules = SendRules.from_settings(self.app.settings)
        asyncio.run(dispatch_pending(self.app.db, channels, self.clock(), rules=rules))
        self._collect()

    def _collect(self) -> None:
        sent = self.session.channel.sent
        for envelope in sent[self._seen :]:
            options = [(int(o["code"]), str(o["label"])) for o in envelope.options]
            text = render_text(envelope.text, options, envelope.hint, with_options=True)
            self.lines.append(ChatLine("out", envelope.kind, text, self.clock()))
        self._seen = len(sent)

    def close(self) -> None:
        self.app.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'' if days == 1 else 's'} later"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours later"
    return f"{minutes} minutes later"


class Sandboxes:
    """The open sandboxes of one console process, one per staff member."""

    def __init__(
        self, *, parent: Path | None = None, clock: Callable[[], float] = time.monotonic,
        idle_limit: float = IDLE_LIMIT,
    ) -> None:  # fmt: skip
        self._lock = threading.Lock()
        self._open: OrderedDict[str, Sandbox] = OrderedDict()
        self._template: Path | None = None
        self._root: Path | None = None  # made at the first simulation
        self._parent = parent  # where the root folder goes (default: the system's temp folder)
        self._clock = clock
        self._idle_limit = idle_limit

    @property
    def root(self) -> Path | None:
        return self._root

    def get(self, owner: str) -> Sandbox | None:
        self.close_idle()
        with self._lock:
            box = self._open.get(owner)
            if box is not None:
                box.last_used = self._clock()
            return box

    def start(
        self, owner: str, settings: Settings, *, locale: str, instrument: str, mode: str,
        start: datetime,
    ) -> Sandbox:  # fmt: skip
        self.close(owner)
        self.close_idle()
        template = self._migrated_template()
        folder = Path(tempfile.mkdtemp(prefix="sandbox-", dir=template.parent))
        shutil.copyfile(template, folder / "sandbox.db")
        clock = SimClock(start)
        app = build_app(
            settings, database_url=f"sqlite:///{folder / 'sandbox.db'}", clock=clock, migrate=False
        )
        session = ConsoleSession(app, locale=locale, style="sms", out=io.StringIO(), as_json=False)
        box = Sandbox(
            app, folder, clock, session, locale, instrument, mode, settings.default_timezone,
            last_used=self._clock(),
        )  # fmt: skip
        if mode == "session":
            _group_session_now(box)
            box._tick()
        else:
            session.start(instrument)  # asks the first question at once
            box._collect()
        with self._lock:
            self._open[owner] = box
            while len(self._open) > MAX_SANDBOXES:
                _, oldest = self._open.popitem(last=False)
                oldest.close()
        return box

    def close(self, owner: str) -> None:
        with self._lock:
            box = self._open.pop(owner, None)
        if box is not None:
            box.close()

    def close_idle(self) -> None:
        """Throw away every sandbox unused for longer than the idle limit."""
        cutoff = self._clock() - self._idle_limit
        with self._lock:
            idle = [owner for owner, box in self._open.items() if box.last_used < cutoff]
            boxes = [self._open.pop(owner) for owner in idle]
        for box in boxes:
            box.close()

    def close_all(self) -> None:
        """Every sandbox and the template: the process is ending."""
        with self._lock:
            boxes = list(self._open.values())
            self._open.clear()
            root, self._root, self._template = self._root, None, None
        for box in boxes:
            box.close()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def _migrated_template(self) -> Path:
        with self._lock:
            if self._template is None:
                parent = self._parent or Path(tempfile.gettempdir())
                remove_orphans(parent)
                self._root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=parent))
                (self._root / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
                atexit.register(self.close_all)
                path = self._root / "template.db"
                upgrade(f"sqlite:///{path}")
                self._template = path
            return self._template


def remove_orphans(parent: Path) -> list[Path]:
    """Remove the simulator folders in `parent` whose process has ended without clearing up."""
    removed = []
    for root in parent.glob(ROOT_PREFIX + "*"):
        try:
            owner = int((root / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            owner = None  # not made by this code, or being made right now: left alone
        if owner is not None and owner != os.getpid() and not _alive(owner):
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _group_session_now(box: Sandbox) -> None:
    """The program's plan for real: a one-week cohort whose session starts in a quarter of an
    hour, with the simulated patient enrolled (DVPRS at the session; reminders before it)."""
    now = box.clock()
    local = (now + SESSION_LEAD).astimezone(ZoneInfo(box.timezone))
    with session_scope(box.app.db) as s:
        cohort = cohorts.create_cohort(
            s, name="Simulation", start_date=local.date(), timezone=box.timezone,
            rule=cohorts.WeeklyRule(weekday=local.weekday(), time=f"{local:%H:%M}"),
            now=now, weeks=1, survey_plan=PlanOptions(battery=()),
        )  # fmt: skip
        patient = s.get(Patient, box.session.patient_id)
        assert patient is not None
        cohorts.enrol(s, cohort, patient, now)
