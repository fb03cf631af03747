"""Twilio webhooks: incoming SMS and delivery status callbacks, authenticated before anything else.

Twilio signs each request with the auth token over the URL it called plus the form fields
(X-Twilio-Signature). Behind a TLS proxy the app sees another URL, so the signature is checked
against `PATHBOT_PUBLIC_BASE_URL` + path + query; without it, X-Forwarded-Proto/Host are honoured
only when `PATHBOT_TRUST_FORWARDED_HEADERS` is set. A missing or wrong signature gets 403 and
nothing is read further or stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from bot.conversation.messages import Inbound
from bot.conversation.phone import InvalidPhoneNumber, to_e164
from bot.db import fallback, store
from bot.db.availability import DATABASE_UNAVAILABLE
from bot.db.database import session_scope
from bot.db.models import OutboxMessage
from bot.service.metrics import METRICS
from bot.service.pipeline import HandleResult

log = logging.getLogger(__name__)

INBOUND_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY_CHARS = 1600  # Twilio's own limit; anything longer is not a real SMS
FINAL_FAILURES = ("undelivered", "failed")


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


Receive = Callable[[Inbound], Awaitable[HandleResult]]
Clock = Callable[[], datetime]


def inbound_endpoint(
    config: WebhookConfig, receive: Receive, clock: Clock
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_inbound(request: Request) -> Response:
        form = await authenticated_form(request, config)
        if form is None:
            log.warning("refused an SMS webhook with a missing or invalid signature")
            METRICS.webhook_rejected("sms", "signature")
            return Response(status_code=403)
        sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
        sender = str(form.get("From") or "")
        if not sid or not sender:
            return Response(status_code=400)
        inbound = Inbound(
            channel="sms",
            address=_address(sender),
            provider_message_id=sid,
            text=str(form.get("Body") or "")[:MAX_BODY_CHARS],
            received_at=clock(),
        )
        try:
            result = await receive(inbound)
        except DATABASE_UNAVAILABLE as exc:  # Twilio retries a 5xx; the dedupe stores it once
            log.warning("sms inbound: database unavailable (%s)", type(exc).__name__)
            return Response(status_code=503, headers={"Retry-After": "10"})
        runtime = getattr(request.app.state, "runtime", None)
        if result.outbox_ids and runtime is not None:
            runtime.wake()  # replies go out now, not at the next timer tick
        log.info("sms inbound %s", result.status)
        return Response(EMPTY_TWIML, media_type="application/xml")

    return sms_inbound


def status_endpoint(
    config: WebhookConfig, db: Engine, clock: Clock
) -> Callable[[Request], Awaitable[Response]]:
    async def sms_status(request: Request) -> Response:
        form = await authenticated_form(request, config)
        if form is None:
            log.warning("refused a status callback with a missing or invalid signature")
            METRICS.webhook_rejected("sms_status", "signature")
            return Response(status_code=403)
        outbox_id = request.query_params.get("o", "")
        update = StatusUpdate(
            outbox_id=int(outbox_id) if outbox_id.isdecimal() else None,
            message_sid=str(form.get("MessageSid") or ""),
            status=str(form.get("MessageStatus") or form.get("SmsStatus") or ""),
            error_code=str(form.get("ErrorCode") or "") or None,
        )
        try:
            await asyncio.to_thread(record_status, db, update, clock())
        except DATABASE_UNAVAILABLE as exc:
            log.warning("sms status: database unavailable (%s)", type(exc).__name__)
            return Response(status_code=503, headers={"Retry-After": "10"})
        return Response(status_code=200)

    return sms_status


def _address(sender: str) -> str:
    try:
        return to_e164(sender)
    except InvalidPhoneNumber:
        return sender  # a short code or alphanumeric sender: keep it as Twilio wrote it


@dataclass(frozen=True)
class StatusUpdate:
    outbox_id: int | None
    message_sid: str
    status: str
    error_code: str | None


def record_status(db: Engine, update: StatusUpdate, now: datetime) -> None:
    """Record delivered / undelivered / failed on the outbox row; a final failure may fall back."""
    with session_scope(db) as session:
        row = session.get(OutboxMessage, update.outbox_id) if update.outbox_id else None
        if row is None or (row.provider_message_id not in (None, update.message_sid)):
            row = _by_sid(session, update.message_sid)
        if row is None:
            return
        if update.status == "delivered":
            row.status = "delivered"
        elif update.status in FINAL_FAILURES:
            row.status = update.status
            row.error_code = update.error_code
            if update.error_code == "21610":
                identity = store.find_identity(session, row.channel, row.address)
                if identity is not None:
                    identity.status = "stopped"
                    session.add(identity)
            fallback.after_final_failure(session, row, now=now)
        else:
            return  # queued / sending / sent: nothing new for staff
        if row.provider_message_id is None and update.message_sid:
            row.provider_message_id = update.message_sid
        session.add(row)


def _by_sid(session: Session, sid: str) -> OutboxMessage | None:
    if not sid:
        return None
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == sid)
    ).first()
