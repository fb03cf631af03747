"""An end-to-end SMS harness: the real app under uvicorn (port 0), the real twilio client, and
the fake Twilio server, all on virtual time driven by one FakeClock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from sqlmodel import Session, col, select

from bot.channels.base import ChannelAdapter
from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage
from bot.service.app import App, build_app
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from bot.service.settings import Settings
from tests.fakes.twilio_api import FakeTwilio, Signature
from tests.support import FakeClock

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "tok-" + "9f3c" * 7  # what must never appear in logs
FROM_NUMBER = "+18025550199"
PUBLIC_BASE = "https://bot.example.org"


def sms_settings(api_base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base_url": api_base_url,
        "public_base_url": PUBLIC_BASE,
        "sms_messages_per_second": 1.0,
        "program_name": "Pain Program",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class SmsWorld:
    app: App
    clock: FakeClock
    fake: FakeTwilio
    sms: TwilioSmsChannel
    runtime: Runtime
    local_base: str

    # ---- enrolment ----------------------------------------------------------------------

    def add_patient(self, study_id: str, phone: str, *, locale: str = "en") -> int:
        """What `pathbot patient add --phone` stores: a patient and a pending SMS identity."""
        with session_scope(self.app.db) as s:
            patient = store.add_patient(s, study_id=study_id, now=self.clock(), locale=locale)
            s.add(
                ChannelIdentity(
                    patient_id=patient.id or 0,
                    channel="sms",
                    address=phone,
                    status="pending",
                    created_at=self.clock(),
                )
            )
            return patient.id or 0

    # ---- the patient's phone ------------------------------------------------------------

    async def text(
        self,
        phone: str,
        body: str,
        *,
        message_sid: str | None = None,
        signature: Signature = "valid",
        dispatch: bool = True,
        media_types: tuple[str, ...] = (),
    ) -> httpx.Response:
        response = await self.fake.send_inbound(
            local_url=self.local_base + "/twilio/sms",
            public_url=PUBLIC_BASE + "/twilio/sms",
            sender=phone,
            to=FROM_NUMBER,
            body=body,
            message_sid=message_sid,
            signature=signature,
            media_types=media_types,
        )
        self.clock.advance(seconds=5)
        if dispatch:
            await self.dispatch()
        return response

    async def dispatch(self) -> int:
        return await self.runtime.dispatch_once()

    def received(self, phone: str) -> list[str]:
        return self.fake.bodies_to(phone)

    def last(self, phone: str) -> str:
        bodies = self.received(phone)
        return bodies[-1] if bodies else ""

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.app.db) as s:
            return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


@contextlib.asynccontextmanager
async def sms_world(
    db_url: str,
    clock: FakeClock,
    *,
    extra_channels: tuple[ChannelAdapter, ...] = (),
    channels_on_backend: tuple[Callable[[Backend], ChannelAdapter], ...] = (),
    **settings: Any,
) -> AsyncIterator[SmsWorld]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, clock=lambda: clock().timestamp())
    await fake.start()
    app = build_app(sms_settings(fake.base_url, **settings), database_url=db_url, clock=clock)
    config = SmsConfig.from_settings(app.settings)
    assert config is not None

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    backend = Backend(app)
    sms = TwilioSmsChannel(
        backend, config, monotonic=lambda: clock().timestamp(), sleep=virtual_sleep
    )
    more = [make(backend) for make in channels_on_backend]  # channels built on this port
    runtime = Runtime(app, [sms, *extra_channels, *more], backend=backend)
    await runtime.start_channels()  # no dispatcher loop: the test dispatches by hand
    # No lifespan: the test dispatches by hand, so nothing runs on a wall-clock timer.
    server = uvicorn.Server(
        uvicorn.Config(
            build_asgi(runtime), host="127.0.0.1", port=0, lifespan="off", log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    world = SmsWorld(app, clock, fake, sms, runtime, f"http://127.0.0.1:{port}")
    try:
        yield world
    finally:
        server.should_exit = True
        await task
        await runtime.stop_channels()
        await fake.stop()
        app.db.dispose()


async def enrol_by_sms(world: SmsWorld, study_id: str, phone: str, *, locale: str = "en") -> int:
    """A patient who got the opt-in text and confirmed with START."""
    from bot.service.sms_optin import queue_invite

    patient_id = world.add_patient(study_id, phone, locale=locale)
    queue_invite(world.app.db, world.app.program, patient_id, world.clock())
    await world.dispatch()
    await world.text(phone, "START")
    return patient_id
