"""Each Telegram message (or edit, or button press) is one step through the port: one call, one
worker-thread hop, whatever it turns out to be (issue 16's hot path)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.db.models import InboundMessage, ItemResponse
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness

STRANGER = 777
_IDS = itertools.count(9000)


def _count_steps(h: TelegramHarness, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the port runs in a worker thread (`Backend._run`)."""
    steps: list[str] = []
    run = h.backend._run

    async def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
        steps.append(fn.__name__)
        return await run(fn, *args, **kwargs)

    monkeypatch.setattr(h.backend, "_run", counted)
    return steps


async def test_every_kind_of_chat_message_is_one_step(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        _, code = h.new_patient()
        steps = _count_steps(h, monkeypatch)

        await h.say("hello", chat=STRANGER)  # a stranger: told how to join
        await h.push({"edited_message": _message(STRANGER, text="hi", edit_date=1)})  # ignored
        await h.say(f"/start {code}")  # enrols the chat
        await h.press("1 = English")
        await h.say("/pain")  # starts the DVPRS
        answer = _message(CHAT, text="7")
        await h.push({"message": answer})  # a typed answer
        await h.push({"edited_message": {**answer, "text": "6", "edit_date": answer["date"] + 9}})
        await h.say("/start")  # enrolled already: the START keyword

        assert steps == ["receive_chat"] * 3 + ["receive_press"] + ["receive_chat"] * 4
        assert "not linked to the program" in h.texts(STRANGER)[0]
        assert len(h.texts(STRANGER)) == 1
        assert [r.coded_value for r in h.rows(ItemResponse)] == [7]  # the edit is not an answer
        # the stranger's first message and everything from the patient; not the stranger's edit
        assert len(h.rows(InboundMessage)) == 7


def _message(chat: int, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": next(_IDS),
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": "Pat"},
        "from": {"id": chat, "is_bot": False, "first_name": "Pat", "language_code": "en"},
        **fields,
    }
