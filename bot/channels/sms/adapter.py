"""The SMS channel on Twilio: webhooks in, REST API out, paced by segments.

Enabled by `sms_channel_factory` when an account SID, credentials (auth token, or an API key
and secret) and a sender (from-number or messaging service SID) are configured. Errors map onto
the closed family in bot/channels/base.py: 21610 -> ContactStopped; 429, 5xx and network
failures -> RetryableSendError (the dispatcher backs off); other refusals -> FinalSendError.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from starlette.routing import Route
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.channels.base import ContactStopped, OutboundEnvelope, RetryableSendError
from bot.channels.sms.pacing import Monotonic, SegmentPacer, Sleep
from bot.channels.sms.render import render_sms
from bot.channels.sms.twilio_client import LocalBaseHttpClient, classify_twilio_error, make_client
from bot.channels.sms.webhooks import (
    INBOUND_PATH,
    STATUS_PATH,
    WebhookConfig,
    inbound_endpoint,
    status_endpoint,
)
from bot.conversation.engine import ProgramInfo
from bot.conversation.i18n import translator
from bot.conversation.messages import Inbound
from bot.conversation.segments import segment_count
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import OutboxMessage, Patient
from bot.service import sms_optin
from bot.service.app import App
from bot.service.enrolment import register_inviter
from bot.service.metrics import METRICS
from bot.service.pipeline import HandleResult
from bot.service.settings import Settings

log = logging.getLogger(__name__)

# Kinds that may still go to a number stopped on SMS: the one opt-out confirmation and safety text.
_ALWAYS_SENDABLE = ("confirmation", "crisis")


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

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsConfig | None:
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
        )


@dataclass(frozen=True)
class _SendContext:
    locale: str
    stopped: bool  # the number is stopped on SMS and this message is not one that may still go


class TwilioSmsChannel:
    name = "sms"

    def __init__(
        self,
        app: App,
        config: SmsConfig,
        *,
        monotonic: Monotonic | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._app = app
        self._config = config
        settings = app.settings
        self._program = ProgramInfo(settings.program_name, settings.help_phone, settings.help_hours)
        pacing: dict[str, Any] = {}
        if monotonic is not None:
            pacing["monotonic"] = monotonic
        if sleep is not None:
            pacing["sleep"] = sleep
        self._pacer = SegmentPacer(config.segments_per_second, **pacing)
        self._http: LocalBaseHttpClient | None = None
        self._client: Client | None = None

    # ---- lifecycle and routes -----------------------------------------------------------

    def routes(self) -> list[Any]:
        clock = self._app.pipeline.now
        return [
            Route(
                INBOUND_PATH,
                inbound_endpoint(self._config.webhooks, self._receive, clock),
                methods=["POST"],
            ),
            Route(
                STATUS_PATH,
                status_endpoint(self._config.webhooks, self._app.db, clock),
                methods=["POST"],
            ),
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

    async def _receive(self, inbound: Inbound) -> HandleResult:
        app = self._app
        started = METRICS.inbound_started()
        result = await asyncio.to_thread(
            sms_optin.receive, app.pipeline, app.db, self._program, inbound
        )
        METRICS.inbound_handled(self.name, result, started)
        return result

    # ---- sending ------------------------------------------------------------------------

    async def send(self, message: OutboundEnvelope) -> str:
        context = await asyncio.to_thread(self._send_context, message)
        if context.stopped:
            raise ContactStopped("the number is stopped on SMS", code="stopped")
        options = [(int(o["code"]), str(o["label"])) for o in message.options]
        body = render_sms(message.text, options, message.hint, translator(context.locale))
        segments = segment_count(body)
        await asyncio.to_thread(self._record_segments, message.outbox_id, segments)
        await self._pacer.wait_turn(segments)
        client = self._ensure_client()
        sender: dict[str, str] = {}
        if self._config.messaging_service_sid:
            sender["messaging_service_sid"] = self._config.messaging_service_sid
        if self._config.from_number:
            sender["from_"] = self._config.from_number
        callback = self._status_callback(message.outbox_id)
        if callback:
            sender["status_callback"] = callback
        try:
            created = await client.messages.create_async(to=message.address, body=body, **sender)
        except TwilioRestException as exc:
            raise classify_twilio_error(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RetryableSendError(
                f"network error: {type(exc).__name__}", code="network"
            ) from None
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

    def _send_context(self, message: OutboundEnvelope) -> _SendContext:
        """The patient's language, and whether the number is stopped on SMS (per channel)."""
        with session_scope(self._app.db) as session:
            row = session.get(OutboxMessage, message.outbox_id)
            patient = session.get(Patient, row.patient_id) if row and row.patient_id else None
            locale = patient.locale if patient else self._app.settings.default_locale
            identity = store.find_identity(session, self.name, message.address)
            stopped = identity is not None and identity.status in ("stopped", "unreachable")
            may_still_go = row is not None and (
                row.kind in _ALWAYS_SENDABLE or row.in_reply_to is not None
            )
            return _SendContext(locale=locale, stopped=stopped and not may_still_go)

    def _record_segments(self, outbox_id: int, segments: int) -> None:
        with session_scope(self._app.db) as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is not None:
                row.segments = segments
                session.add(row)


def sms_channel_factory(app: App) -> TwilioSmsChannel | None:
    """The SMS adapter when Twilio is configured, else None."""
    config = SmsConfig.from_settings(app.settings)
    return TwilioSmsChannel(app, config) if config else None


register_inviter("sms", sms_optin.invite)
