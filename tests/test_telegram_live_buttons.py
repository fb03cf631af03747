"""Only live buttons answer (issue 13.3), end to end over the fake Bot API: a button of an older
message gets a short answer and changes nothing (no answer stored, no menu edited)."""

from __future__ import annotations

from typing import Any

from bot.db.models import ItemResponse, Patient
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness

STALE = "This question is closed. Please answer the newest question."


async def press_on(h: TelegramHarness, message: dict[str, Any], label: str) -> None:
    """Press the button showing `label` on a given (possibly old) message."""
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    (button,) = [b for b in buttons if b["text"] == label or b["text"].startswith(f"{label} = ")]
    await h._settle(lambda: h.fake.push_callback(CHAT, message, button["callback_data"]))
    h.clock.advance(seconds=5)


def current_answers(h: TelegramHarness) -> list[tuple[int, str, int | None]]:
    return [
        (r.assignment_id, r.item_id, r.coded_value)
        for r in h.rows(ItemResponse)
        if r.superseded_at is None
    ]


async def test_a_stale_button_mid_survey_stores_nothing(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        _, code = h.new_patient()
        await h.say(f"/start {code}")
        menu = h.fake.last_question(CHAT)
        assert menu["text"].startswith("Which language do you want?")
        await h.say("1")  # typed: the menu keeps its buttons
        await h.say("/pain")
        first_question = h.fake.last_question(CHAT)
        await h.say("7")  # typed: the first question keeps its buttons too
        second_question = h.fake.last_question(CHAT)
        assert second_question["text"].startswith("Q2/5.")
        answered = len(h.fake.calls_of("answerCallbackQuery"))

        await press_on(h, menu, "2")  # the old language menu's "2 = Español"
        await press_on(h, first_question, "5")  # the question before this one

        assert current_answers(h) == [(1, "dvprs_pain", 7)]
        (patient,) = h.rows(Patient)
        assert patient.locale == "en"
        stale_answers = h.fake.calls_of("answerCallbackQuery")[answered:]
        assert [c.get("text") for c in stale_answers] == [STALE, STALE]
        assert not h.fake.calls_of("editMessageText")
        assert not h.fake.calls_of("editMessageReplyMarkup")
        assert "Your answer" not in h.fake.messages[(CHAT, menu["message_id"])]["text"]
        assert h.fake.last_question(CHAT)["message_id"] == second_question["message_id"]

        await press_on(h, second_question, "3")  # the live one
        assert current_answers(h) == [(1, "dvprs_pain", 7), (1, "dvprs_activity", 3)]
        edited = h.fake.messages[(CHAT, second_question["message_id"])]
        assert edited["text"].endswith("Your answer: 3")


async def test_a_button_of_the_same_item_in_an_earlier_survey_is_stale(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        last_week = h.fake.last_question(CHAT)  # DVPRS pain, survey 1, answered by typing
        for reply in ["6", "5", "4", "3", "2"]:
            await h.say(reply)
        clock.advance(days=7)
        await h.say("/pain")
        this_week = h.fake.last_question(CHAT)
        assert this_week["text"].startswith("Q1/5.")
        await press_on(h, last_week, "9")  # same item id, but survey 1 is closed
        assert [a for a in current_answers(h) if a[0] == 2] == []
        await press_on(h, this_week, "4")
        assert [a for a in current_answers(h) if a[0] == 2] == [(2, "dvprs_pain", 4)]


async def test_skipped_items_offered_with_buttons_that_answer_once(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        for reply in ["6", "SKIP", "4", "3", "2"]:
            await h.say(reply)
        offer = h.fake.last_question(CHAT)
        assert offer["text"] == "You skipped 1 question. Answer it now? YES / NO"
        await press_on(h, offer, "1")
        assert h.fake.messages[(CHAT, offer["message_id"])]["text"].endswith("Your answer: 1 = YES")
        assert h.texts()[-1].startswith("Q2/5. How much has your pain interfered")
        await press_on(h, offer, "2")  # "2 = NO": the offer was answered, stale now
        assert h.fake.calls_of("answerCallbackQuery")[-1].get("text") == STALE
        await h.say("5")
        assert ("dvprs_activity", 5) in [(a[1], a[2]) for a in current_answers(h)]
        assert h.texts()[-1].startswith("Thank you! Your answers are saved.")
