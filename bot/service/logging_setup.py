"""Logging for `pathbot run`: one JSON object per line, with secrets and phone numbers redacted.

Each line holds time, level, logger and message, plus a few safe extra fields a caller may pass
(`log.info("sent", extra={"outbox_id": 7, "channel": "sms"})`); any other extra is dropped. The
redaction runs on every line that reaches the handler, whichever library wrote it:

- the configured secrets themselves (every SecretStr setting: bot tokens, webhook secret, Twilio
  auth token and API key secret, staff key, SMTP password);
- anything shaped like a Telegram bot token, also inside an API URL (`/bot<token>/sendMessage`),
  a 32-hex Twilio token, and HTTP Basic credentials;
- phone numbers: E.164 (+18025550199) and common national forms ((802) 555-0199, 802-555-0199);
- SQL parameters in database errors, which can hold message bodies and answers.

Message bodies and answers are never logged by pathbot itself; the libraries that would log
payloads at DEBUG (python-telegram-bot's Bot API calls, httpx, the Twilio client) are capped, so
even `--log-level DEBUG` does not write them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr

SAFE_EXTRA_FIELDS = frozenset(
    {"outbox_id", "channel", "status", "code", "kind", "attempts", "job", "reason", "count"}
)
# Loggers that write request payloads (and so patients' texts) below these levels.
LIBRARY_LEVELS = {
    "telegram": logging.INFO,  # DEBUG: every Bot API call with its parameters and result
    "httpx": logging.WARNING,  # INFO: every request URL, with the bot token in it
    "httpcore": logging.WARNING,
    "twilio": logging.WARNING,  # twilio.http_client: headers and bodies
    "aiohttp": logging.WARNING,
    "sqlalchemy": logging.WARNING,  # echo: statements with their parameters
    "apscheduler": logging.WARNING,  # INFO: a line per tick
    "asyncio": logging.WARNING,
    "matplotlib": logging.WARNING,  # DEBUG: a line per font considered for a trend chart
    "PIL": logging.WARNING,
}

_TELEGRAM_TOKEN = re.compile(r"\d{5,12}:[A-Za-z0-9_-]{30,}")
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])")
_BASIC_AUTH = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._-]{8,}")
_E164 = re.compile(r"\+[1-9]\d{6,14}(?!\d)")
_NATIONAL_PHONE = re.compile(
    r"(?<![\w.])(?:\+?1[-.\s]?)?(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?![\w])"
)
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")

REDACTED = "[redacted]"


class Redactor:
    """Removes known secrets and secret- or phone-shaped text from a string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is removed whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _TELEGRAM_TOKEN.sub("[telegram-token]", text)
        text = _BASIC_AUTH.sub(r"\1 [redacted]", text)
        text = _HEX_TOKEN.sub(REDACTED, text)
        text = _SQL_PARAMETERS.sub("[parameters: redacted]", text)
        text = _E164.sub("[phone]", text)
        return _NATIONAL_PHONE.sub("[phone]", text)


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record, redacted after formatting (so tracebacks are covered)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string must not lose the line
            message = str(record.msg)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(message),
        }
        for key in SAFE_EXTRA_FIELDS:
            value = record.__dict__.get(key)
            if isinstance(value, bool | int | float):
                line[key] = value
            elif isinstance(value, str):
                line[key] = self._redact(value)[:200]
        if record.exc_info:
            line["exception"] = self._redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = self._redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


class _PathbotHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def secrets_of(settings: object) -> list[str]:
    """Every SecretStr value in a settings object (whatever fields it has)."""
    found: list[str] = []
    for value in vars(settings).values():
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
    return found


def configure_logging(
    *,
    level: int | str = logging.INFO,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record to `stream` (stderr) as redacted JSON lines; returns the handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PathbotHandler)]:
        root.removeHandler(old)
    handler = _PathbotHandler(stream or sys.stderr)
    handler.setFormatter(JsonLinesFormatter(Redactor(secrets)))
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in LIBRARY_LEVELS.items():
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < floor or library.level == logging.NOTSET:
            library.setLevel(floor)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # through our handler only
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Undo `configure_logging` (tests)."""
    logging.getLogger().removeHandler(handler)
