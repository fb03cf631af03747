"""A running Telegram channel against the fake Bot API, with the real pipeline and database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from bot.channels.telegram.adapter import TelegramChannel
from bot.db import store
from bot.db.database import session_scope
from bot.db.invites import issue_code
from bot.service.app import App, build_app
from bot.service.backend import Backend
from bot.service.runtime import Runtime
from bot.service.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.support import FakeClock

TOKEN = "123456789:AAF-secret-token-for-tests_0123456789"
CHAT = 424242


# How long `eventually` waits by default: it only catches a condition that never comes. Not a
# speed bound: 60 updates through the real python-telegram-bot took over 10 s on a loaded machine.
EVENTUALLY_SECONDS = 120.0


async def eventually(check: Callable[[], bool], within: float = EVENTUALLY_SECONDS) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


class TelegramHarness:
    """Polling mode; each pushed update is awaited, then the outbox is dispatched once."""

    def __init__(self, db_url: str, clock: FakeClock, **channel_options: Any) -> None:
        self.clock = clock
        self.fake = FakeTelegram(TOKEN)
        self.app: App = build_app(
            Settings(_env_file=None),
            database_url=db_url,
            clock=clock,  # type: ignore[call-arg]
        )
        self.backend = Backend(self.app)  # the channel port, shared with the runtime
        self._options = {"per_chat_interval": 0.0, **channel_options}
        self.channel: TelegramChannel | None = None
        self.runtime: Runtime | None = None

    async def __aenter__(self) -> TelegramHarness:
        await self.fake.start()
        self.channel = TelegramChannel(
            self.backend, token=TOKEN, api_base_url=self.fake.base, **self._options
        )
        # no dispatcher loop (Runtime.start is not called): tests dispatch explicitly
        self.runtime = Runtime(self.app, [self.channel], backend=self.backend)
        await self.runtime.start_channels()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self.runtime is not None
        await self.runtime.stop_channels()
        await self.fake.stop()
        self.app.db.dispose()

    async def push(self, update: dict[str, Any]) -> None:
        """Deliver an update (again, if it has an update_id) and wait for it to be handled."""
        await self._settle(lambda: self.fake.push_update(update))

    async def _settle(self, deliver: Callable[[], object]) -> None:
        """Deliver, wait until the channel has handled it, then send what it queued."""
        assert self.channel is not None
        channel = self.channel
        before = channel.updates_handled
        deliver()
        await eventually(lambda: channel.updates_handled > before)
        await channel.press_replies_sent()  # a button's answer and edit run in their own task
        await self.dispatch()

    async def dispatch(self) -> int:
        assert self.runtime is not None
        return await self.runtime.dispatch_once()

    async def say(self, text: str, chat: int = CHAT, **kw: Any) -> None:
        await self._settle(lambda: self.fake.push_text(chat, text, **kw))
        self.clock.advance(seconds=5)

    async def press(self, label: str, chat: int = CHAT) -> dict[str, Any]:
        """Press the button showing `label` (or "label = ...") on the newest question."""
        message = self.fake.last_question(chat)
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        (button,) = [
            b
            for b in buttons
            if b["text"] in (label, f"{label} = ") or b["text"].startswith(f"{label} = ")
        ]
        await self._settle(lambda: self.fake.push_callback(chat, message, button["callback_data"]))
        self.clock.advance(seconds=5)
        return message

    def texts(self, chat: int = CHAT) -> list[str]:
        return [str(p["text"]) for p in self.fake.calls_of("sendMessage") if p["chat_id"] == chat]

    def new_patient(self, study_id: str = "P001", locale: str = "en") -> tuple[int, str]:
        """An enrolled-by-staff patient and a fresh Telegram code for them."""
        with session_scope(self.app.db) as session:
            patient = store.add_patient(session, study_id=study_id, now=self.clock(), locale=locale)
            code = issue_code(session, patient=patient, channel="telegram", now=self.clock())
            assert patient.id is not None
            return patient.id, code

    def expired_code(self) -> str:
        with session_scope(self.app.db) as session:
            patient = store.add_patient(session, study_id="OLD", now=self.clock())
            return issue_code(
                session,
                patient=patient,
                channel="telegram",
                now=self.clock() - timedelta(days=30),
                ttl=timedelta(days=14),
            )

    def rows(self, model: type) -> list[Any]:
        with Session(self.app.db) as session:
            return list(session.exec(select(model)).all())

    async def enrol(self, chat: int = CHAT, locale_choice: str = "1 = English") -> int:
        patient_id, code = self.new_patient()
        await self.say(f"/start {code}", chat)
        await self.press(locale_choice, chat)
        return patient_id
