"""The voice channel on Twilio Programmable Voice: signed webhooks in, TwiML out, calls placed
through the REST API.

Enabled by `voice_channel` when `PATHBOT_VOICE_ENABLED` is set with a Twilio account SID and
auth token (the token signs every webhook; without it nothing could be authenticated). What a
call says is decided through the port (`voice_turn`); this module speaks Twilio.

Sending, for the dispatcher:
- a row of kind "call" (queued by bot/schedule/voice_calls.py) places an outbound call with
  answering-machine detection; Twilio then fetches `/twilio/voice` as for an inbound call, with
  `AnsweredBy`, and the service decides what a machine or a person hears;
- the pipeline queues a call's replies on the voice channel like any channel's, and the call
  speaks them at once; a row the dispatcher reaches while that call is live is "sent" on it;
- anything else has no call to go on and fails for good, which alerts staff and lets the
  dispatcher reach the patient on another channel (bot/db/fallback.py).
Errors map onto the closed family in bot/channels/base.py as for SMS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import Route
from twilio.rest import Client

from bot.channels.base import FinalSendError, OutboundEnvelope, Secret
from bot.channels.port import ChannelPort
from bot.channels.sms.twilio_client import LocalBaseHttpClient, make_client, twilio_send_errors
from bot.channels.sms.webhooks import WebhookConfig
from bot.channels.voice.audio import AUDIO_PATH, AudioSigner, audio_endpoint
from bot.channels.voice.webhooks import (
    CALL_PATH,
    CHANNEL,
    GATHER_PATH,
    STATUS_PATH,
    call_endpoint,
    status_endpoint,
)

log = logging.getLogger(__name__)

CALL_KIND = "call"
RING_SECONDS = 30  # how long an outbound call rings before it counts as not answered


class VoiceSettings(Protocol):
    """The settings the voice channel reads (`bot.service.settings.Settings` has them all)."""

    @property
    def voice_enabled(self) -> bool: ...
    @property
    def twilio_account_sid(self) -> str | None: ...
    @property
    def twilio_auth_token(self) -> Secret | None: ...
    @property
    def twilio_api_key_sid(self) -> str | None: ...
    @property
    def twilio_api_key_secret(self) -> Secret | None: ...
    @property
    def twilio_from_number(self) -> str | None: ...
    @property
    def twilio_api_base_url(self) -> str: ...
    @property
    def public_base_url(self) -> str | None: ...
    @property
    def trust_forwarded_headers(self) -> bool: ...


@dataclass(frozen=True)
class VoiceConfig:
    account_sid: str
    webhooks: WebhookConfig
    # Outbound calls: REST credentials (auth token, or API key and secret), the caller id and
    # the public URL Twilio fetches; without them the line only answers.
    username: str | None = None
    password: str | None = None
    from_number: str | None = None
    api_base_url: str = "https://api.twilio.com"

    @classmethod
    def from_settings(cls, settings: VoiceSettings) -> VoiceConfig | None:
        if not settings.voice_enabled or not settings.twilio_account_sid:
            return None
        token = (
            settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
        )
        key_secret = (
            settings.twilio_api_key_secret.get_secret_value()
            if settings.twilio_api_key_secret
            else None
        )
        username, password = (
            (settings.twilio_api_key_sid, key_secret)
            if settings.twilio_api_key_sid and key_secret
            else (settings.twilio_account_sid, token)
        )
        return cls(
            account_sid=settings.twilio_account_sid,
            webhooks=WebhookConfig(
                auth_token=token,
                public_base_url=settings.public_base_url,
                trust_forwarded_headers=settings.trust_forwarded_headers,
            ),
            username=username,
            password=password,
            from_number=settings.twilio_from_number,
            api_base_url=settings.twilio_api_base_url,
        )

    @property
    def places_calls(self) -> bool:
        return bool(
            self.username and self.password and self.from_number and self.webhooks.public_base_url
        )


class TwilioVoiceChannel:
    name = CHANNEL

    def __init__(self, port: ChannelPort, config: VoiceConfig) -> None:
        self._port = port
        self._config = config
        self._http: LocalBaseHttpClient | None = None
        self._client: Client | None = None

    def routes(self) -> list[Any]:
        webhooks = self._config.webhooks
        return [
            Route(CALL_PATH, call_endpoint(webhooks, self._port, "start"), methods=["POST"]),
            Route(GATHER_PATH, call_endpoint(webhooks, self._port, "gather"), methods=["POST"]),
            Route(STATUS_PATH, status_endpoint(webhooks, self._port), methods=["POST"]),
            Route(
                AUDIO_PATH + "/{clip}",
                audio_endpoint(
                    AudioSigner.from_auth_token(webhooks.auth_token)
                    if webhooks.auth_token
                    else None,
                    self._port,
                ),
                methods=["GET"],
            ),
        ]

    async def start(self) -> None:
        if not self._config.webhooks.auth_token:
            log.warning("no Twilio auth token: voice webhooks cannot be authenticated, all refused")
        if not self._config.places_calls:
            log.warning("voice: no from-number or public URL, so no outbound calls are placed")

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None

    async def send(self, message: OutboundEnvelope) -> str:
        live = await self._port.live_call(CHANNEL, message.address)
        if message.kind == CALL_KIND:
            if live is not None:
                return live  # already on the phone with them: that call asks what is due
            return await self._place_call(message)
        if live is not None:
            return live  # the call in progress speaks it (bot/service/voice/)
        raise FinalSendError("no call in progress to say this on", code="voice_no_call")

    async def _place_call(self, message: OutboundEnvelope) -> str:
        config = self._config
        base = config.webhooks.public_base_url
        if not config.places_calls or base is None or config.from_number is None:
            raise FinalSendError("outbound calls are not configured", code="voice_not_configured")
        client = self._ensure_client()
        base = base.rstrip("/")
        with twilio_send_errors():
            created = await client.calls.create_async(
                to=message.address,
                from_=config.from_number,
                url=f"{base}{CALL_PATH}",
                method="POST",
                status_callback=f"{base}{STATUS_PATH}?o={message.outbox_id}",
                status_callback_method="POST",
                machine_detection="Enable",
                timeout=RING_SECONDS,
            )
        return str(created.sid)

    def _ensure_client(self) -> Client:
        if self._client is None:
            assert self._config.username and self._config.password
            self._http = LocalBaseHttpClient(self._config.api_base_url)
            self._client = make_client(
                account_sid=self._config.account_sid,
                username=self._config.username,
                password=self._config.password,
                http_client=self._http,
            )
        return self._client


def voice_channel(settings: VoiceSettings, port: ChannelPort) -> TwilioVoiceChannel | None:
    config = VoiceConfig.from_settings(settings)
    return TwilioVoiceChannel(port, config) if config is not None else None
