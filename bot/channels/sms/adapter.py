"""The SMS channel on Twilio: webhooks in, REST API out, paced by segments.

Enabled by `sms_channel` when an account SID, credentials (auth token, or an API key
and secret) and a sender (from-number or messaging service SID) are configured. Errors map onto
the closed family in bot/channels/base.py: 21610 -> ContactStopped; 429, 5xx and network
failures -> RetryableSendError (the dispatcher backs off); other refusals -> FinalSendError.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import Route
from twilio.rest import Client

from bot.channels.base import OutboundEnvelope, Secret
from bot.channels.port import ChannelPort
from bot.channels.sms.pacing import Monotonic, SegmentPacer, Sleep
from bot.channels.sms.render import SegmentLimits, render_sms
from bot.channels.sms.twilio_client import LocalBaseHttpClient, make_client, twilio_send_errors
from bot.channels.sms.webhooks import (
    CHANNEL,
    INBOUND_PATH,
    STATUS_PATH,
    WebhookConfig,
    inbound_endpoint,
    status_endpoint,
)
from bot.conversation.i18n import translator
from bot.conversation.messages import SAFETY_KINDS
from bot.conversation.segments import segment_count

log = logging.getLogger(__name__)


class SmsSettings(Protocol):
    """The settings the SMS channel reads (`bot.service.settings.Settings` has them all)."""

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
    def twilio_messaging_service_sid(self) -> str | None: ...
    @property
    def twilio_api_base_url(self) -> str: ...
    @property
    def sms_messages_per_second(self) -> float: ...
    @property
    def public_base_url(self) -> str | None: ...
    @property
    def trust_forwarded_headers(self) -> bool: ...
    @property
    def sms_max_segments_latin(self) -> int: ...
    @property
    def sms_max_segments_other_scripts(self) -> int: ...


@dataclass(frozen=True)
class SmsConfig:
    account_sid: str
    username: str  # account SID, or an API key SID
    password: str  # auth token, or the API key secret
    from_number: str | None
    messaging_service_sid: str | None
    api_base_url: str
    segments_per_second: float
    webhooks: WebhookConfig
    limits: SegmentLimits = SegmentLimits()

    @classmethod
    def from_settings(cls, settings: SmsSettings) -> SmsConfig | None:
        token = (
            settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
        )
        key_secret = (
            settings.twilio_api_key_secret.get_secret_value()
            if settings.twilio_api_key_secret
            else None
        )
        sender = settings.twilio_from_number or settings.twilio_messaging_service_sid
        if not settings.twilio_account_sid or not sender:
            return None
        if settings.twilio_api_key_sid and key_secret:
            username, password = settings.twilio_api_key_sid, key_secret
        elif token:
            username, password = settings.twilio_account_sid, token
        else:
            return None
        return cls(
            account_sid=settings.twilio_account_sid,
            username=username,
            password=password,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base_url=settings.twilio_api_base_url,
            segments_per_second=settings.sms_messages_per_second,
            webhooks=WebhookConfig(
                auth_token=token,
                public_base_url=settings.public_base_url,
                trust_forwarded_headers=settings.trust_forwarded_headers,
            ),
            limits=SegmentLimits(
                latin=settings.sms_max_segments_latin,
                other_scripts=settings.sms_max_segments_other_scripts,
            ),
        )


class TwilioSmsChannel:
    name = CHANNEL

    def __init__(
        self,
        port: ChannelPort,
        config: SmsConfig,
        *,
        monotonic: Monotonic | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._port = port
        self._config = config
        pacing: dict[str, Any] = {}
        if monotonic is not None:
            pacing["monotonic"] = monotonic
        if sleep is not None:
            pacing["sleep"] = sleep
        self._pacer = SegmentPacer(config.segments_per_second, **pacing)
        # The dispatcher claims replies ahead by this rate (`Dispatcher.direct_room`); a
        # message of several segments goes slower, still well inside the claim's lease.
        self.sends_per_second: float | None = config.segments_per_second
        self._http: LocalBaseHttpClient | None = None
        self._client: Client | None = None

    # ---- lifecycle and routes -----------------------------------------------------------

    def routes(self) -> list[Any]:
        webhooks = self._config.webhooks
        return [
            Route(INBOUND_PATH, inbound_endpoint(webhooks, self._port), methods=["POST"]),
            Route(STATUS_PATH, status_endpoint(webhooks, self._port), methods=["POST"]),
        ]

    async def start(self) -> None:
        if not self._config.webhooks.auth_token:
            log.warning("no Twilio auth token: incoming SMS cannot be authenticated and is refused")
        if not self._config.webhooks.public_base_url:
            log.warning(
                "PATHBOT_PUBLIC_BASE_URL is not set: webhook signatures use the request URL"
            )
        self._ensure_client()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None

    # ---- sending ------------------------------------------------------------------------

    async def wait_turn(self, message: OutboundEnvelope) -> float:
        """The airtime for this message's segments (a long code carries about one segment a
        second); the seconds waited."""
        segments = segment_count(_body(message, self._config.limits))
        return await self._pacer.wait_turn(segments, urgent=message.kind in SAFETY_KINDS)

    def segments(self, message: OutboundEnvelope) -> int:
        """The segments this message takes (recorded with "sent" by the dispatcher: no database
        write stands between a crisis reply and Twilio)."""
        return segment_count(_body(message, self._config.limits))

    async def send(self, message: OutboundEnvelope) -> str:
        # Opt-out and per-channel stops were checked by the dispatcher just before this call.
        body = _body(message, self._config.limits)
        if not message.turn_taken:
            await self.wait_turn(message)
        client = self._ensure_client()
        sender: dict[str, str] = {}
        if self._config.messaging_service_sid:
            sender["messaging_service_sid"] = self._config.messaging_service_sid
        if self._config.from_number:
            sender["from_"] = self._config.from_number
        callback = self._status_callback(message.outbox_id)
        if callback:
            sender["status_callback"] = callback
        with twilio_send_errors():
            created = await client.messages.create_async(to=message.address, body=body, **sender)
        return str(created.sid)

    def _ensure_client(self) -> Client:
        if self._client is None:
            self._http = LocalBaseHttpClient(self._config.api_base_url)
            self._client = make_client(
                account_sid=self._config.account_sid,
                username=self._config.username,
                password=self._config.password,
                http_client=self._http,
            )
        return self._client

    def _status_callback(self, outbox_id: int) -> str | None:
        base = self._config.webhooks.public_base_url
        return f"{base.rstrip('/')}{STATUS_PATH}?o={outbox_id}" if base else None


def _body(message: OutboundEnvelope, limits: SegmentLimits) -> str:
    options = [(int(o["code"]), str(o["label"])) for o in message.options]
    return render_sms(message.text, options, message.hint, translator(message.locale), limits)


def sms_channel(settings: SmsSettings, port: ChannelPort) -> TwilioSmsChannel | None:
    """The channel factory for `pathbot run`: on when Twilio is configured, else None."""
    config = SmsConfig.from_settings(settings)
    return TwilioSmsChannel(port, config) if config else None
