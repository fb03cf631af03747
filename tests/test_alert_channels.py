"""Crisis alerts that can reach nobody are loud (issue 12 point 5): production `pathbot run`
refuses to start without a staff alert channel that works, development warns, `/healthz` reports
urgent alerts no channel was told of, `pathbot alerts send` with no channel fails and says why.
Real `pathbot run` processes against the loopback Telegram and SMTP fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from bot.clinic.alerts.staff_channels import EmailStaffChannel, TelegramStaffChannel
from bot.db import store
from bot.db.database import session_scope
from bot.service.app import build_app
from bot.service.health import probe_database
from bot.service.settings import Settings
from bot.service.staff_alerts import check_staff_channels, undeliverable_reason
from tests.drills.server_process import ServerProcess
from tests.fakes.smtp_server import FakeSMTP
from tests.fakes.telegram_api import FakeTelegram
from tests.support import FakeClock
from tests.telegram_support import TOKEN
from tests.test_cli import pathbot

PRODUCTION = {"PATHBOT_ENV": "production", "PATHBOT_STAFF_SECRET_KEY": "q8Vd2LzR7pX4mN9sK1tY6wB3"}
STAFF_CHAT = "-100777"


async def _exit_code(server: ServerProcess) -> int | None:
    process = await asyncio.to_thread(server.launch)
    try:
        return await asyncio.to_thread(process.wait, 60)
    finally:
        server.stop()


async def test_production_refuses_to_start_without_a_staff_channel(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path, {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    )
    code = await _exit_code(server)
    output = server.log()
    assert code == 2, output
    assert "refusing to start in production" in output
    assert "no staff alert channel is configured" in output
    assert "Traceback" not in output


async def test_production_refuses_a_staff_channel_that_does_not_work(tmp_path: Path) -> None:
    telegram = FakeTelegram(TOKEN)
    await telegram.start()
    try:
        server = ServerProcess(
            tmp_path,
            {
                **PRODUCTION,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
                "PATHBOT_STAFF_TELEGRAM_CHAT_ID": STAFF_CHAT,
                "PATHBOT_STAFF_TELEGRAM_BOT_TOKEN": "999:" + "W" * 35,  # not the fake's token
                "PATHBOT_TELEGRAM_API_BASE_URL": telegram.base,
            },
        )
        code = await _exit_code(server)
    finally:
        await telegram.stop()
    output = server.log()
    assert code == 2, output
    assert "no staff alert channel works (telegram: InvalidToken)" in output
    assert "W" * 35 not in output  # the token is never printed


async def test_production_starts_with_a_working_staff_channel(tmp_path: Path) -> None:
    telegram = FakeTelegram(TOKEN)
    await telegram.start()
    server = ServerProcess(
        tmp_path,
        {
            **PRODUCTION,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            "PATHBOT_STAFF_TELEGRAM_CHAT_ID": STAFF_CHAT,
            "PATHBOT_STAFF_TELEGRAM_BOT_TOKEN": TOKEN,
            "PATHBOT_TELEGRAM_API_BASE_URL": telegram.base,
        },
    )
    try:
        await server.start()
        await server.healthy()
        assert ("getChat", {"chat_id": int(STAFF_CHAT)}) in [
            (m, {k: v for k, v in p.items() if k == "chat_id"}) for m, p in telegram.calls
        ]
        assert not [m for m, _ in telegram.calls if m == "sendMessage"]  # checked, not spammed
    finally:
        server.stop()
        await telegram.stop()


async def test_development_warns_and_serves(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path, {"PATHBOT_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    )
    try:
        await server.start()
        await server.healthy()
    finally:
        server.stop()
    assert "WARNING: no staff alert channel is configured" in server.log()


async def test_email_channel_check_sends_nothing() -> None:
    smtp = FakeSMTP()
    port = await smtp.start()
    try:
        good = EmailStaffChannel(
            host="127.0.0.1", port=port, sender="bot@x", recipients=["a@x"], starttls=False
        )
        checks = await check_staff_channels([good])
    finally:
        await smtp.stop()
    assert [(c.name, c.ok) for c in checks] == [("email", True)]
    assert smtp.received == []
    dead = EmailStaffChannel(host="127.0.0.1", port=port, sender="b@x", recipients=["a@x"])
    (failed,) = await check_staff_channels([dead])
    assert not failed.ok and undeliverable_reason([failed]) is not None
    telegram = TelegramStaffChannel(token=TOKEN, chat_id="1", api_base_url="http://127.0.0.1:9")
    assert undeliverable_reason(await check_staff_channels([telegram, dead])) == (
        "no staff alert channel works (telegram: NetworkError; email: ConnectionRefusedError)"
    )


def test_alerts_send_without_a_channel_fails_and_says_why(tmp_path: Path) -> None:
    result = pathbot("alerts", "send", "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert result.returncode != 0
    assert "no staff alert channel is configured" in result.stderr
    assert "sent 0" not in result.stdout


def test_healthz_facts_count_crisis_alerts_nobody_was_told_of(
    db_url: str, clock: FakeClock
) -> None:
    app = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    try:
        with session_scope(app.db) as s:
            patient = store.add_patient(s, study_id="H-1", now=clock(), locale="en")
            assert patient.id is not None
            store.add_alert(s, patient.id, "crisis", clock())
        assert probe_database(app.db, clock())["crisis_alerts_undelivered"] == 0  # just raised
        later = clock() + timedelta(minutes=3)
        assert probe_database(app.db, later)["crisis_alerts_undelivered"] == 1
    finally:
        app.db.dispose()


async def test_healthz_is_unhealthy_while_a_crisis_alert_reaches_nobody(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    sim = pathbot("simulate", "--instrument", "dvprs", "--db", f"sqlite:///{db}", stdin="kms\n")
    assert sim.returncode == 0, sim.stderr
    import sqlite3

    with sqlite3.connect(db) as conn:  # the alert was raised ten minutes ago
        conn.execute("UPDATE alert SET created_at = datetime(created_at, '-10 minutes')")
    server = ServerProcess(
        tmp_path, {"PATHBOT_ENV": "development", "DATABASE_URL": f"sqlite:///{db}"}
    )
    try:
        base = await server.start()
        async with httpx.AsyncClient(timeout=5) as http:
            health = await http.get(base + "/healthz")
    finally:
        server.stop()
    assert health.status_code == 503
    assert health.json()["crisis_alerts_undelivered"] == 1
