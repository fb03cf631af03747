"""A channel that falls behind is seen (issue 16's dispatcher: every failure a witness).

A channel slower than what is written to it loses nothing (the outbox is durable) but can fall
hours behind: the memory benchmark left 29,449 replies waiting for an SMS number at a message a
second, eight hours of sending, and nothing told anyone. `/healthz` now reports how long each
channel's oldest due message has waited and is unhealthy while a channel this server sends on
is past `BEHIND_AFTER`; `/metrics` serves the same as a gauge.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from bot.channels.console import ConsoleChannel
from bot.conversation.messages import Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import App, build_app
from bot.service.health import probe_database
from bot.service.outbox_lag import BEHIND_AFTER
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings
from tests.support import FakeClock
from tests.test_metrics import _sample


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    app = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield app
    app.db.dispose()


def _enqueue(app: App, channel: str, key: str, due: datetime, *, status: str = "pending") -> None:
    with session_scope(app.db) as s:
        (row,) = store.enqueue(
            s,
            patient_id=None,
            channel=channel,
            address=f"{channel}-patient",
            messages=[Outgoing("reply", "a reply")],
            dedupe_prefix=key,
            now=due,
        )
        row.status = status
        s.add(row)


def test_the_probe_reports_how_long_each_channels_oldest_due_message_waited(
    app: App, clock: FakeClock
) -> None:
    assert probe_database(app.db, clock())["outbox_oldest_due_seconds"] == {}
    _enqueue(app, "sms", "old", clock() - timedelta(minutes=40))
    _enqueue(app, "sms", "new", clock() - timedelta(minutes=1))
    _enqueue(app, "telegram", "tg", clock() - timedelta(seconds=30))
    _enqueue(app, "telegram", "sent", clock() - timedelta(hours=5), status="sent")
    _enqueue(app, "console", "morning", clock() + timedelta(hours=9))  # held for the morning
    lag = probe_database(app.db, clock())["outbox_oldest_due_seconds"]
    assert lag == {"sms": 2400, "telegram": 30}


def _serve(app: App) -> TestClient:
    runtime = Runtime(app, [ConsoleChannel(io.StringIO())])
    asyncio.run(runtime.start_channels())  # the channel runs; no dispatcher to send anything
    return TestClient(build_asgi(runtime))


def test_healthz_is_unhealthy_while_a_channel_is_far_behind(app: App, clock: FakeClock) -> None:
    client = _serve(app)
    assert client.get("/healthz").status_code == 200
    _enqueue(app, "console", "recent", clock() - BEHIND_AFTER + timedelta(minutes=5))
    # A message due on a channel this server does not send on is not its lateness.
    _enqueue(app, "sms", "elsewhere", clock() - timedelta(hours=8))
    health = client.get("/healthz")
    assert health.status_code == 200, health.json()
    assert health.json()["outbox_behind"] == []
    assert health.json()["outbox_oldest_due_seconds"]["sms"] == 8 * 3600

    clock.advance(minutes=10)  # the console's oldest due message is now 35 minutes late
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["outbox_behind"] == ["console"]
    assert health.json()["outbox_oldest_due_seconds"]["console"] == 35 * 60


def test_metrics_serve_each_channels_lag(app: App, clock: FakeClock) -> None:
    _enqueue(app, "console", "late", clock() - timedelta(minutes=3))
    text = _serve(app).get("/metrics").text
    assert _sample(text, "pathbot_outbox_oldest_due_seconds", channel="console") == 180
    assert _sample(text, "pathbot_queue_depth", channel="console") == 1
