"""Crisis answers and HELP texts are untouchable (issue 12 point 1): never cancelled, first out,
retried until delivered, and staff are told at once when one fails for good.

The first test is the reproduction from the issue: the crisis answer's first send meets a Twilio
5xx, and the patient writes "leave me alone" (a STOP pattern) before the retry. Before the fix the
opt-out cancelled the waiting crisis answer and the phone got only the opt-out confirmation.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, col, select

from bot.conversation.messages import SAFETY_KINDS, Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Alert, OutboxMessage
from bot.service.dispatcher import SAFETY_MAX_ATTEMPTS, claim_due
from tests.fakes.twilio_api import ScriptedError
from tests.sms_support import SmsWorld, enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"
CRISIS = "i want to kill myself tonight"


def _rows(w: SmsWorld, kind: str) -> list[OutboxMessage]:
    with Session(w.app.db) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def _alerts(w: SmsWorld, kind: str) -> list[Alert]:
    with Session(w.app.db) as s:
        return list(s.exec(select(Alert).where(Alert.kind == kind)).all())


@pytest.mark.parametrize("stop_text", ["leave me alone", "STOP"])
async def test_crisis_answer_survives_a_provider_5xx_and_a_stop_moments_later(
    db_url: str, clock: FakeClock, stop_text: str
) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        before = len(w.received(PHONE))
        w.fake.errors.append(ScriptedError(503, 20500, "Service Unavailable"))
        await w.text(PHONE, CRISIS)  # the answer's first send meets the 5xx: retry later
        assert len(w.received(PHONE)) == before
        (crisis,) = _rows(w, "crisis")
        assert crisis.status == "pending" and crisis.attempts == 1

        clock.advance(seconds=0.7)
        await w.text(PHONE, stop_text, dispatch=False)
        clock.advance(seconds=5)
        await w.dispatch()

        new = w.received(PHONE)[before:]
        assert len(new) == 2, new
        assert "988" in new[0] and "911" in new[0]  # the crisis answer, first
        assert "no more messages" in new[1]  # then the one opt-out confirmation
        (crisis,) = _rows(w, "crisis")
        assert crisis.status == "sent"
        # STOP after a crisis message still stops everything else
        w.app.pipeline.start_survey(crisis.patient_id or 0, "dvprs")
        clock.advance(hours=1)
        await w.dispatch()
        assert w.received(PHONE)[before:] == new


async def test_help_text_is_not_cancelled_by_a_stop_either(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        before = len(w.received(PHONE))
        w.fake.errors.append(ScriptedError(500, 20500))
        await w.text(PHONE, "HELP")
        (help_row,) = _rows(w, "help")
        assert help_row.status == "pending"
        await w.text(PHONE, "STOP", dispatch=False)
        clock.advance(seconds=5)
        await w.dispatch()
        new = w.received(PHONE)[before:]
        assert len(new) == 2 and "988" in new[0] and "no more messages" in new[1]


async def test_pause_quiet_hours_and_the_daily_cap_hold_nothing_back(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock, max_unsolicited_per_day=1) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        await w.text(PHONE, "PAUSE")
        clock.advance(hours=24 - clock().hour + 3)  # 03:00 UTC: 22:00/23:00 in Vermont
        with session_scope(w.app.db) as s:  # the day's one unsolicited message is used up
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("prompt", "an unsolicited question")],
                dedupe_prefix="cap",
                now=clock(),
            )
        before = len(w.received(PHONE))
        await w.text(PHONE, "no quiero vivir")
        new = w.received(PHONE)[before:]
        assert any("988" in body for body in new), new


async def test_a_crisis_answer_that_fails_for_good_alerts_staff_at_once(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        w.fake.errors.append(ScriptedError(400, 21211, "Invalid 'To' Phone Number"))
        await w.text(PHONE, CRISIS)
        (crisis,) = _rows(w, "crisis")
        assert crisis.status == "failed"
        assert len(_alerts(w, "reply_undelivered")) == 1
        assert len(_alerts(w, "crisis")) == 1


async def test_a_crisis_answer_is_retried_for_minutes_not_seconds(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        w.fake.errors += [ScriptedError(503, 20500)] * (SAFETY_MAX_ATTEMPTS - 1)
        await w.text(PHONE, CRISIS)
        for _ in range(SAFETY_MAX_ATTEMPTS):
            clock.advance(seconds=61)
            await w.dispatch()
        (crisis,) = _rows(w, "crisis")
        assert crisis.status == "sent", (crisis.status, crisis.attempts)
        assert crisis.attempts == SAFETY_MAX_ATTEMPTS  # 13 failures, and the 14th went
        assert not _alerts(w, "reply_undelivered")


async def test_undelivered_status_for_a_crisis_answer_alerts_staff(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        await enrol_by_sms(w, "S1", PHONE)
        await w.text(PHONE, CRISIS)
        message = w.fake.messages[-1]
        assert "988" in message["body"]
        await w.fake.send_status(
            message=message,
            status="undelivered",
            error_code="30003",
            public_base="https://bot.example.org",
            local_base=w.local_base,
        )
        assert len(_alerts(w, "reply_undelivered")) == 1


async def test_safety_replies_are_claimed_first_and_wait_for_nobody(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        with session_scope(w.app.db) as s:
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("prompt", f"question {n}") for n in range(3)],
                dedupe_prefix="queue",
                now=clock(),
            )
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("crisis", "crisis answer")],
                dedupe_prefix="crisis",
                now=clock(),
            )
            # an earlier question held by another dispatcher does not hold the crisis answer
            first = s.exec(
                select(OutboxMessage).where(col(OutboxMessage.dedupe_key) == "queue:0")
            ).one()
            first.status, first.claimed_at = "sending", clock()
            s.add(first)
        lane = claim_due(w.app.db, ["sms", "telegram"], clock(), 10, kinds=SAFETY_KINDS)
        assert [r.kind for r in lane] == ["crisis"]
        with session_scope(w.app.db) as s:
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("help", "help text")],
                dedupe_prefix="help",
                now=clock(),
            )
        claimed = claim_due(w.app.db, "sms", clock(), 10)
        assert [r.kind for r in claimed] == ["help"]  # questions 1-2 still wait for question 0


async def test_an_urgent_sms_goes_now_and_books_its_airtime() -> None:
    from bot.channels.sms.pacing import SegmentPacer

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = SegmentPacer(1.0, monotonic=lambda: now[0], sleep=sleep)
    await pacer.wait_turn(3)
    await pacer.wait_turn(1)  # waits for the first one's 3 s
    assert now[0] == pytest.approx(3.0)
    await pacer.wait_turn(1, urgent=True)  # does not wait for the second one's second
    assert now[0] == pytest.approx(3.0)
    await pacer.wait_turn(1)  # but the next ordinary send waits for both
    assert now[0] == pytest.approx(5.0)


async def test_an_urgent_telegram_send_is_not_paced_behind_the_chat() -> None:
    from bot.channels.telegram.adapter import ChatPacer

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = ChatPacer(1.0, clock=lambda: now[0], sleep=sleep)
    await asyncio.gather(pacer.wait(7), pacer.wait(7))
    assert now[0] == pytest.approx(1.0)
    await pacer.wait(7, urgent=True)
    assert now[0] == pytest.approx(1.0)
