"""Twilio webhooks: incoming SMS and delivery status callbacks, authenticated before anything else.

Twilio signs each request with the auth token over the URL it called plus the form fields
(X-Twilio-Signature). Behind a TLS proxy the app sees another URL, so the signature is checked
against `PATHBOT_PUBLIC_BASE_URL` + path + query; without it, X-Forwarded-Proto/Host are honoured
only when `PATHBOT_TRUST_FORWARDED_HEADERS` is set. A missing or wrong signature gets 403 and
nothing is read further or stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from bot.channels.port import BackendUnavailable, ChannelPort, DeliveryStatus
from bot.conversation.messages import Inbound
from bot.conversation.phone import InvalidPhoneNumber, to_e164

log = logging.getLogger(__name__)

CHANNEL = "sms"
INBOUND_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY_CHARS = 1600  # Twilio's own limit; anything longer is not a real SMS
OPTED_OUT_ERROR = "21610"  # Twilio: the number replied STOP (to us or to the carrier)


@dataclass(frozen=True)
class WebhookConfig:
    auth_token: str | None  # None: nothing can be authenticated, every request is refused
    public_base_url: str | None
    trust_forwarded_headers: bool


def signed_url(request: Request, config: WebhookConfig) -> str:
    """The URL Twilio called, which is what it signed."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if config.public_base_url:
        return config.public_base_url.rstrip("/") + path
    if config.trust_forwarded_headers:
        proto = _first(request.headers.get("x-forwarded-proto")) or request.url.scheme
        host = _first(request.headers.get("x-forwarded-host")) or request.headers.get("host", "")
        return f"{proto}://{host}{path}"
    return str(request.url)


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() if value else None


async def authenticated_form(request: Request, config: WebhookConfig) -> FormData | None:
    """The form fields when the signature is valid; None (refuse with 403) otherwise."""
    signature = request.headers.get("x-twilio-signature")
    if not signature or not config.auth_token:
        return None
    form = await request.form()
    validator = RequestValidator(config.auth_token)
    if not validator.validate(signed_url(request, config), form, signature):
        return None
    return form


def inbound_endpoint(
    config: WebhookConfig, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_inbound(request: Request) -> Response:
        form = await authenticated_form(request, config)
        if form is None:
            log.warning("refused an SMS webhook with a missing or invalid signature")
            port.count_rejected(CHANNEL, "signature")
            return Response(status_code=403)
        sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
        sender = str(form.get("From") or "")
        if not sid or not sender:
            return Response(status_code=400)
        inbound = Inbound(
            channel=CHANNEL,
            address=_address(sender),
            provider_message_id=sid,
            text=str(form.get("Body") or "")[:MAX_BODY_CHARS],
            received_at=port.now(),
        )
        try:
            result = await port.receive(inbound)  # replies are queued and the dispatcher woken
        except BackendUnavailable as exc:  # Twilio retries a 5xx; the dedupe stores it once
            log.warning("sms inbound: database unavailable (%s)", exc)
            return Response(status_code=503, headers={"Retry-After": "10"})
        log.info("sms inbound %s", result.status)
        return Response(EMPTY_TWIML, media_type="application/xml")

    return sms_inbound


def status_endpoint(
    config: WebhookConfig, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_status(request: Request) -> Response:
        form = await authenticated_form(request, config)
        if form is None:
            log.warning("refused a status callback with a missing or invalid signature")
            port.count_rejected("sms_status", "signature")
            return Response(status_code=403)
        outbox_id = request.query_params.get("o", "")
        error_code = str(form.get("ErrorCode") or "") or None
        update = DeliveryStatus(
            channel=CHANNEL,
            outbox_id=int(outbox_id) if outbox_id.isdecimal() else None,
            provider_message_id=str(form.get("MessageSid") or ""),
            status=str(form.get("MessageStatus") or form.get("SmsStatus") or ""),
            error_code=error_code,
            contact_stopped=error_code == OPTED_OUT_ERROR,
        )
        try:
            await port.record_status(update)
        except BackendUnavailable as exc:
            log.warning("sms status: database unavailable (%s)", exc)
            return Response(status_code=503, headers={"Retry-After": "10"})
        return Response(status_code=200)

    return sms_status


def _address(sender: str) -> str:
    try:
        return to_e164(sender)
    except InvalidPhoneNumber:
        return sender  # a short code or alphanumeric sender: keep it as Twilio wrote it
