"""A minimal SMTP server (asyncio) that smtplib can send to; it keeps every message it accepts.

Speaks just enough RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. No STARTTLS, so
the client under test runs with starttls off.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class FakeSMTP:
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer the next N DATA commands with 451
    port: int = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())
            await writer.drain()

        await reply("220 fake.smtp ESMTP")
        sender, recipients = "", []
        try:
            while line := await reader.readline():
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-fake.smtp\r\n250 8BITMIME" if verb == "EHLO" else "250 ok")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip().strip("<>"), []
                    await reply("250 ok")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    await reply("250 ok")
                elif verb == "DATA":
                    await reply("354 end with <CRLF>.<CRLF>")
                    data = bytearray()
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    if self.fail_next:
                        self.fail_next -= 1
                        await reply("451 try again later")
                        continue
                    message = message_from_bytes(bytes(data), policy=policy.default)
                    assert isinstance(message, EmailMessage)
                    self.received.append(Received(sender, recipients, message))
                    await reply("250 queued")
                elif verb in ("RSET", "NOOP"):
                    await reply("250 ok")
                elif verb == "QUIT":
                    await reply("221 bye")
                    break
                else:
                    await reply("502 not implemented")
        finally:
            writer.close()
