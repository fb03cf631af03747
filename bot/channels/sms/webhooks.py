"""Twilio webhooks: incoming SMS and delivery status callbacks, authenticated before anything else.

Twilio signs each request with the auth token over the URL it called plus the form fields
(X-Twilio-Signature). Behind a TLS proxy the app sees another URL, so the signature is checked
against `PATHBOT_PUBLIC_BASE_URL` + path + query; without it, X-Forwarded-Proto/Host are honoured
only when `PATHBOT_TRUST_FORWARDED_HEADERS` is set. A missing or wrong signature gets 403 and
nothing is stored.

Nothing unauthenticated is parsed beyond what Twilio sends: the body must be a URL-encoded form
(415 otherwise; a multipart upload is never parsed), at most 64 KiB (413, checked while reading)
and 100 fields (400); then the signature is checked. Fields pathbot stores are checked against
Twilio's formats (400 with the field's name otherwise): nothing is truncated or guessed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator

from bot.channels.port import BackendUnavailable, ChannelPort, DeliveryStatus
from bot.conversation.messages import Inbound
from bot.conversation.phone import InvalidPhoneNumber, to_e164

log = logging.getLogger(__name__)

CHANNEL = "sms"
INBOUND_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY_CHARS = 1600  # Twilio's own limit for a message; anything longer is not from Twilio
OPTED_OUT_ERROR = "21610"  # Twilio: the number replied STOP (to us or to the carrier)
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024  # a webhook is a few KB; a 1600-character body is ~20 KB encoded
MAX_FORM_FIELDS = 100  # Twilio sends about 20, 40 with ten media URLs
MAX_ADDRESS_CHARS = 64  # the column; an E.164 number has at most 16
SID = re.compile(r"[A-Za-z0-9]{1,64}")
STATUS_WORD = re.compile(r"[a-z_-]{1,32}")
ERROR_CODE = re.compile(r"[0-9]{1,10}")
OUTBOX_ID = re.compile(r"[0-9]{1,10}")
MAX_OUTBOX_ID = 2**31 - 1  # the id column is a 32-bit integer


@dataclass(frozen=True)
class WebhookConfig:
    auth_token: str | None  # None: nothing can be authenticated, every request is refused
    public_base_url: str | None
    trust_forwarded_headers: bool


class Refused(Exception):
    """The request is not a webhook pathbot can read; the status and reason to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> Response:
        return PlainTextResponse(self.reason, status_code=self.status)


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


async def read_form(request: Request) -> FormData:
    """The URL-encoded form, read up to its limits before anything is parsed; Refused else."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise Refused(415, f"expected {FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Refused(413, "form too large")
    try:
        parsed = parse_qsl(
            body.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="replace",
        )
    except ValueError:
        raise Refused(400, "too many form fields") from None
    pairs: list[tuple[str, str | UploadFile]] = [(name, value) for name, value in parsed]
    return FormData(pairs)


async def authenticated_form(request: Request, config: WebhookConfig) -> FormData | None:
    """The form fields when the signature is valid; None (refuse with 403) otherwise. Raises
    Refused for a body that is no Twilio form (wrong type, too large, too many fields)."""
    signature = request.headers.get("x-twilio-signature")
    if not signature or not config.auth_token:
        return None  # refused before a byte of the body is read
    form = await read_form(request)
    validator = RequestValidator(config.auth_token)
    if not validator.validate(signed_url(request, config), form, signature):
        return None
    return form


def inbound_endpoint(
    config: WebhookConfig, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_inbound(request: Request) -> Response:
        try:
            form = await authenticated_form(request, config)
            if form is None:
                log.warning("refused an SMS webhook with a missing or invalid signature")
                port.count_rejected(CHANNEL, "signature")
                return Response(status_code=403)
            inbound = _inbound(form, port)
        except Refused as refused:
            port.count_rejected(CHANNEL, f"http_{refused.status}")
            return refused.response()
        try:
            result = await port.receive(inbound)  # replies are queued and the dispatcher woken
        except BackendUnavailable as exc:  # Twilio retries a 5xx; the dedupe stores it once
            log.warning("sms inbound: database unavailable (%s)", exc)
            return Response(status_code=503, headers={"Retry-After": "10"})
        log.info("sms inbound %s", result.status)
        return Response(EMPTY_TWIML, media_type="application/xml")

    return sms_inbound


def _inbound(form: FormData, port: ChannelPort) -> Inbound:
    sid = _field(form, "MessageSid") or _field(form, "SmsSid")
    sender = _field(form, "From")
    body = _field(form, "Body")
    if not SID.fullmatch(sid):
        raise Refused(400, "MessageSid")
    if not sender:
        raise Refused(400, "From")
    address = _address(sender)
    if len(address) > MAX_ADDRESS_CHARS:
        raise Refused(400, "From")
    if len(body) > MAX_BODY_CHARS:
        raise Refused(400, "Body is longer than an SMS can be")
    return Inbound(
        channel=CHANNEL,
        address=address,
        provider_message_id=sid,
        text=body,
        received_at=port.now(),
        media=None if body.strip() else _mms_kind(form),
    )


def _mms_kind(form: FormData) -> str | None:
    """An MMS without words (a picture, a voice recording): its kind, so the patient is asked to
    type and staff get a note; the media itself is never fetched."""
    if not _field(form, "NumMedia").strip("0 "):
        return None
    content_type = _field(form, "MediaContentType0")
    if content_type.startswith("image/"):
        return "photo"
    if content_type.startswith(("audio/", "video/")):
        return "voice"
    return "file"


def status_endpoint(
    config: WebhookConfig, port: ChannelPort
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_status(request: Request) -> Response:
        try:
            form = await authenticated_form(request, config)
            if form is None:
                log.warning("refused a status callback with a missing or invalid signature")
                port.count_rejected("sms_status", "signature")
                return Response(status_code=403)
            update = _status(form, request.query_params.get("o"))
        except Refused as refused:
            port.count_rejected("sms_status", f"http_{refused.status}")
            return refused.response()
        try:
            await port.record_status(update)
        except BackendUnavailable as exc:
            log.warning("sms status: database unavailable (%s)", exc)
            return Response(status_code=503, headers={"Retry-After": "10"})
        return Response(status_code=200)

    return sms_status


def _status(form: FormData, outbox: str | None) -> DeliveryStatus:
    sid = _field(form, "MessageSid")
    status = _field(form, "MessageStatus") or _field(form, "SmsStatus")
    error_code = _field(form, "ErrorCode") or None
    if not SID.fullmatch(sid):
        raise Refused(400, "MessageSid")
    if not STATUS_WORD.fullmatch(status):
        raise Refused(400, "MessageStatus")
    if error_code is not None and not ERROR_CODE.fullmatch(error_code):
        raise Refused(400, "ErrorCode")
    outbox_id = None
    if outbox:  # ours, in the callback URL we gave Twilio
        if not OUTBOX_ID.fullmatch(outbox) or not 0 < int(outbox) <= MAX_OUTBOX_ID:
            raise Refused(400, "o")
        outbox_id = int(outbox)
    return DeliveryStatus(
        channel=CHANNEL,
        outbox_id=outbox_id,
        provider_message_id=sid,
        status=status,
        error_code=error_code,
        contact_stopped=error_code == OPTED_OUT_ERROR,
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _address(sender: str) -> str:
    try:
        return to_e164(sender)
    except InvalidPhoneNumber:
        return sender  # a short code or alphanumeric sender: keep it as Twilio wrote it
