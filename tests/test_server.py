"""The ASGI service: health check, lifespan starting the dispatcher, inbound through Runtime."""

from __future__ import annotations

import io
import time
from pathlib import Path

from starlette.testclient import TestClient

from bot.channels.console import ConsoleChannel
from bot.conversation.messages import Inbound
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import build_app
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings
from bot.web.app import staff_mount
from tests.support import FakeClock


def test_health_and_dispatch_through_the_runtime(tmp_path: Path) -> None:
    clock = FakeClock()
    app = build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        clock=clock,
    )
    console = ConsoleChannel(io.StringIO())
    runtime = Runtime(app, [console])
    with session_scope(app.db) as s:
        patient = store.add_patient(s, study_id="S1", now=clock())
        store.bind_channel(
            s,
            patient=patient,
            channel="console",
            address="a1",
            consent_text_version="t",
            method="console",
            now=clock(),
        )
        assert patient.id is not None
        patient_id = patient.id
    with TestClient(build_asgi(runtime)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "ok" and health.json()["channels"] == ["console"]
        app.pipeline.start_survey(patient_id, "dvprs")
        result = client.portal.call(runtime.receive, Inbound("console", "a1", "m1", "4", clock()))
        assert result.status == "processed"  # the runtime's own dispatcher loop sends the reply
        deadline = time.monotonic() + 120  # catches a reply that never comes, not a slow one
        while not any(m.text.startswith("Q2/5") for m in console.sent):
            assert time.monotonic() < deadline, [m.text[:20] for m in console.sent]
            time.sleep(0.02)
    assert [m.text.split(".")[0] for m in console.sent][-1] == "Q2/5"
    app.db.dispose()


def test_health_reports_an_unreachable_database() -> None:
    app = build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url="postgresql://nobody@127.0.0.1:1/none",
        migrate=False,
    )
    client = TestClient(build_asgi(Runtime(app, [])))  # no lifespan: only the route
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    app.db.dispose()


def test_a_trailing_slash_is_a_404_never_a_redirect_to_the_host_header(tmp_path: Path) -> None:
    """Starlette redirected "/healthz/" to a URL built from the request's Host header."""
    app = build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 's.db'}",
    )
    asgi = build_asgi(Runtime(app, []), extra_routes=[staff_mount(app)])
    client = TestClient(asgi, follow_redirects=False)
    for path in ("/healthz/", "/twilio/sms/", "/staff/patients/", "/staff/alerts/"):
        response = client.get(path, headers={"Host": "evil.example.com"})
        assert "evil.example.com" not in response.headers.get("location", ""), path
        assert response.status_code == 404, path
    app.db.dispose()
