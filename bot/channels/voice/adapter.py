"""The voice channel on Twilio Programmable Voice: signed webhooks in, TwiML out.

Enabled by `voice_channel` when `PATHBOT_VOICE_ENABLED` is set with a Twilio account SID and
auth token (the token signs every webhook; without it nothing could be authenticated). What a
call says is decided through the port (`voice_turn`); this module speaks Twilio.

Sending: the pipeline queues a call's replies on the voice channel like any channel's, and the
call speaks them at once. A row the dispatcher reaches while that call is live is "sent" on it
(the live call's sid). Anything else has no call to go on: placing outbound calls is not part
of this channel yet, so such a message fails for good, which alerts staff and lets the
dispatcher reach the patient on another channel (bot/db/fallback.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import Route

from bot.channels.base import FinalSendError, OutboundEnvelope, Secret
from bot.channels.port import ChannelPort
from bot.channels.sms.webhooks import WebhookConfig
from bot.channels.voice.webhooks import (
    CALL_PATH,
    CHANNEL,
    GATHER_PATH,
    STATUS_PATH,
    call_endpoint,
    status_endpoint,
)

log = logging.getLogger(__name__)


class VoiceSettings(Protocol):
    """The settings the voice channel reads (`bot.service.settings.Settings` has them all)."""

    @property
    def voice_enabled(self) -> bool: ...
    @property
    def twilio_account_sid(self) -> str | None: ...
    @property
    def twilio_auth_token(self) -> Secret | None: ...
    @property
    def public_base_url(self) -> str | None: ...
    @property
    def trust_forwarded_headers(self) -> bool: ...


@dataclass(frozen=True)
class VoiceConfig:
    account_sid: str
    webhooks: WebhookConfig

    @classmethod
    def from_settings(cls, settings: VoiceSettings) -> VoiceConfig | None:
        if not settings.voice_enabled or not settings.twilio_account_sid:
            return None
        token = (
            settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
        )
        return cls(
            account_sid=settings.twilio_account_sid,
            webhooks=WebhookConfig(
                auth_token=token,
                public_base_url=settings.public_base_url,
                trust_forwarded_headers=settings.trust_forwarded_headers,
            ),
        )


class TwilioVoiceChannel:
    name = CHANNEL

    def __init__(self, port: ChannelPort, config: VoiceConfig) -> None:
        self._port = port
        self._config = config

    def routes(self) -> list[Any]:
        webhooks = self._config.webhooks
        return [
            Route(CALL_PATH, call_endpoint(webhooks, self._port, "start"), methods=["POST"]),
            Route(GATHER_PATH, call_endpoint(webhooks, self._port, "gather"), methods=["POST"]),
            Route(STATUS_PATH, status_endpoint(webhooks, self._port), methods=["POST"]),
        ]

    async def start(self) -> None:
        if not self._config.webhooks.auth_token:
            log.warning("no Twilio auth token: voice webhooks cannot be authenticated, all refused")

    async def stop(self) -> None:
        return None

    async def send(self, message: OutboundEnvelope) -> str:
        live = await self._port.live_call(CHANNEL, message.address)
        if live is not None:
            return live  # the call in progress speaks it (bot/service/voice/)
        raise FinalSendError("no call in progress to say this on", code="voice_no_call")


def voice_channel(settings: VoiceSettings, port: ChannelPort) -> TwilioVoiceChannel | None:
    config = VoiceConfig.from_settings(settings)
    return TwilioVoiceChannel(port, config) if config is not None else None
