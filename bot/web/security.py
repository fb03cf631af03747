"""Browser-facing defences: security headers on every response, cookies, and CSRF tokens.

CSRF: a signed-in (or half signed-in) session carries its own random token in the database;
before sign-in the form's token is an HMAC of a random cookie (signed double submit), so the
sign-in form is protected without writing a row for every anonymous visitor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "pathbot_staff"
PRESIGN_COOKIE = "pathbot_presign"
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",  # htmx from /staff/static; no inline script, no eval
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


class SecurityHeaders:
    """Adds the console's security headers to every response (pages, errors, static files)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = "/static/" in scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if not is_static:  # patient data must not sit in shared caches or history
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def set_session_cookie(response: Response, token: str, *, secure: bool, path: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, path=path, secure=secure, httponly=True, samesite="lax"
    )


def clear_session_cookie(response: Response, *, secure: bool, path: str) -> None:
    response.delete_cookie(SESSION_COOKIE, path=path, secure=secure, httponly=True, samesite="lax")


def presign_nonce(request: Request) -> tuple[str, bool]:
    """The anonymous visitor's nonce cookie, and whether it is new (to be set on the response)."""
    nonce = request.cookies.get(PRESIGN_COOKIE, "")
    if 16 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum():
        return nonce, False
    return secrets.token_urlsafe(24), True


def set_presign_cookie(response: Response, nonce: str, *, secure: bool, path: str) -> None:
    response.set_cookie(
        PRESIGN_COOKIE, nonce, path=path, secure=secure, httponly=True, samesite="strict"
    )


def presign_token(key: bytes, nonce: str) -> str:
    return hmac.new(key, nonce.encode("ascii"), hashlib.sha256).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and secrets.compare_digest(expected, given)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin or Referer)."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and origin.split("://", 1)[-1] == host
    fetch_site = request.headers.get("sec-fetch-site")
    return fetch_site in (None, "same-origin", "none")
