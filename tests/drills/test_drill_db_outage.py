"""Drill: PostgreSQL goes away for 10 s under live SMS and Telegram traffic; nothing is lost.

The app reaches PostgreSQL through a TCP forwarder the test cuts (dropping every connection) and
restores; the real server is never touched. The service runs as `pathbot run` does: uvicorn with
its lifespan, so the dispatcher loop and the scheduler are live on the wall clock. During the
outage every webhook must get a retryable answer (503; Twilio and Telegram deliver again), never
a 2xx for something not stored. Afterwards the senders' redeliveries are stored exactly once, and
the same dispatcher loop (not a restarted one) sends every reply.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.conversation.engine import ProgramInfo
from bot.db import store
from bot.db.database import normalize_database_url, session_scope
from bot.db.invites import issue_code
from bot.db.models import ChannelIdentity, InboundMessage, ItemResponse, OutboxMessage
from bot.service.app import build_app
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.sms_optin import queue_invite
from tests.drills.server_process import HANG_SECONDS
from tests.drills.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE, sms_settings
from tests.telegram_support import TOKEN

pytestmark = [pytest.mark.drill, pytest.mark.postgres]

OUTAGE_SECONDS = 10.0
PATIENTS = 4
SECRET = "drill-webhook-secret-0123456789"
CHAT = 515151


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _eventually(check: Callable[[], bool], within: float = HANG_SECONDS) -> None:
    """Waits for `check`; the default deadline only catches a hang (the machine may be loaded)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


def _phone(n: int) -> str:
    return f"+1802555{n:04d}"


async def test_database_outage_answers_503_and_loses_nothing(postgres_url: str) -> None:
    target = make_url(normalize_database_url(postgres_url))
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied_url = target.set(port=proxy.start()).render_as_string(hide_password=False)
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    await fake.start()
    telegram = FakeTelegram(TOKEN)
    await telegram.start()
    port = _free_port()
    settings = sms_settings(
        fake.base_url,
        sms_messages_per_second=200.0,
        quiet_hours_start=0,
        quiet_hours_end=0,  # no night window: the drill runs at any hour
        max_unsolicited_per_day=1000,
    )
    app = build_app(settings, database_url=proxied_url)
    config = SmsConfig.from_settings(app.settings)
    assert config is not None
    backend = Backend(app)
    sms = TwilioSmsChannel(backend, config)
    tg = TelegramChannel(
        backend,
        token=TOKEN,
        api_base_url=telegram.base,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret=SECRET,
        per_chat_interval=0,
    )
    runtime = Runtime(app, [sms, tg], backend=backend)
    server = uvicorn.Server(
        uvicorn.Config(build_asgi(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    http = httpx.AsyncClient(timeout=HANG_SECONDS)  # catches a hang only

    async def text(phone: str, body: str, sid: str) -> int:
        response = await fake.send_inbound(
            local_url=base + "/twilio/sms",
            public_url=PUBLIC_BASE + "/twilio/sms",
            sender=phone,
            to=FROM_NUMBER,
            body=body,
            message_sid=sid,
        )
        return response.status_code

    def stored(model: type) -> list:  # type: ignore[type-arg]
        with Session(app.db) as s:
            return list(s.exec(select(model)).all())

    try:
        await _eventually(lambda: server.started)
        # ---- before: patients enrolled by SMS, each with a DVPRS open; one on Telegram -----
        program = ProgramInfo("Pain Program", "802-555-0100", "Mon-Fri 8-5")
        patient_ids = []
        for n in range(PATIENTS):
            with session_scope(app.db) as s:
                patient = store.add_patient(s, study_id=f"D{n}", now=app.pipeline.now())
                s.add(
                    ChannelIdentity(
                        patient_id=patient.id or 0,
                        channel="sms",
                        address=_phone(n),
                        status="pending",
                        created_at=app.pipeline.now(),
                    )
                )
            patient_ids.append(patient.id or 0)
            queue_invite(app.db, program, patient.id or 0, app.pipeline.now())
        runtime.wake()
        for n in range(PATIENTS):
            assert await text(_phone(n), "START", f"SMstart{n:028d}") == 200
        for pid in patient_ids:
            app.pipeline.start_survey(pid, "dvprs")
        runtime.wake()
        await _eventually(
            lambda: all(
                any(b.startswith("Q1/5") for b in fake.bodies_to(_phone(n)))
                for n in range(PATIENTS)
            )
        )
        with session_scope(app.db) as s:
            tg_patient = store.add_patient(s, study_id="T1", now=app.pipeline.now())
            code = issue_code(s, patient=tg_patient, channel="telegram", now=app.pipeline.now())
        enrol = telegram.push_text(CHAT, f"/start {code}")
        assert (await telegram.deliver_webhook(enrol, SECRET)).status_code == 200

        # ---- the outage: every webhook gets a retryable answer ------------------------------
        proxy.cut()
        started = time.monotonic()
        refused: list[tuple[str, str, str]] = []  # (phone, body, MessageSid), in order sent
        answers = ["7", "3", "2", "5"]
        health_during: set[int] = set()
        tg_update = telegram.push_text(CHAT, "HELP")
        tg_during = (await telegram.deliver_webhook(tg_update, SECRET)).status_code
        sent_count = 0
        while time.monotonic() - started < OUTAGE_SECONDS:
            n = sent_count % PATIENTS
            body = answers[(sent_count // PATIENTS) % len(answers)]
            sid = f"SMout{sent_count:029d}"
            status = await text(_phone(n), body, sid)
            assert status == 503, f"a webhook during the outage got {status}"
            refused.append((_phone(n), body, sid))
            sent_count += 1
            health_during.add((await http.get(base + "/healthz")).status_code)
            await asyncio.sleep(0.4)
        assert tg_during == 503
        assert health_during == {503}
        assert runtime.health()["dispatcher"] == "alive"  # the loop took the errors in stride

        # ---- back: Twilio and Telegram deliver again; everything is stored once ------------
        proxy.start()
        recover_by = time.monotonic() + HANG_SECONDS  # catches a service that never recovers
        while (await http.get(base + "/healthz")).status_code != 200:
            assert time.monotonic() < recover_by, "the service did not recover"
            await asyncio.sleep(0.1)
        for phone, body, sid in refused:
            assert await text(phone, body, sid) == 200
        for phone, body, sid in refused[:3]:  # and a late duplicate redelivery
            assert await text(phone, body, sid) == 200
        assert (await telegram.deliver_webhook(tg_update, SECRET)).status_code == 200
        assert (await telegram.deliver_webhook(tg_update, SECRET)).status_code == 200

        inbound = stored(InboundMessage)
        sids = [m.provider_message_id for m in inbound]
        assert len(sids) == len(set(sids))  # none stored twice
        assert {sid for _, _, sid in refused} <= set(sids)  # none lost
        assert f"tg-msg-{CHAT}-{tg_update['message']['message_id']}" in sids
        answered = stored(ItemResponse)
        expected_answers = min(len(refused), PATIENTS * 5)
        assert len(answered) == expected_answers

        # the same dispatcher loop sends every reply, including those to redelivered answers
        def all_sent() -> bool:
            rows = stored(OutboxMessage)
            return all(r.status in ("sent", "delivered") for r in rows)

        try:
            await _eventually(all_sent)
        except TimeoutError:
            for r in stored(OutboxMessage):
                if r.status not in ("sent", "delivered"):
                    print("unsent:", r.id, r.channel, r.kind, r.status, r.error_code)
            raise
        with Session(app.db) as s:
            rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
            sms_rows = [r for r in rows if r.channel == "sms"]
            tg_rows = [r for r in rows if r.channel == "telegram"]
        assert len(fake.messages) == len(sms_rows)  # each SMS sent once
        assert len(telegram.calls_of("sendMessage")) == len(tg_rows)  # each Telegram one too
        assert any("988" in str(p.get("text", "")) for p in telegram.calls_of("sendMessage"))
        print(
            f"\noutage drill: {len(refused)} SMS webhooks + 1 Telegram update answered 503 "
            f"over {OUTAGE_SECONDS:.0f} s; after recovery {len(inbound)} inbound stored once, "
            f"{len(answered)} answers, {len(fake.messages)} SMS sent, 0 duplicates"
        )
    finally:
        await http.aclose()
        server.should_exit = True
        await serving
        await fake.stop()
        await telegram.stop()
        app.db.dispose()
        proxy.close()
