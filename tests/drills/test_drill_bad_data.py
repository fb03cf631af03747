"""Drill: messages PostgreSQL cannot store as they are, sent to `pathbot run` (through a proxy the
test controls, as the outage drills do).

Before, a NUL in a message ("I want to die\\x00") was refused by PostgreSQL, every such error was
taken for an outage, and the webhook answered 503 for ever: nothing stored, no crisis reply; a
MessageSid or sender longer than its column did the same. Now text is made storable on arrival
(NUL -> U+FFFD), and fields that cannot be Twilio's are refused at the edge with a 400 that names
them, nothing stored (anything else the database would refuse for good is quarantined:
tests/test_quarantine.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.db import store
from bot.db.database import make_engine, normalize_database_url, session_scope, upgrade
from bot.db.models import Alert, ChannelIdentity, InboundMessage
from bot.db.reliability_models import QuarantinedInbound
from tests.drills.server_process import ServerProcess
from tests.drills.tcp_proxy import TcpProxy
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgres,
    pytest.mark.usefixtures("no_leaked_children"),
]

PHONE = "+18025557002"
LONG_SID = "SM" + "7" * 198  # the column holds 128
STRANGER = "+1" + "9" * 80  # not a phone number, and longer than the column


async def test_nul_and_unstorable_values_are_answered_never_retried_for_ever(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        patient = store.add_patient(s, study_id="NUL1", now=now)
        s.add(
            ChannelIdentity(
                patient_id=patient.id or 0, channel="sms", address=PHONE, created_at=now
            )
        )
        patient_id = patient.id
    target = make_url(normalize_database_url(postgres_url))
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied = target.set(port=proxy.start()).render_as_string(hide_password=False)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    server = ServerProcess(
        tmp_path,
        {
            "DATABASE_URL": proxied,
            "PATHBOT_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "PATHBOT_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PATHBOT_TWILIO_FROM_NUMBER": FROM_NUMBER,
            "PATHBOT_TWILIO_API_BASE_URL": fake.base_url,
            "PATHBOT_PUBLIC_BASE_URL": PUBLIC_BASE,
            "PATHBOT_SMS_MESSAGES_PER_SECOND": "100",
            "PATHBOT_QUIET_HOURS_START": "0",
            "PATHBOT_QUIET_HOURS_END": "0",
        },
    )
    try:
        base = await server.start()
        await server.healthy()

        async def text(sender: str, body: str, sid: str) -> int:
            response = await fake.send_inbound(
                local_url=base + "/twilio/sms",
                public_url=PUBLIC_BASE + "/twilio/sms",
                sender=sender,
                to=FROM_NUMBER,
                body=body,
                message_sid=sid,
            )
            return response.status_code

        async def replies_with(marker: str, count: int) -> None:
            deadline = time.monotonic() + 30
            while sum(marker in b for b in fake.bodies_to(PHONE)) < count:
                assert time.monotonic() < deadline, f"no reply: {server.log()[-3000:]}"
                await asyncio.sleep(0.1)

        # NUL: stored (as U+FFFD), triaged, answered with the crisis resources
        assert await text(PHONE, "I want to die\x00", "SM" + "1" * 32) == 200
        await replies_with("988", 1)
        with Session(engine) as s:
            (stored,) = s.exec(select(InboundMessage).where(InboundMessage.address == PHONE)).all()
            assert stored.body == "I want to die\ufffd"
            assert stored.triage_tier in (1, 2)

        # fields no database column (and no Twilio message) can hold: a 400, never a 503 loop
        for sender, sid in ((PHONE, LONG_SID), (STRANGER, "SM" + "2" * 32)):
            assert await text(sender, "I want to kill myself", sid) == 400
        with Session(engine) as s:
            stored = s.exec(select(InboundMessage)).all()
            kept = s.exec(select(QuarantinedInbound)).all()
            alerts = s.exec(select(Alert).where(Alert.patient_id == patient_id)).all()
        assert len(stored) == 1 and kept == []
        assert [a.kind for a in alerts] == ["crisis"]
        assert "I want" not in server.log() and STRANGER not in server.log()
        async with httpx.AsyncClient() as http:
            health = (await http.get(base + "/healthz")).json()
        assert health["database"] == "ok" and health["quarantined_messages"] == 0
    finally:
        server.stop()
        await fake.stop()
        proxy.close()
        engine.dispose()
