"""Drill: messages PostgreSQL cannot store as they are, sent to `pathbot run` (through a proxy the
test controls, as the outage drills do).

Before, a NUL in a message ("I want to die\\x00") was refused by PostgreSQL, every such error was
taken for an outage, and the webhook answered 503 for ever: nothing stored, no crisis reply. Now
text is made storable on arrival (NUL -> U+FFFD), and anything else the database refuses for good
(a value too long for its column) is quarantined: kept whole, staff alerted, the patient answered
(crisis resources when the text reads as crisis), and the provider gets a 2xx.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bot.db import store
from bot.db.database import make_engine, normalize_database_url, session_scope, upgrade
from bot.db.models import Alert, ChannelIdentity, InboundMessage
from bot.db.reliability_models import QuarantinedInbound
from tests.drills.server_process import ServerProcess
from tests.drills.tcp_proxy import TcpProxy
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE

pytestmark = [pytest.mark.drill, pytest.mark.postgres]

PHONE = "+18025557002"
LONG_SID = "SM" + "7" * 198  # the column holds 128
STRANGER = "+1" + "9" * 80  # not a phone number: kept as given, longer than the column


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

        # a value the database refuses for good (a MessageSid longer than its column), from a
        # patient, in crisis words: quarantined, staff alerted, the crisis reply still sent
        for _ in range(2):  # and Twilio's redelivery finds it quarantined already
            assert await text(PHONE, "I want to kill myself", LONG_SID) == 200
        await replies_with("988", 2)
        # from an address that is no phone number and too long to store: quarantined, logged
        assert await text(STRANGER, "hello", "SM" + "2" * 32) == 200

        with Session(engine) as s:
            kept = s.exec(select(QuarantinedInbound).order_by(col(QuarantinedInbound.id))).all()
            alerts = s.exec(select(Alert).where(Alert.patient_id == patient_id)).all()
        assert [json.loads(q.provider_message_id) for q in kept] == [LONG_SID, "SM" + "2" * 32]
        assert json.loads(kept[0].body) == "I want to kill myself"
        assert kept[0].patient_id == patient_id and kept[0].triage_tier in (1, 2)
        assert json.loads(kept[1].address) == STRANGER and kept[1].patient_id is None
        assert all("SQLSTATE" in q.error for q in kept)
        assert "I want" not in server.log() and STRANGER not in server.log()
        assert sorted(a.kind for a in alerts) == ["crisis", "crisis", "quarantined"]
        async with httpx.AsyncClient() as http:
            health = (await http.get(base + "/healthz")).json()
        assert health["database"] == "ok" and health["quarantined_messages"] == 2
    finally:
        server.stop()
        await fake.stop()
        proxy.close()
        engine.dispose()
