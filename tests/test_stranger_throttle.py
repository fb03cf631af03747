"""Strangers cannot flood the outbox or guess codes quickly (issue 12 point 2).

At most one refusal per chat per day; enrolment attempts past the hour's limits (per chat and
for all chats together) are stored but the code is not looked at, so even a valid code waits.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.db import invites
from bot.db.models import AuditLog, ChannelIdentity, OutboxMessage
from tests.support import FakeClock
from tests.telegram_support import TelegramHarness, eventually

STRANGER = 700001


async def test_one_refusal_per_chat_per_day(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock) as h:
        for n in range(4):
            await h.say(f"hello {n}", STRANGER)
        for n in range(3):
            await h.say(f"/start wrong{n}", STRANGER)
        assert len(h.texts(STRANGER)) == 1
        clock.advance(hours=24)
        await h.say("hello again", STRANGER)
        assert len(h.texts(STRANGER)) == 2


async def test_a_chat_gets_five_guesses_an_hour_then_even_a_good_code_waits(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        for n in range(invites.ATTEMPTS_PER_CHAT_PER_HOUR):
            await h.say(f"/start wrong{n}", STRANGER)
        _, code = h.new_patient()
        await h.say(f"/start {code}", STRANGER)  # the sixth attempt this hour: not checked
        assert not h.rows(ChannelIdentity)
        assert len(h.texts(STRANGER)) == 1  # the day's one refusal
        clock.advance(hours=1)
        await h.say(f"/start {code}", STRANGER)
        (identity,) = h.rows(ChannelIdentity)
        assert identity.address == str(STRANGER)


async def test_all_chats_together_get_sixty_guesses_an_hour(db_url: str, clock: FakeClock) -> None:
    async with TelegramHarness(db_url, clock, per_chat_interval=0.0) as h:
        assert h.channel is not None
        channel, before = h.channel, h.channel.updates_handled
        for n in range(invites.ATTEMPTS_PER_HOUR):
            h.fake.push_text(STRANGER + n, f"/start wrong{n}")
        await eventually(lambda: channel.updates_handled >= before + invites.ATTEMPTS_PER_HOUR)
        # the hour's attempts are used: one more chat, with a valid code, is not checked
        _, code = h.new_patient()
        await h.say(f"/start {code}", 800001)
        assert not h.rows(ChannelIdentity)
        with Session(h.app.db) as s:
            refusals = s.exec(select(OutboxMessage)).all()
            audits = s.exec(select(AuditLog).where(AuditLog.action == "enrolment.throttled")).all()
        assert len(refusals) == invites.ATTEMPTS_PER_HOUR  # the ones past the limit: none
        assert len(audits) == 1  # staff see that links are being refused this hour
        clock.advance(hours=1)
        await h.say(f"/start {code}", 800001)
        assert len(h.rows(ChannelIdentity)) == 1
