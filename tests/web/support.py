"""Console test helpers, shared by the TestClient tests, the route walk and the browser tests.

`ConsoleHarness` builds the real service app on a migrated database with the console mounted at
/staff (as `pathbot run` does), staff users of every role, and signs them in through the real
forms (password, then a TOTP code computed from the enrolled secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyotp
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.clinic.staff import accounts, mfa
from bot.db.database import session_scope
from bot.service.app import App, build_app
from bot.service.settings import Settings
from bot.web.app import staff_mount
from bot.web.console import Health, no_health
from tests.support import FakeClock

PASSWORD = "correct horse battery staple"
ROLES = ("administrator", "coordinator", "clinician", "researcher")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class ConsoleHarness:
    app: App
    clock: FakeClock
    asgi: Starlette
    secrets: dict[str, str] = field(default_factory=dict)  # username -> TOTP secret

    def client(self, *, https: bool = False) -> TestClient:
        """Secure cookies (production) come back only over https, as in a browser."""
        base = "https://testserver" if https else "http://testserver"
        return TestClient(self.asgi, base_url=base, follow_redirects=False)

    def add_user(self, username: str, role: str, *, enrol_mfa: bool = True) -> None:
        with session_scope(self.app.db) as s:
            user = accounts.add_user(
                s, username=username, role=role, password=PASSWORD, display_name=username.title(),
                actor="test", now=self.clock(),
            )  # fmt: skip
            if enrol_mfa:
                secret = mfa.new_secret()
                assert mfa.confirm_enrolment(user, secret, self.totp(secret), self.clock())
                user.mfa_last_step = None  # the set-up code above was not a sign-in
                s.add(user)
                self.secrets[username] = secret

    def totp(self, secret: str, at: datetime | None = None) -> str:
        return pyotp.TOTP(secret).at(at or self.clock())

    def sign_in(self, client: TestClient, username: str, password: str = PASSWORD) -> None:
        """Through the real forms; leaves `client` with a fully signed-in session cookie."""
        page = client.get("/staff/sign-in")
        response = client.post(
            "/staff/sign-in",
            data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 303, response.text
        if username in self.secrets:
            assert response.headers["location"].startswith("/staff/sign-in/code")
            page = client.get("/staff/sign-in/code")
            self.clock.advance(seconds=30)  # a fresh time step: each code is good once
            response = client.post(
                "/staff/sign-in/code",
                data={"code": self.totp(self.secrets[username]), "csrf_token": csrf_of(page.text)},
            )
            assert response.status_code == 303, response.text

    def signed_in(self, username: str) -> TestClient:
        client = self.client()
        self.sign_in(client, username)
        return client


def make_harness(
    tmp_path: Path,
    *,
    clock: FakeClock | None = None,
    settings: Settings | None = None,
    health: Health = no_health,
    database_url: str | None = None,
) -> ConsoleHarness:
    clock = clock or FakeClock()
    app = build_app(
        settings or Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=database_url or f"sqlite:///{tmp_path / 'console.db'}",
        clock=clock,
    )
    asgi = Starlette(routes=[staff_mount(app, health=health)])
    return ConsoleHarness(app=app, clock=clock, asgi=asgi)
