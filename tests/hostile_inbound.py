"""Random and hostile inbound messages sent through the whole service, and the check of what
became of each (issue 15's property: no 500; every message stored byte-for-byte, or refused
with a clear 4xx).

Shared by tests/test_hostile_inbound.py (a few thousand messages on SQLite and PostgreSQL, every
run) and benchmarks/hostile_inbound.py (100,000 per database, with figures). The service is
the real one: Starlette, the Twilio and Telegram adapters (python-telegram-bot), the port, the
pipeline and the database, driven in-process through httpx's ASGI transport, several requests
at a time. Telegram's API is the fake server (callback queries are answered through it).

"Byte-for-byte" means: the stored body is the text sent, except for what the product documents
changing: NUL and lone surrogates become U+FFFD (bot/conversation/storable.py), a Telegram
command is read as "/name argument", and an enrolment code is kept only as its hash
(bot/db/invites.py redact_code). A message the pipeline failed on is kept whole in quarantine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.conversation.storable import storable
from bot.db import store
from bot.db.database import session_scope
from bot.db.invites import redact_code
from bot.db.models import ChannelIdentity, InboundMessage
from bot.db.reliability_models import QuarantinedInbound
from bot.service.app import App, build_app
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.server import build_asgi
from tests.fakes.telegram_api import FakeTelegram
from tests.sms_support import AUTH_TOKEN, PUBLIC_BASE, sms_settings
from tests.support import FakeClock
from tests.telegram_support import TOKEN

SECRET = "hostile-inbound-secret-0123456789"
TG_PATH = "/telegram/webhook"
SMS_PATH = "/twilio/sms"
PATIENT_PHONES = [f"+1802555{n:04d}" for n in range(1000, 1020)]
PENDING_PHONES = [f"+1802555{n:04d}" for n in range(2000, 2005)]
STRANGER_PHONES = [f"+1802555{n:04d}" for n in range(3000, 3040)] + ["12345", "VERIFY"]
PATIENT_CHATS = list(range(610_000, 610_020))
STRANGER_CHATS = list(range(620_000, 620_040))

# Words the pipeline acts on, crisis language, things that break naive code.
MEANINGFUL = [
    "3", "7", "10", "0", "-1", "99999999999999999999", "3.5", "three", "tres", "٣", "3️⃣",
    "SKIP", "BACK", "NO", "YES", "PAUSE", "RESUME", "HELP", "LANGUAGE", "STOP", "START",
    "stop all", "UNSUBSCRIBE", "I want to die", "me quiero morir", "I want to die\x00",
    "", " ", "\n", "\t", "=1+1", "+SUM(A1)", "@cmd", "-2+3", "'; DROP TABLE patient; --",
    "<script>alert(1)</script>", "{{7*7}}", "%s%s%n", "\\x00", "\u202eevil", "\ufeffBOM",
    "a" * 1600, "🔟" * 400, "Z\u0351\u0300\u0336" * 100,
]  # fmt: skip
# Code point ranges for random text: ASCII, controls, Latin, RTL, CJK, emoji, specials.
RANGES = [
    (0x00, 0x1F), (0x20, 0x7E), (0x7F, 0x9F), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF),
    (0x900, 0x97F), (0x4E00, 0x4FFF), (0xFE00, 0xFE0F), (0xFFF0, 0xFFFF), (0x1F300, 0x1F6FF),
    (0xE0000, 0xE007F), (0x10FFF0, 0x10FFFF),
]  # fmt: skip


@dataclass
class Outcome:
    """What the property needs to know about one request."""

    channel: str
    key: str | None  # the provider id the stored row has (None: nothing may be stored)
    expected: str | None  # the body it must have
    status: int = 0
    reason: str = ""
    resend: tuple[str, str] | None = None  # a Telegram request's body and secret, to repeat


@dataclass
class Tally:
    sent: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.sent += 1
        self.by_status[outcome.status] = self.by_status.get(outcome.status, 0) + 1


class HostileSender:
    """Makes the messages and keeps what each should have become."""

    def __init__(self, client: httpx.AsyncClient, seed: int) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.first_body: dict[tuple[str, str], str] = {}  # what the first copy said
        self.refused: set[tuple[str, str]] = set()
        self.outcomes: list[Outcome] = []
        self._n = 0

    # ---- text -------------------------------------------------------------------------------

    def text(self, limit: int, *, surrogates: bool = False) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(MEANINGFUL)[:limit]
        if roll < 0.45:  # a meaningful word inside noise
            return f"{self._random(rng.randint(0, 20))} {rng.choice(MEANINGFUL)}"[:limit]
        text = self._random(rng.choice((1, 5, 40, 300, limit)))
        if surrogates and rng.random() < 0.2:
            text += chr(rng.randint(0xD800, 0xDFFF))  # a lone surrogate (JSON can carry it)
        return text[:limit]

    def _random(self, size: int) -> str:
        rng = self.rng
        out = []
        for _ in range(size):
            low, high = rng.choice(RANGES)
            out.append(chr(rng.randint(low, high)))
        return "".join(out)

    def _sid(self) -> str:
        self._n += 1
        return "SM" + f"{self._n:032x}"

    # ---- one message --------------------------------------------------------------------------

    async def send_one(self) -> Outcome:
        rng = self.rng
        if self.outcomes and rng.random() < 0.03:  # a provider's retry of an earlier request
            outcome = await self._resend(rng.choice(self.outcomes))
        elif rng.random() < 0.5:
            outcome = await self._sms()
        else:
            outcome = await self._telegram()
        self.outcomes.append(outcome)
        return outcome

    async def _sms(self, sid: str | None = None, body: str | None = None) -> Outcome:
        rng = self.rng
        phone = rng.choice(
            rng.choice((PATIENT_PHONES, PATIENT_PHONES, PENDING_PHONES, STRANGER_PHONES))
        )
        sid = sid or self._sid()
        body = self.text(1700) if body is None else body
        params = {
            "MessageSid": sid, "AccountSid": "AC" + "7" * 32, "From": phone,
            "To": "+18025550199", "Body": body,
        }  # fmt: skip
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE + SMS_PATH, params)
        hostile = rng.random()
        if hostile < 0.01:
            signature = "forged" + signature[6:]
        elif hostile < 0.02:
            params["MessageSid"] = "SM" + "x" * 70  # no Twilio id is this long
            signature = RequestValidator(AUTH_TOKEN).compute_signature(
                PUBLIC_BASE + SMS_PATH, params
            )
        response = await self.client.post(
            SMS_PATH, data=params, headers={"X-Twilio-Signature": signature}
        )
        key = params["MessageSid"]
        refused = hostile < 0.02 or len(body) > 1600
        return self._note("sms", key, None if refused else storable(body), response)

    async def _telegram(self, update: dict[str, Any] | None = None) -> Outcome:
        rng = self.rng
        enrolled = rng.random() < 0.6
        chat = rng.choice(PATIENT_CHATS if enrolled else STRANGER_CHATS)
        self._n += 1
        message_id = self._n
        text = self.text(4200, surrogates=True)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Pat"},
            "from": {"id": chat, "is_bot": False, "first_name": "Pat", "language_code": "en"},
            "text": text,
        }
        expected: str | None = storable(text)
        if rng.random() < 0.1:  # a command, with Telegram's entity
            name = rng.choice(("start", "pain", "help", "Start@pathbot_test_bot", "x"))
            argument = self.text(60) if rng.random() < 0.7 else ""
            text = f"/{name} {argument}" if argument else f"/{name}"
            message["text"] = text
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
            expected = _command_body(name, argument, enrolled)
        update = {"update_id": message_id, "message": message}
        secret = SECRET
        hostile = rng.random()
        if len(text) > 4096:
            expected = None  # longer than Telegram allows: refused
        if hostile < 0.01:
            secret = "wrong"
            expected = None
        elif hostile < 0.02:
            del message["chat"]
            expected = None
        elif hostile < 0.03:
            message["text"] = 12345
            expected = None
        elif hostile < 0.05:  # a button press with any data: answered, never a 500
            update = {
                "update_id": message_id,
                "callback_query": {
                    "id": str(message_id), "chat_instance": "1", "data": self.text(64),
                    "from": {"id": chat, "is_bot": False, "first_name": "Pat"},
                },
            }  # fmt: skip
            expected = None
        key = f"tg-msg-{chat}-{message_id}"
        if "callback_query" in update:
            key = f"tg-cb-{message_id}"
        body = json.dumps(update, ensure_ascii=True)  # \udXXX escapes carry lone surrogates
        response = await self.client.post(
            TG_PATH,
            content=body.encode("ascii"),
            headers={
                "X-Telegram-Bot-Api-Secret-Token": secret,
                "content-type": "application/json",
            },
        )
        outcome = self._note("telegram", key, expected, response)
        if "callback_query" in update:
            outcome.key = None  # a press is stored only when it answers a live question
        outcome.resend = (body, secret)
        return outcome

    async def _resend(self, earlier: Outcome) -> Outcome:
        """The same provider id again (a webhook retry), possibly with other content: stored
        once, with the first body."""
        if earlier.channel == "sms" and earlier.key and earlier.key.startswith("SM"):
            return await self._sms(sid=earlier.key, body=self.text(200))
        if earlier.resend is None:
            return await self._sms()
        body, secret = earlier.resend
        response = await self.client.post(
            TG_PATH,
            content=body.encode("ascii"),
            headers={
                "X-Telegram-Bot-Api-Secret-Token": secret,
                "content-type": "application/json",
            },
        )
        return self._note("telegram", earlier.key, earlier.expected, response)

    def _note(
        self, channel: str, key: str | None, expected: str | None, response: httpx.Response
    ) -> Outcome:
        outcome = Outcome(channel, key, expected, response.status_code, response.text)
        if key is not None and expected is not None and response.status_code < 300:
            self.first_body.setdefault((channel, key), expected)
        elif key is not None and response.status_code >= 400:
            self.refused.add((channel, key))
        return outcome


def _command_body(name: str, argument: str, enrolled: bool) -> str:
    """What the Telegram adapter and the enrolment flow store for a command message."""
    command = name.split("@", 1)[0].lower()
    text = storable(f"/{command} {argument.strip()}".strip())
    if command == "start" and enrolled:
        return "/start"
    if command == "start" and argument.strip():
        return redact_code(text, argument.strip())
    return text


# ---- the service under test -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def hostile_service(db_url: str) -> AsyncIterator[tuple[App, httpx.AsyncClient]]:
    """The service with its patients: 20 on SMS, 5 pending SMS, 20 on Telegram."""
    fake = FakeTelegram(TOKEN)
    await fake.start()
    app = build_app(sms_settings("http://127.0.0.1:9"), database_url=db_url, clock=FakeClock())
    _enrol(app)
    backend = Backend(app)
    config = SmsConfig.from_settings(app.settings)
    assert config is not None
    telegram = TelegramChannel(
        backend,
        token=TOKEN,
        api_base_url=fake.base,
        webhook_url="https://bot.example.org" + TG_PATH,
        webhook_secret=SECRET,
    )
    runtime = Runtime(app, [TwilioSmsChannel(backend, config), telegram], backend=backend)
    await runtime.start_channels()
    transport = httpx.ASGITransport(app=build_asgi(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client
    finally:
        await runtime.stop_channels()
        await fake.stop()
        app.db.dispose()


def _enrol(app: App) -> None:
    now = app.pipeline.now()
    with session_scope(app.db) as s:
        addresses = [("sms", p, "active") for p in PATIENT_PHONES]
        addresses += [("sms", p, "pending") for p in PENDING_PHONES]
        addresses += [("telegram", str(c), "active") for c in PATIENT_CHATS]
        for n, (channel, address, status) in enumerate(addresses):
            patient = store.add_patient(s, study_id=f"H{n:03d}", now=now)
            s.add(
                ChannelIdentity(
                    patient_id=patient.id or 0,
                    channel=channel,
                    address=address,
                    status=status,
                    created_at=now,
                )
            )


async def send_hostile(
    client: httpx.AsyncClient, *, messages: int, seed: int, concurrency: int = 8
) -> tuple[HostileSender, Tally]:
    """Send `messages` requests, `concurrency` at a time; the tally counts status codes."""
    sender = HostileSender(client, seed)
    tally = Tally()
    started = time.perf_counter()
    remaining = messages
    while remaining:
        batch = min(concurrency, remaining)
        for outcome in await asyncio.gather(*(sender.send_one() for _ in range(batch))):
            tally.add(outcome)
        remaining -= batch
    tally.seconds = time.perf_counter() - started
    return sender, tally


def check_outcomes(app: App, sender: HostileSender, tally: Tally) -> list[str]:
    """Every way the property can fail, as readable lines (empty: it held)."""
    problems = [f"HTTP {s}: {n} requests" for s, n in tally.by_status.items() if s >= 500]
    unclear = [
        o for o in sender.outcomes if o.status == 400 and not o.reason.strip()
    ]  # a 400 says why
    problems += [f"a 400 without a reason ({o.channel} {o.key})" for o in unclear[:5]]
    with Session(app.db) as s:
        stored = {
            (m.channel, m.provider_message_id): m.body for m in s.exec(select(InboundMessage))
        }
        quarantined = {
            (q.channel, json.loads(q.provider_message_id))
            for q in s.exec(select(QuarantinedInbound))
        }
    for key, body in sender.first_body.items():
        if key in quarantined:
            continue
        if key not in stored:
            problems.append(f"accepted but not stored: {key}")
        elif stored[key] != body:
            problems.append(f"stored differently: {key}: {stored[key]!r} != {body!r}")
    for key in sender.refused - set(sender.first_body):
        if key in stored:
            problems.append(f"refused but stored: {key}")
    return problems
