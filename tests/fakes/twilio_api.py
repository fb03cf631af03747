"""A stateful fake of Twilio's Messages API (2010-04-01) that the real twilio client talks to.

It runs on 127.0.0.1 (port 0), checks Basic auth, records every request with the time from an
injected clock, answers with scripted errors (21610 for numbers on its blocklist, queued 429s and
5xx), and plays the part of Twilio towards the app: inbound SMS and status callbacks, signed with
the twilio package's own RequestValidator.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Literal

import httpx
from aiohttp import web
from twilio.request_validator import RequestValidator

Signature = Literal["valid", "forged", "missing", "wrong_url"]


@dataclass
class RecordedRequest:
    at: float
    method: str
    path: str
    form: dict[str, str]
    status: int


@dataclass
class ScriptedError:
    status: int
    code: int
    message: str = "scripted error"


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    clock: Callable[[], float] = time.monotonic
    api_keys: dict[str, str] = field(default_factory=dict)  # SK... -> secret
    blocked: set[str] = field(default_factory=set)  # numbers that opted out: 21610
    errors: list[ScriptedError] = field(default_factory=list)  # next create attempts fail
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # outbound calls placed
    base_url: str = ""
    # While set and not yet released, message requests wait here before they are answered
    # (`holding` counts them): sends in flight at a chosen moment.
    hold: asyncio.Event | None = None
    holding: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self._create_call)
        self._app = app

    # ---- server -------------------------------------------------------------------------

    async def start(self) -> str:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if user == self.account_sid:
            return password == self.auth_token
        return self.api_keys.get(user) == password

    async def _create(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if self.hold is not None and not self.hold.is_set():
            self.holding += 1
            try:
                await self.hold.wait()
            finally:
                self.holding -= 1
        status, payload = self._answer(request, form)
        self.requests.append(
            RecordedRequest(self.clock(), request.method, request.path, form, status)
        )
        return web.json_response(payload, status=status)

    def _answer(self, request: web.Request, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self._authorised(request) or request.match_info["sid"] != self.account_sid:
            return 401, _error(20003, "Authenticate", 401)
        if self.errors:
            err = self.errors.pop(0)
            return err.status, _error(err.code, err.message, err.status)
        if "To" not in form:
            return 400, _error(21604, "A 'To' phone number is required.", 400)
        if form["To"] in self.blocked:
            return 400, _error(21610, "Attempt to send to unsubscribed recipient", 400)
        sid = f"SM{next(self._ids):032x}"
        now = formatdate(usegmt=True)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "price": None,
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "status_callback": form.get("StatusCallback"),
        }
        self.messages.append(message)
        return 201, message

    async def _create_call(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        status, payload = self._answer_call(request, form)
        self.requests.append(
            RecordedRequest(self.clock(), request.method, request.path, form, status)
        )
        return web.json_response(payload, status=status)

    def _answer_call(
        self, request: web.Request, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Programmable Voice's Calls resource: To, From and a Url (or Twiml) are required."""
        if not self._authorised(request) or request.match_info["sid"] != self.account_sid:
            return 401, _error(20003, "Authenticate", 401)
        if self.errors:
            err = self.errors.pop(0)
            return err.status, _error(err.code, err.message, err.status)
        if "To" not in form or "From" not in form:
            return 400, _error(21201, "No 'To' or 'From' number is specified", 400)
        if "Url" not in form and "Twiml" not in form:
            return 400, _error(21205, "Url parameter is required", 400)
        sid = f"CA{next(self._ids):032x}"
        now = formatdate(usegmt=True)
        call = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form["From"],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
            # kept for the fake's own use (Twilio does not echo them)
            "url": form.get("Url"),
            "status_callback": form.get("StatusCallback"),
            "machine_detection": form.get("MachineDetection"),
            "timeout": form.get("Timeout"),
        }
        self.calls.append(call)
        return 201, call

    # ---- what the patient's phone received ------------------------------------------------

    def bodies_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == number]

    # ---- Twilio calling the app -----------------------------------------------------------

    def new_message_sid(self) -> str:
        return f"SM{next(self._ids):032x}"

    async def send_inbound(
        self,
        *,
        local_url: str,
        public_url: str,
        sender: str,
        to: str,
        body: str,
        message_sid: str | None = None,
        signature: Signature = "valid",
        headers: dict[str, str] | None = None,
        media_types: tuple[str, ...] = (),
    ) -> httpx.Response:
        """Deliver an incoming SMS to the app's webhook, as Twilio does (form + signature); an
        MMS carries `media_types` (NumMedia, MediaContentTypeN, MediaUrlN)."""
        params = {
            "MessageSid": message_sid or self.new_message_sid(),
            "SmsSid": "",
            "AccountSid": self.account_sid,
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": str(len(media_types)),
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
            "SmsStatus": "received",
        }
        for n, content_type in enumerate(media_types):
            params[f"MediaContentType{n}"] = content_type
            params[f"MediaUrl{n}"] = f"https://api.twilio.com/media/ME{n}"
        return await self._post_signed(local_url, public_url, params, signature, headers)

    async def send_status(
        self,
        *,
        message: dict[str, Any],
        public_base: str,
        local_base: str,
        status: str,
        error_code: str | None = None,
        signature: Signature = "valid",
    ) -> httpx.Response:
        """Call the message's StatusCallback (a public URL) on the app's local address."""
        public_url = str(message["status_callback"])
        local_url = local_base.rstrip("/") + public_url.removeprefix(public_base.rstrip("/"))
        params = {
            "MessageSid": str(message["sid"]),
            "MessageStatus": status,
            "AccountSid": self.account_sid,
            "To": str(message["to"]),
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        return await self._post_signed(local_url, public_url, params, signature, None)

    async def _post_signed(
        self,
        local_url: str,
        public_url: str,
        params: dict[str, str],
        signature: Signature,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        validator = RequestValidator(self.auth_token)
        sent_headers = dict(headers or {})
        if signature == "valid":
            sent_headers["X-Twilio-Signature"] = validator.compute_signature(public_url, params)
        elif signature == "wrong_url":
            sent_headers["X-Twilio-Signature"] = validator.compute_signature(local_url, params)
        elif signature == "forged":
            forger = RequestValidator("not-the-auth-token")
            sent_headers["X-Twilio-Signature"] = forger.compute_signature(public_url, params)
        async with httpx.AsyncClient(timeout=TWILIO_WEBHOOK_TIMEOUT) as client:
            return await client.post(local_url, data=params, headers=sent_headers)


TWILIO_WEBHOOK_TIMEOUT = 15.0  # seconds Twilio waits for a webhook's answer


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
