"""The Twilio REST client for SMS: async, pointed at a configurable base URL, quiet in logs.

twilio-python's async HTTP client logs every response's headers at INFO and passes credentials
as aiohttp `BasicAuth` (deprecated in aiohttp 3.14). Ours sends the Authorization header itself,
rewrites `https://*.twilio.com` to `PATHBOT_TWILIO_API_BASE_URL` (tests point it at a local fake)
and logs nothing, so phone numbers, bodies and tokens never reach pathbot's logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import encode_basic_auth
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.channels.base import ContactStopped, FinalSendError, RetryableSendError, SendError

_silent = logging.getLogger("bot.channels.sms.twilio_client.http")
_silent.addHandler(logging.NullHandler())
_silent.propagate = False
_silent.disabled = True

TWILIO_CONTACT_STOPPED = 21610  # "Attempt to send to unsubscribed recipient"
TWILIO_THROTTLED = (20429, 14107)  # too many requests; "SMS send rate limit exceeded"


class LocalBaseHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Async Twilio HTTP client that targets `base_url` and keeps credentials out of logs."""

    def __init__(self, base_url: str, *, timeout: float = 15.0) -> None:
        super().__init__(timeout=timeout, logger=_silent)
        self._base = base_url.rstrip("/")

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's signature)
        allow_redirects: bool = False,
    ) -> Response:
        parts = urlsplit(url)
        target = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
        merged = dict(headers or {})
        if auth is not None:
            merged["Authorization"] = encode_basic_auth(auth[0], auth[1])
        result: Response = await super().request(
            method, target, params, data, merged, None, timeout, allow_redirects
        )
        return result


def make_client(
    *, account_sid: str, username: str, password: str, http_client: LocalBaseHttpClient
) -> Client:
    """A REST client authenticating with the auth token, or with an API key (SK...) and secret."""
    return Client(username, password, account_sid=account_sid, http_client=http_client)


def classify_twilio_error(exc: TwilioRestException) -> SendError:
    """Map a Twilio REST error onto the closed send-error family (bot/channels/base.py)."""
    code = str(exc.code) if exc.code is not None else str(exc.status)
    if exc.code == TWILIO_CONTACT_STOPPED:
        return ContactStopped("recipient opted out at the carrier", code=code)
    if exc.status == 429 or exc.code in TWILIO_THROTTLED:
        return RetryableSendError("throttled by Twilio", code=code)
    if exc.status >= 500 or exc.status in (401, 403):
        # Twilio outage, or credentials being fixed by the operator: keep the message.
        return RetryableSendError(f"Twilio answered {exc.status}", code=code)
    return FinalSendError(f"Twilio refused the message ({exc.status})", code=code)


@contextmanager
def twilio_send_errors() -> Iterator[None]:
    """A Twilio REST call (a message or a call) raises only the closed send-error family: what
    Twilio answered is classified, a network failure is worth a retry."""
    try:
        yield
    except TwilioRestException as exc:
        raise classify_twilio_error(exc) from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise RetryableSendError(f"network error: {type(exc).__name__}", code="network") from None


def message_sid(message: Any) -> str:
    return str(message.sid)
