"""Keep the bot token out of logs: Telegram API URLs contain it (`/bot<TOKEN>/sendMessage`).

httpx logs every request URL at INFO; those lines are silenced, and every record from the HTTP
and Telegram libraries is scrubbed of the token in case one still reaches a handler.
"""

from __future__ import annotations

import logging

NOISY_LOGGERS = ("httpx", "httpcore")
LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "telegram.ext",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter",
    "telegram.ext.ExtBot",
    "telegram.Bot",
    "telegram._bot",
    "telegram.request",
    "telegram.ext._application",
    "telegram.ext._updater",
    "uvicorn.error",
    "uvicorn.access",
)
REDACTED = "<telegram-token>"


class TokenRedactor(logging.Filter):
    """Replace the token in a record's message (and arguments) before any handler sees it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if self._token in message:
            record.msg = message.replace(self._token, REDACTED)
            record.args = None
        if record.exc_text and self._token in record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, REDACTED)
        return True


def protect_token(token: str) -> None:
    """Silence request-URL logging and scrub the token from library loggers (idempotent)."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level in (logging.NOTSET, logging.DEBUG, logging.INFO):
            logger.setLevel(logging.WARNING)
    names = set(LIBRARY_LOGGERS) | {
        name
        for name in logging.root.manager.loggerDict
        if name.split(".")[0] in ("httpx", "httpcore", "telegram")
    }
    for name in names:
        logger = logging.getLogger(name)
        if not any(
            isinstance(f, TokenRedactor) and f._token == token  # noqa: SLF001
            for f in logger.filters
        ):
            logger.addFilter(TokenRedactor(token))
