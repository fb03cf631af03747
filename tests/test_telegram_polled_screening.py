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
    async with TelegramHarness(sqlite_url, clock) as h:
        assert h.channel is not None
        channel = h.channel
        bad = h.fake.push_update({**malformed, "secret": SECRET_WORDS})
        good = h.fake.push_text(CHAT, "hello")
        await eventually(lambda: channel.updates_handled >= 1, within=30)
        await h.dispatch()
        assert h.texts(CHAT), "the message after the malformed update was answered"
        # Telegram is told both were received: neither is asked for again.
        await eventually(lambda: h.fake.confirmed_offset() > good["update_id"], within=30)
        assert bad["update_id"] < good["update_id"]
    warnings = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert warnings, "the skipped update was reported"
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert all(SECRET_WORDS not in r.getMessage() for r in caplog.records)
    assert all(SECRET_WORDS not in (r.exc_text or "") for r in caplog.records)
