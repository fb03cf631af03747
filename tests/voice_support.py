"""An end-to-end voice harness: the real app under uvicorn (port 0) with the SMS and voice
channels, the fake Twilio SMS API, and the fake Twilio Voice playing calls over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.channels.voice.adapter import TwilioVoiceChannel, VoiceConfig
from bot.db import store
from bot.db.database import session_scope
from bot.service.backend import Backend
from bot.service.voice.enrol import set_up_voice
from tests.fakes.twilio_voice import FakeCall, FakeTwilioVoice
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_BASE, SmsWorld, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"
PIN = "4826"


@dataclass
class VoiceWorld:
    sms_world: SmsWorld
    voice: FakeTwilioVoice

    @property
    def app(self) -> Any:
        return self.sms_world.app

    def add_voice_patient(
        self,
        study_id: str,
        phone: str = PHONE,
        *,
        pin: str | None = PIN,
        locale: str = "en",
        born: date | None = None,
    ) -> int:
        clock = self.sms_world.clock
        with session_scope(self.app.db) as s:
            patient = store.add_patient(s, study_id=study_id, now=clock(), locale=locale)
            patient.date_of_birth = born
            patient_id = patient.id or 0
        settings = self.app.settings
        set_up_voice(
            self.app.db,
            patient_id,
            phone,
            pin,
            clock(),
            identity_check=settings.voice_identity_check,
            recordings_dir=settings.voice_recordings_dir,
            auth_token=AUTH_TOKEN,
        )
        return patient_id

    async def call_in(self, phone: str = PHONE) -> FakeCall:
        self.sms_world.clock.advance(seconds=30)
        return await self.voice.dial_in(phone, FROM_NUMBER)

    async def call_and_sign_in(self, phone: str = PHONE, pin: str = PIN) -> FakeCall:
        call = await self.call_in(phone)
        await call.press(pin)
        return call


@contextlib.asynccontextmanager
async def voice_world(db_url: str, clock: FakeClock, **settings: Any) -> AsyncIterator[VoiceWorld]:
    def voice_on(backend: Backend) -> TwilioVoiceChannel:
        config = VoiceConfig.from_settings(backend.app.settings)
        assert config is not None
        return TwilioVoiceChannel(backend, config)

    async with sms_world(
        db_url, clock, channels_on_backend=(voice_on,), voice_enabled=True, **settings
    ) as world:
        fake = FakeTwilioVoice(ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE, world.local_base)
        yield VoiceWorld(world, fake)
