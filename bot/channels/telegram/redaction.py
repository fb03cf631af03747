"""Keep the bot token and patients' words out of logs.

The token: Telegram API URLs contain it (`/bot<TOKEN>/sendMessage`). httpx logs every request
URL at INFO; those lines are silenced, and every record from the HTTP and Telegram libraries is
scrubbed of the token in case one still reaches a handler.

Patients' words: python-telegram-bot logs, at DEBUG, every Bot API call's parameters (the texts
sent) and answer (getUpdates: the messages received) and every update it processes; when it
cannot read polled updates it logs them at CRITICAL, or an exception that may quote them.
`ContentFreeReports` keeps the endpoint's name or the exception's type and drops the rest
(polled_updates.py skips such an update on the next poll, so its reports become warnings).
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


class ContentFreeReports(logging.Filter):
    """PTB's records that carry what patients wrote or are sent, without it."""

    CALLS = ("Calling Bot API endpoint", "Call to Bot API endpoint")
    UPDATES = ("Processing update", "Dropping pending update")  # (then the update itself)
    UNREADABLE = ("Error while parsing updates", "Something went wrong processing the data")

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True
        if record.msg.startswith(self.CALLS):
            endpoint = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg, record.args = "Bot API call: %s (content not logged)", (endpoint,)
        elif record.msg.startswith(self.UPDATES):
            said = next(prefix for prefix in self.UPDATES if record.msg.startswith(prefix))
            record.msg, record.args = f"{said} (content not logged)", None
        elif record.msg.startswith(self.UNREADABLE):
            failure = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "?"
            record.msg = "telegram: python-telegram-bot could not read polled updates (%s)"
            record.args = (failure,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


CONTENT_FREE = ContentFreeReports()
PTB_CONTENT_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.Application",
)


def protect_content() -> None:
    """Scrub patients' words from python-telegram-bot's records (idempotent)."""
    for name in PTB_CONTENT_LOGGERS:
        logger = logging.getLogger(name)
        if CONTENT_FREE not in logger.filters:
            logger.addFilter(CONTENT_FREE)


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
