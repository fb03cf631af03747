"""Everything a patient sends is triaged (issue 12 point 6): edited Telegram messages, captions
and forwarded text; a voice note, photo or sticker gets "please type your answer" and, while a
survey is open, a note staff can see. Real python-telegram-bot polling a loopback fake, and the
real Twilio webhook for an MMS."""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.db.models import Alert, ItemResponse
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness

CRISIS = "i want to kill myself"
_IDS = itertools.count(9000)


def _message(**fields: Any) -> dict[str, Any]:
    return {
        "message_id": next(_IDS),
        "date": int(time.time()),
        "chat": {"id": CHAT, "type": "private", "first_name": "Pat"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Pat", "language_code": "en"},
        **fields,
    }


def _alerts(h: TelegramHarness, kind: str) -> list[Alert]:
    return [a for a in h.rows(Alert) if a.kind == kind]


async def test_an_edit_that_adds_crisis_language_is_answered(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        answer = _message(text="5")
        await h.push({"message": answer})
        assert [r.option_code for r in h.rows(ItemResponse)] == [5]
        edited = {**answer, "text": CRISIS, "edit_date": answer["date"] + 30}
        await h.push({"edited_message": edited})
        assert "988" in h.texts()[-1] and "911" in h.texts()[-1]
        assert len(_alerts(h, "crisis")) == 1
        assert [r.option_code for r in h.rows(ItemResponse)] == [5]  # the edit is not a new answer


async def test_a_harmless_edit_is_not_read_as_an_answer(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        await h.say("/pain")
        answer = _message(text="5")
        await h.push({"message": answer})
        sent = len(h.texts())
        await h.push({"edited_message": {**answer, "text": "6", "edit_date": answer["date"] + 9}})
        assert len(h.texts()) == sent and [r.option_code for r in h.rows(ItemResponse)] == [5]
        assert h.rows(Alert) == []


async def test_captions_and_forwarded_text_are_triaged(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
        await h.push({"message": _message(photo=photo, caption="me quiero matar")})
        assert "988" in h.texts()[-1]
        forwarded = {"type": "hidden_user", "date": int(time.time()), "sender_user_name": "Al"}
        await h.push({"message": _message(text=CRISIS, forward_origin=forwarded)})
        assert len(_alerts(h, "crisis")) == 2


async def test_voice_photo_and_sticker_get_please_type(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        await h.enrol()
        sticker = {
            "file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False,
        }  # fmt: skip
        await h.push({"message": _message(sticker=sticker)})  # no survey open: a reply only
        assert h.texts()[-1].startswith("Please type your answer.")
        assert _alerts(h, "media_received") == []
        await h.say("/pain")
        voice = {"file_id": "v1", "file_unique_id": "v1", "duration": 4}
        await h.push({"message": _message(voice=voice)})
        assert h.texts()[-1].startswith("Please type your answer.")
        (note,) = _alerts(h, "media_received")
        assert note.rule_id == "voice" and note.inbound_message_id is not None
        photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
        await h.push({"message": _message(photo=photo)})
        assert [a.rule_id for a in _alerts(h, "media_received")] == ["voice", "photo"]
        assert h.rows(ItemResponse) == []  # nothing was read as an answer
        await h.say("3")
        assert [r.option_code for r in h.rows(ItemResponse)] == [3]  # the survey carries on


async def test_a_picture_by_mms_gets_please_type_in_spanish(db_url: str, clock: FakeClock) -> None:
    phone = "+18025550188"
    async with sms_world(db_url, clock) as w:
        patient_id = await enrol_by_sms(w, "M1", phone, locale="es")
        w.app.pipeline.start_survey(patient_id, "dvprs")
        await w.dispatch()
        await w.text(phone, "", media_types=("image/jpeg",))
        assert w.last(phone).startswith("Por favor, escriba su respuesta.")
        with_words = len(w.received(phone))
        await w.text(phone, "7", media_types=("image/jpeg",))  # words with it: read as usual
        assert len(w.received(phone)) > with_words
        assert not w.last(phone).startswith("Por favor, escriba")
