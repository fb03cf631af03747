"""Outbound SMS through the real twilio client: errors mapped, back-off, pacing by segments."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.conversation.messages import Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, OutboxMessage
from tests.fakes.twilio_api import ScriptedError
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"


def _queue(w: object, pid: int, texts: list[str], prefix: str) -> None:
    from tests.sms_support import SmsWorld

    assert isinstance(w, SmsWorld)
    with session_scope(w.app.db) as s:
        store.enqueue(
            s,
            patient_id=pid,
            channel="sms",
            address=PHONE,
            messages=[Outgoing("reminder", t) for t in texts],
            dedupe_prefix=prefix,
            now=w.clock(),
        )


async def test_sends_are_paced_by_segments(db_url: str, clock: FakeClock) -> None:
    async with sms_world(db_url, clock, sms_messages_per_second=1.0) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        one, two, three = "short reminder", "x" * 200, "y" * 400  # 1, 2 and 3 GSM-7 segments
        _queue(w, pid, [one, two, three, one], "pace")
        start = len(w.fake.requests)
        await w.dispatch()
        sent = w.fake.requests[start:]
        assert [r.form["Body"] for r in sent] == [one, two, three, one]
        gaps = [b.at - a.at for a, b in zip(sent, sent[1:], strict=False)]
        # the fake records virtual time: each send waits for the previous one's segments
        assert gaps[0] >= 1.0 - 1e-6 and gaps[1] >= 2.0 - 1e-6 and gaps[2] >= 3.0 - 1e-6
        with Session(w.app.db) as s:
            rows = s.exec(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("pace"))
            ).all()  # type: ignore[attr-defined]
        assert [r.segments for r in rows] == [1, 2, 3, 1]


async def test_throttling_and_outages_back_off_then_succeed(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.fake.errors += [ScriptedError(429, 20429, "Too Many Requests"), ScriptedError(503, 20500)]
        _queue(w, pid, ["session reminder"], "retry")
        await w.dispatch()
        with Session(w.app.db) as s:
            row = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "retry:0")).one()
        assert (row.status, row.error_code, row.attempts) == ("pending", "20429", 1)
        assert row.not_before > clock()
        await w.dispatch()  # not due yet: nothing is tried
        assert len(w.fake.errors) == 1
        clock.advance(seconds=3)
        await w.dispatch()
        clock.advance(seconds=10)
        await w.dispatch()
        with Session(w.app.db) as s:
            row = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "retry:0")).one()
        assert row.status == "sent" and w.last(PHONE) == "session reminder"


async def test_21610_marks_the_number_stopped_and_nothing_more_is_tried(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        w.fake.blocked.add(PHONE)
        _queue(w, pid, ["first reminder"], "r1")
        await w.dispatch()
        with Session(w.app.db) as s:
            row = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "r1:0")).one()
            identity = s.exec(select(ChannelIdentity).where(ChannelIdentity.address == PHONE)).one()
        assert (row.status, row.error_code, identity.status) == ("failed", "21610", "stopped")
        tried = len(w.fake.requests)
        clock.advance(hours=1)
        _queue(w, pid, ["second reminder"], "r2")
        await w.dispatch()
        assert len(w.fake.requests) == tried  # stopped per channel: not even attempted
        # the patient re-subscribes from the phone (Twilio forwards START): the number is back
        w.fake.blocked.discard(PHONE)
        await w.text(PHONE, "START")
        with Session(w.app.db) as s:
            identity = s.exec(select(ChannelIdentity).where(ChannelIdentity.address == PHONE)).one()
        assert identity.status == "active" and "signed up" in w.last(PHONE)
