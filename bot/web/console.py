"""What every console request needs: the app, the policies, the template environment."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jinja2
from starlette.routing import Route

from bot.clinic.staff.sessions import SessionPolicy
from bot.clinic.staff.signin import ThrottlePolicy
from bot.service.app import App
from bot.web.simulator.sandbox import Sandboxes

Health = Callable[[], Mapping[str, object]]


class Background:
    """One worker thread for console work that outlives its request (exports being made)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-background")
        self._lock = threading.Lock()
        self._done: set[str] = set()

    def submit(self, work: Callable[[], object]) -> Future[object]:
        return self._pool.submit(work)

    def first_time(self, key: str) -> bool:
        """True once per process for `key` (clearing up after a previous process)."""
        with self._lock:
            if key in self._done:
                return False
            self._done.add(key)
            return True


def no_health() -> Mapping[str, object]:
    return {}


@dataclass(frozen=True)
class Console:
    app: App
    templates: jinja2.Environment
    # The running service's loops and channels (Runtime.health); empty when not served by it.
    health: Health = no_health
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    # Signs the sign-in form's CSRF token. Without PATHBOT_STAFF_SECRET_KEY (development only:
    # production refuses to start without it) a key per process: open forms expire at restart.
    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    background: Background = field(default_factory=Background)
    simulators: Sandboxes = field(default_factory=Sandboxes)
    # The console's routes by name, filled once by build_console: Page.url builds a link from
    # its own route instead of Starlette's url_for, which tries every route of the whole service
    # in turn (a grid or a forecast makes hundreds of links).
    named_routes: dict[str, Route] = field(default_factory=dict)

    @property
    def session_policy(self) -> SessionPolicy:
        settings = self.app.settings
        return SessionPolicy(
            idle=timedelta(minutes=settings.staff_session_idle_minutes),
            absolute=timedelta(hours=settings.staff_session_absolute_hours),
        )

    @property
    def clinic_timezone(self) -> str:
        return self.app.settings.default_timezone

    def now(self) -> datetime:
        return self.app.pipeline.now()
