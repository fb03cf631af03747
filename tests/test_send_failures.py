"""Every permanent send failure is alerted and shown: staff alert, a log line, /healthz and the
patient list. Before, an SMS that failed five times was dropped in ~73 s with no log line and no
alert, /healthz stayed 200 and `pathbot patient list` still showed the channel as just pending."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlmodel import Session, select

from bot.cli.main import main
from bot.conversation.engine import ProgramInfo
from bot.db.models import Alert, OutboxMessage
from bot.service.sms_optin import queue_invite
from tests.fakes.twilio_api import ScriptedError
from tests.sms_support import sms_world
from tests.support import FakeClock

PHONE = "+18025550188"


async def test_an_sms_that_fails_five_times_is_alerted_and_shown(
    db_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with sms_world(db_url, clock) as w:
        pid = w.add_patient("F1", PHONE)
        queue_invite(w.app.db, ProgramInfo("Pain Program", "802-555-0100", "x"), pid, clock())
        w.fake.errors += [ScriptedError(503, 20500, "Service unavailable")] * 5
        with caplog.at_level(logging.WARNING):
            for _ in range(5):  # each retry after its back-off (2, 4, 8, 16 s)
                await w.dispatch()
                clock.advance(seconds=40)
        (row,) = w.outbox()
        assert (row.status, row.attempts) == ("failed", 5)
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert [(a.kind, a.rule_id) for a in alerts] == [("send_failed", f"outbox:{row.id}")]
        assert any("failed for good" in r.getMessage() for r in caplog.records)
        assert PHONE not in caplog.text
        async with httpx.AsyncClient() as http:
            health = await http.get(w.local_base + "/healthz")
        assert health.status_code == 503
        assert health.json()["open_send_failures"] == 1
        assert health.json()["channel_states"]["sms"].startswith("failing")
        assert main(["patient", "list", "--db", db_url]) == 0
        listed = capsys.readouterr().out
        assert "F1" in listed and "sms:pending (last send failed)" in listed


async def test_a_delivery_report_of_failure_is_alerted_once(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = w.add_patient("F2", PHONE)
        queue_invite(w.app.db, ProgramInfo("Pain Program", "802-555-0100", "x"), pid, clock())
        await w.dispatch()
        (message,) = w.fake.messages
        for status in ("undelivered", "undelivered"):  # and Twilio's retry of the callback
            answered = await w.fake.send_status(
                message=message,
                public_base="https://bot.example.org",
                local_base=w.local_base,
                status=status,
                error_code="30003",
            )
            assert answered.status_code == 200
        with Session(w.app.db) as s:
            row = s.exec(select(OutboxMessage)).one()
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert (row.status, row.error_code) == ("undelivered", "30003")
        assert [a.kind for a in alerts] == ["send_failed"]
