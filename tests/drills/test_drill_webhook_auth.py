"""Drill: every webhook with a forged, missing or replayed signature or secret.

SMS (Twilio signature over the public URL and the form): forged, missing, signed for another URL,
or a valid signature over a tampered body -> 403 and nothing stored; a replayed valid request ->
answered, stored once. Status callbacks likewise. Telegram (secret token header): wrong, missing,
truncated or empty -> 403 and nothing stored; a replayed update -> processed once.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.channels.telegram.adapter import TelegramChannel
from bot.db.models import ChannelIdentity, InboundMessage, ItemResponse, OutboxMessage
from bot.service.metrics import METRICS
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.sms_support import AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE, enrol_by_sms, sms_world
from tests.support import FakeClock
from tests.telegram_support import CHAT, TOKEN, TelegramHarness, eventually

pytestmark = [pytest.mark.drill]

PHONE = "+18025550177"
SECRET = "drill-Secret_0123456789abcdef"


def _inbound_count(db: object) -> int:
    with Session(db) as s:  # type: ignore[arg-type]
        return len(s.exec(select(InboundMessage)).all())


async def test_sms_webhooks_refuse_forgeries_and_store_a_replay_once(
    db_url: str, clock: FakeClock
) -> None:
    METRICS.reset()
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")
        await w.dispatch()
        before = _inbound_count(w.app.db)
        for signature in ("forged", "missing", "wrong_url"):
            response = await w.text(PHONE, "7", signature=signature)  # type: ignore[arg-type]
            assert response.status_code == 403, signature
        # a valid signature, then the body changed on the way: refused
        params = {"MessageSid": "SM" + "a" * 32, "From": PHONE, "To": FROM_NUMBER, "Body": "7"}
        good = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + "/twilio/sms", params)
        async with httpx.AsyncClient() as client:
            tampered = await client.post(
                w.local_base + "/twilio/sms",
                data={**params, "Body": "0"},
                headers={"X-Twilio-Signature": good},
            )
            assert tampered.status_code == 403
            # status callbacks are authenticated the same way
            forged_status = await client.post(
                w.local_base + "/twilio/sms/status?o=1",
                data={"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "21610"},
                headers={"X-Twilio-Signature": good},
            )
            assert forged_status.status_code == 403
        assert _inbound_count(w.app.db) == before  # nothing of it stored
        # a valid request replayed (Twilio's retry, or an attacker who captured it): once
        sid = "SM" + "b" * 32
        for _ in range(3):
            replay = await w.text(PHONE, "7", message_sid=sid)
            assert replay.status_code == 200
        with Session(w.app.db) as s:
            stored = s.exec(
                select(InboundMessage).where(InboundMessage.provider_message_id == sid)
            ).all()
            answers = s.exec(select(ItemResponse)).all()
            outbox = s.exec(select(OutboxMessage)).all()
        assert len(stored) == 1 and len(answers) == 1
        assert len(outbox) == len({r.dedupe_key for r in outbox})
        assert sum(1 for b in w.received(PHONE) if b.startswith("Q2/5")) == 1
    assert METRICS.value("pathbot_webhook_rejections_total", channel="sms", reason="signature") == 4
    assert (
        METRICS.value("pathbot_webhook_rejections_total", channel="sms_status", reason="signature")
        == 1
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_telegram_webhook_refuses_bad_secrets_and_processes_a_replay_once(
    sqlite_url: str, clock: FakeClock
) -> None:
    h = TelegramHarness(sqlite_url, clock)
    await h.fake.start()
    port = _free_port()
    channel = TelegramChannel(
        h.backend,
        token=TOKEN,
        api_base_url=h.fake.base,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret=SECRET,
        per_chat_interval=0,
    )
    runtime = Runtime(h.app, [channel], backend=h.backend)
    server = uvicorn.Server(
        uvicorn.Config(build_asgi(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started)
        _, code = h.new_patient()
        enrol = h.fake.push_text(CHAT, f"/start {code}")
        for secret in ("wrong", None, SECRET[:-1], "", SECRET + "x", SECRET.upper()):
            assert (await h.fake.deliver_webhook(enrol, secret)).status_code == 403
        assert h.rows(InboundMessage) == [] and h.rows(ChannelIdentity) == []
        for _ in range(3):  # Telegram's redelivery of the same update
            assert (await h.fake.deliver_webhook(enrol, SECRET)).status_code == 200
        assert len(h.rows(ChannelIdentity)) == 1
        await eventually(lambda: len(h.fake.calls_of("sendMessage")) >= 1)
        question = h.fake.last_question(CHAT)
        button = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        press = h.fake.push_callback(CHAT, question, button)
        for _ in range(3):
            assert (await h.fake.deliver_webhook(press, SECRET)).status_code == 200
        ids = [m.provider_message_id for m in h.rows(InboundMessage)]
        assert len(ids) == len(set(ids)) == 2  # the /start and the button press, once each
    finally:
        server.should_exit = True
        await task
        await h.fake.stop()
        h.app.db.dispose()
