"""A button press's answer (answerCallbackQuery) and the edit of its question run in a task of their
own: the handler that stored the answer does not wait for those two Bot API round trips, and
their failures are logged (by kind, nothing the patient pressed) and change nothing stored."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.db.models import ItemResponse
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness, eventually


async def test_the_next_question_goes_while_the_press_is_still_being_answered(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        question = h.fake.last_question(CHAT)
        assert question["text"].startswith("Q1/5.")
        answered = len(h.fake.calls_of("answerCallbackQuery"))
        release = h.fake.hold("answerCallbackQuery")  # the Bot API is slow to take the answer
        channel = h.channel
        assert channel is not None
        before = channel.updates_handled
        button = question["reply_markup"]["inline_keyboard"][0][0]
        h.fake.push_callback(CHAT, question, button["callback_data"])

        await eventually(lambda: channel.updates_handled > before)
        # the handler is done: the answer is stored and the next question goes out now
        assert len([r for r in h.rows(ItemResponse) if r.superseded_at is None]) == 1
        await h.dispatch()
        assert h.fake.last_question(CHAT)["text"].startswith("Q2/5.")
        assert len(h.fake.calls_of("answerCallbackQuery")) == answered + 1  # asked, not answered
        assert "Your answer" not in h.fake.messages[(CHAT, question["message_id"])]["text"]

        release.set()
        await channel.press_replies_sent()
        edited = h.fake.messages[(CHAT, question["message_id"])]["text"]
        assert edited.endswith(f"Your answer: {button['text']}")


async def test_a_failed_edit_is_logged_by_kind_and_the_answer_stays_stored(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        h.fake.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
        h.fake.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
        with caplog.at_level(logging.INFO, logger="bot.channels.telegram.adapter"):
            question = await h.press("7")

        assert h.fake.last_question(CHAT)["text"].startswith("Q2/5.")
        assert [r.coded_value for r in h.rows(ItemResponse)] == [7]
        assert "Your answer" not in h.fake.messages[(CHAT, question["message_id"])]["text"]
        logged = [r.getMessage() for r in caplog.records]
        assert "telegram: could not answer a button press (BadRequest)" in logged
        assert "telegram: could not edit a question message (BadRequest)" in logged
        assert not any("7" in line or "Your answer" in line for line in logged)


async def test_stopping_the_channel_waits_for_press_answers_then_gives_up(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        question = h.fake.last_question(CHAT)
        release = h.fake.hold("answerCallbackQuery")  # not answered before the stop
        channel = h.channel
        assert channel is not None
        before = channel.updates_handled
        button = question["reply_markup"]["inline_keyboard"][0][0]
        h.fake.push_callback(CHAT, question, button["callback_data"])
        await eventually(lambda: channel.updates_handled > before)

        with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.adapter"):
            await asyncio.wait_for(channel.press_replies_sent(within=0.2), 10)
        assert "telegram: 1 button answers not sent at shutdown" in caplog.messages
        await channel.press_replies_sent()  # nothing left under way
        release.set()  # (the fake server's own handler, so that it can stop)
