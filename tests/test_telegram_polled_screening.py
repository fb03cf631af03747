"""Polled updates are screened as JSON before python-telegram-bot reads them (issue 16).

The webhook checks each update's JSON before it is read (`update_problem`); a polled update was
checked only after PTB had built it, by turning it back into a dict (`Update.to_dict`, about
0.3 ms of CPU per answer under the harness). Worse, an update PTB could not read at all failed
the whole getUpdates: PTB logged the received JSON (patients' words) at CRITICAL and asked for
the same updates again, for ever, so every chat behind it waited. Now the polled JSON is
screened as the webhook's is: a malformed update is skipped with a warning naming the problem
(never its content), and the updates around it are handled.
"""

from __future__ import annotations

import logging

import pytest

from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness, eventually

SECRET_WORDS = "my private pain words"


@pytest.mark.parametrize(
    "malformed",
    [
        {"message": "not an object"},  # PTB cannot read it: getUpdates failed over and over
        {
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": CHAT, "type": "private"},
                "text": 5,
            }
        },  # PTB reads it; pathbot must not
        {"callback_query": {"id": "x", "from": "nobody", "data": SECRET_WORDS}},
    ],
    ids=["unreadable", "text-not-a-string", "callback-from-not-a-user"],
)
async def test_a_malformed_polled_update_is_skipped_and_the_next_handled(
    sqlite_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    malformed: dict[str, object],
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="telegram")  # (held at INFO once logging is set up)
    await _skipped_and_the_next_answered(sqlite_url, clock, {**malformed, "secret": SECRET_WORDS})
    _reported_without_content(caplog, "malformed")


async def _skipped_and_the_next_answered(
    sqlite_url: str, clock: FakeClock, bad_update: dict[str, object]
) -> None:
    """Poll `bad_update` and then a message: the message is answered, and Telegram is told
    both were received (neither is asked for again)."""
    async with TelegramHarness(sqlite_url, clock) as h:
        assert h.channel is not None
        channel = h.channel
        bad = h.fake.push_update(bad_update)
        good = h.fake.push_text(CHAT, "hello")
        await eventually(lambda: channel.updates_handled >= 1, within=30)
        await h.dispatch()
        assert h.texts(CHAT), "the message after the malformed update was answered"
        await eventually(lambda: h.fake.confirmed_offset() > good["update_id"], within=30)
        assert bad["update_id"] < good["update_id"]


def _reported_without_content(caplog: pytest.LogCaptureFixture, said: str) -> None:
    """The skipped update was reported (a record saying `said`), nothing at CRITICAL, and no
    record holds the patient's words."""
    assert [r for r in caplog.records if said in r.getMessage()], "the skip was reported"
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert all(SECRET_WORDS not in r.getMessage() for r in caplog.records)
    assert all(SECRET_WORDS not in (r.exc_text or "") for r in caplog.records)


PHOTO_MESSAGE = {
    "message_id": 2,
    "date": 1,
    "chat": {"id": CHAT, "type": "private"},
    "from": {"id": CHAT, "is_bot": False, "first_name": "Pat"},
    "caption": SECRET_WORDS,
}


@pytest.mark.parametrize(
    "malformed",
    [
        {"message": {**PHOTO_MESSAGE, "photo": "not a list of sizes"}},
        {"message": {**PHOTO_MESSAGE, "forward_origin": {"type": "user", "date": 1}}},
        {"message": {**PHOTO_MESSAGE, "reply_to_message": SECRET_WORDS}},
    ],
    ids=["photo-not-a-list", "forward-origin-without-sender", "reply-not-a-message"],
)
async def test_an_update_only_python_telegram_bot_cannot_read_is_skipped_on_the_next_poll(
    sqlite_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    malformed: dict[str, object],
) -> None:
    """Fields pathbot does not read (a photo's sizes, a forward's origin) pass the JSON screen,
    and PTB failed on them: the same stall for ever, and the received JSON logged at CRITICAL.
    When PTB asks for the same updates again (it could not read them), each is tried on its
    own and the unreadable one is skipped by its id; the failure is logged without content."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="telegram")  # (held at INFO once logging is set up)
    await _skipped_and_the_next_answered(sqlite_url, clock, malformed)
    _reported_without_content(caplog, "could not read")
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("telegram"))


async def test_python_telegram_bot_s_debug_records_carry_no_patient_words(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, PTB logged every Bot API call's parameters and answer: the texts sent and
    every message received. They say which call, and nothing of what it carried."""
    caplog.set_level(logging.DEBUG)
    # (`pathbot run` holds the library at INFO, logging_setup.py; this is the library unheld)
    caplog.set_level(logging.DEBUG, logger="telegram")
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.say(SECRET_WORDS, chat=777)  # a stranger: answered, with how to join
        assert h.texts(777)
        sent = h.texts(777)[0]
    calls = [r.getMessage() for r in caplog.records if r.name == "telegram.ext.ExtBot"]
    assert "Bot API call: getUpdates (content not logged)" in calls
    assert "Bot API call: sendMessage (content not logged)" in calls
    processed = [r.getMessage() for r in caplog.records if r.name == "telegram.ext.Application"]
    assert "Processing update (content not logged)" in processed
    assert all(SECRET_WORDS not in r.getMessage() for r in caplog.records)
    assert all(sent not in r.getMessage() for r in caplog.records)
