"""Surveys over Telegram end to end: buttons, typed replies, the trend chart, languages, dedupe."""

from __future__ import annotations

import re

from bot.conversation.i18n import SUPPORTED_LOCALES
from bot.db.models import InboundMessage, ItemResponse, Score, SurveyAssignment
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness

PNG = b"\x89PNG\r\n\x1a\n"


async def test_dvprs_by_buttons_then_by_typed_replies_ends_with_the_trend(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        question = h.fake.last_question(CHAT)
        assert question["text"].startswith("Q1/5.")
        rows = question["reply_markup"]["inline_keyboard"]
        labels = [b["text"] for row in rows for b in row]
        assert labels[0] == "0 = No pain" and len(labels) == 11
        assert {len(r) for r in rows} == {1}  # worded options: one per row, never cut off
        for label in ["7", "3", "2", "5", "4"]:
            pressed = await h.press(label)
            shown = h.fake.messages[(CHAT, pressed["message_id"])]
            assert re.search(f"Your answer: {label}( = \\w.*)?$", shown["text"])
        assert len(h.fake.calls_of("answerCallbackQuery")) == 6  # language + 5 items
        assert h.texts()[-1].startswith("Thank you! Your answers are saved.")
        (first,) = h.fake.photos
        assert first["photo"].startswith(PNG) and first["caption"] == "Pain today: 7 of 10."

        clock.advance(days=7)
        await h.say("/pain")
        for reply in ["4", "three", "2", "SKIP", "1"]:
            await h.say(reply)
        texts = h.texts()
        readback = texts.index("Recorded: 3. Not right? Reply NO.")
        assert texts[readback + 1].startswith("Q3/5.")
        assert h.texts()[-1] == "You skipped 1 question. Answer it now? YES / NO"
        assert len(h.fake.photos) == 1  # the trend waits until the survey is final
        await h.say("NO")
        assert h.texts()[-1].startswith("Thank you! Your answers are saved.")
        second = h.fake.photos[-1]
        assert second["photo"].startswith(PNG)
        assert second["caption"] == "Pain today: 4 of 10. At the start: 7."
        for caption in (first["caption"], second["caption"]):
            assert not re.search(r"severe|mild|moderate|interference", caption, re.I)
        answers = [
            (r.item_id, r.option_code, r.status, r.raw_text)
            for r in h.rows(ItemResponse)
            if r.assignment_id == 2
        ]
        assert answers[:2] == [
            ("dvprs_pain", 4, "answered", "4"),
            ("dvprs_activity", 3, "answered", "three"),
        ]
        assert answers[3][2] == "skipped"
        pain = sorted(
            (s.assignment_id, s.raw) for s in h.rows(Score) if s.scale_id == "pain_intensity"
        )
        assert pain == [(1, 7), (2, 4)]
        assert {a.timepoint for a in h.rows(SurveyAssignment)} == {"patient_request"}


async def test_a_promis_button_stores_the_printed_value(sqlite_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        patient_id = await h.enrol()
        h.app.pipeline.start_survey(patient_id, "promis29")
        await h.dispatch()
        question = h.fake.last_question(CHAT)
        labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert labels[0] == "1 = Without any difficulty"
        assert [len(r) for r in question["reply_markup"]["inline_keyboard"]] == [1] * 5
        await h.press("1 = Without any difficulty")
        (answer,) = h.rows(ItemResponse)
        assert (answer.item_id, answer.option_code, answer.coded_value) == ("PFA11", 1, 5)
        # a press on that old question (here with the data buttons had before they named their
        # survey) changes nothing and gets a short answer
        await h.push(h.fake.push_callback(CHAT, question, "a:PFA11:2") | {"update_id": 1})
        assert len(h.rows(ItemResponse)) == 1
        assert h.fake.calls_of("answerCallbackQuery")[-1]["text"] == (
            "This question is closed. Please answer the newest question."
        )


async def test_language_switch_by_command_and_menus_per_language(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.enrol()
        await h.say("/language")
        assert h.texts()[-1].startswith("Which language do you want?")
        await h.say("2")
        assert h.texts()[-1] == "A partir de ahora le escribiré en español."
        await h.say("/help")
        assert "988" in h.texts()[-1] and h.texts()[-1].startswith("Pain Program. Ayuda")
        menus = {c.get("language_code"): c["commands"] for c in h.fake.calls_of("setMyCommands")}
        # one menu per language, under Telegram's two-letter code (Dari phones report "fa")
        assert set(menus) == {None} | {code.split("-")[0] for code in SUPPORTED_LOCALES}
        names = [c["command"] for c in menus["es"]]
        assert names == ["start", "help", "language", "pause", "resume", "stop", "pain"]
        assert dict((c["command"], c["description"]) for c in menus["es"])["stop"] == (
            "Dejar de recibir mensajes"
        )
        await h.say("/stop")
        assert h.texts()[-1].startswith("Pain Program: ya no recibirá más mensajes")


async def test_the_same_update_delivered_twice_is_stored_once(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        update = h.fake.push_text(CHAT, "6")
        await h.push(update)  # delivered a second time, same update_id and message
        assert h.channel is not None
        sent_before = len(h.texts())
        await h.push(dict(update))
        assert len(h.texts()) == sent_before
        answers = [r for r in h.rows(ItemResponse)]
        assert [(a.item_id, a.option_code) for a in answers] == [("dvprs_pain", 6)]
        ids = [m.provider_message_id for m in h.rows(InboundMessage)]
        assert len(ids) == len(set(ids))
