"""Staff channels: where alert notices go (a Telegram staff group, e-mail over SMTP).

Each channel has `name`, `async send(text)`, which raises on failure so the notice is retried on
the next round, and `async check()`, which raises when the channel could not deliver (bad token,
unknown chat, SMTP refusing the login) without sending anything: `pathbot run` calls it before
it starts. Texts name the study id and alert kind only; nothing clinical.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from telegram import Bot

SUBJECT = "pathbot staff alert"
SMTP_TIMEOUT_SECONDS = 20


class StaffChannel(Protocol):
    name: str

    async def send(self, text: str) -> None: ...

    async def check(self) -> None: ...


class TelegramStaffChannel:
    """Posts to a staff group chat through the Bot API (base URL configurable for tests)."""

    name = "telegram"

    def __init__(self, *, token: str, chat_id: str, api_base_url: str) -> None:
        self._token = token
        self._chat_id = chat_id
        self._base_url = api_base_url.rstrip("/") + "/bot"

    async def send(self, text: str) -> None:
        async with Bot(self._token, base_url=self._base_url) as bot:
            await bot.send_message(chat_id=self._chat_id, text=text)

    async def check(self) -> None:
        """The token works and the bot can see the staff chat (getMe, getChat)."""
        async with Bot(self._token, base_url=self._base_url) as bot:  # initialize() calls getMe
            await bot.get_chat(chat_id=self._chat_id)


class EmailStaffChannel:
    """Sends one plain-text e-mail per notice through an SMTP server."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.sender, self.recipients = host, port, sender, recipients
        self.starttls, self.username, self.password = starttls, username, password

    async def send(self, text: str) -> None:
        await asyncio.to_thread(self._send_blocking, text)

    async def check(self) -> None:
        """The server answers, takes STARTTLS and the login when configured (no mail sent)."""
        await asyncio.to_thread(self._check_blocking)

    def _check_blocking(self) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username and self.password:
                smtp.login(self.username, self.password)
            code, _ = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"NOOP refused")

    def _send_blocking(self, text: str) -> None:
        message = EmailMessage()
        message["Subject"] = SUBJECT
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(text)
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
