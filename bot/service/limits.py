"""A cap on every request body, applied before any route reads (let alone parses) it.

Anything unauthenticated is read only up to this cap: a body announced larger is refused with
413 before a byte of it is read, and a body that turns out larger while streaming is cut off
with 413 too. Routes may read less (the Twilio webhooks stop at 64 KiB); none may read more.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = (
    1024 * 1024
)  # a Telegram update is a few KB; nothing pathbot serves needs more


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = _content_length(scope)
        if announced == -1:
            await PlainTextResponse("bad Content-Length", status_code=400)(scope, receive, send)
            return
        if announced is not None and announced > self.max_bytes:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, "request body too large")
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    """The announced body size; None when not announced, -1 when not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) <= 18 else -1
    return None
