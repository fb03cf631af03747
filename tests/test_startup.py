"""`pathbot run` at start-up: it refuses to start on a broken instrument file, and a channel that
cannot start (Telegram unreachable) neither stops the server nor the other channels."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from bot.service.runtime import START_RETRY_MAX_SECONDS
from tests.drills.server_process import HANG_SECONDS, ServerProcess
from tests.drills.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE
from tests.telegram_support import TOKEN

pytestmark = pytest.mark.usefixtures("no_leaked_children")

BROKEN_INSTRUMENT = """\
format_version: 1
id: satisfaction_clinic
version: "1"
title: {en: Clinic satisfaction}
items:
  - id: q1
    text: {en: How satisfied are you}
    options: [{code: 1, label: {en: Not at all}}]
    options: []
"""


def _sms_env(fake_base: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pathbot.db'}",
        "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PATHBOT_TWILIO_API_BASE_URL": fake_base,
        "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
    }


async def test_a_broken_instrument_file_refuses_to_start(tmp_path: Path) -> None:
    clinic = tmp_path / "instruments"
    clinic.mkdir()
    (clinic / "satisfaction_clinic.yaml").write_text(BROKEN_INSTRUMENT, encoding="utf-8")
    server = ServerProcess(
        tmp_path,
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pathbot.db'}",
            "PATHBOT_INSTRUMENTS_DIR": str(clinic),
        },
    )
    process = await asyncio.to_thread(server.launch)
    try:
        code = await asyncio.to_thread(process.wait, HANG_SECONDS)  # catches a hang only
    finally:
        server.stop()
    output = server.log().strip()
    assert code == 2, output
    assert output.count("\n") == 0, f"one line, not a traceback: {output}"
    assert "satisfaction_clinic.yaml" in output and "duplicate key 'options'" in output


async def test_telegram_unreachable_at_start_up_leaves_sms_running(tmp_path: Path) -> None:
    twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await twilio.start()
    telegram = FakeTelegram(TOKEN)
    await telegram.start()
    host, port = telegram.base.removeprefix("http://").split(":")
    gate = TcpProxy(host, int(port))  # Telegram's address; closed until the test opens it
    gate_port = gate.start()
    gate.cut()
    server = ServerProcess(
        tmp_path,
        {
            **_sms_env(twilio.base_url, tmp_path),
            "PATHBOT_TELEGRAM_BOT_TOKEN": TOKEN,
            "PATHBOT_TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{gate_port}",
        },
    )
    try:
        base = await server.start()
        async with httpx.AsyncClient(timeout=HANG_SECONDS) as http:
            health = await http.get(base + "/healthz")
            assert health.status_code == 503
            states = health.json()["channel_states"]
            assert states["sms"] == "running"
            assert states["telegram"].startswith("retrying")
            # the SMS webhook is served meanwhile
            answered = await twilio.send_inbound(
                local_url=base + "/twilio/sms",
                public_url=PUBLIC_BASE + "/twilio/sms",
                sender="+18025557003",
                to=FROM_NUMBER,
                body="hello",
            )
            assert answered.status_code == 200
            gate.start()  # Telegram can be reached again: the channel starts on its own
            # at its next try, which is at most the back-off's ceiling away; the deadline adds
            # room for a loaded machine and only catches a channel that never starts again.
            deadline = time.monotonic() + START_RETRY_MAX_SECONDS + HANG_SECONDS
            while (health := await http.get(base + "/healthz")).status_code != 200:
                assert time.monotonic() < deadline, server.log()[-2000:]
                await asyncio.sleep(0.2)
            assert health.json()["channel_states"] == {"sms": "running", "telegram": "running"}
        assert server.process is not None and server.process.poll() is None
        assert "Traceback" not in server.log()
    finally:
        server.stop()
        gate.close()
        await telegram.stop()
        await twilio.stop()
