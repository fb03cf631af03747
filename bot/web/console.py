"""What every console request needs: the app, the policies, the template environment."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jinja2

from bot.clinic.staff.sessions import SessionPolicy
from bot.clinic.staff.signin import ThrottlePolicy
from bot.service.app import App

Health = Callable[[], Mapping[str, object]]


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
