"""SMS double opt-in end to end: invite, nothing before START, consent recorded on START."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.conversation.engine import ProgramInfo
from bot.db.models import ChannelIdentity, ConsentRecord
from bot.service.sms_optin import OPTIN_TEXT_VERSION, queue_invite
from tests.sms_support import sms_world
from tests.support import FakeClock

PHONE = "+18025550123"
PROGRAM = ProgramInfo("Pain Program", "802-555-0100", "Mon-Fri 8-5")


async def test_invite_then_start_activates_and_records_consent(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as w:
        pid = w.add_patient("S1", PHONE)
        w.app.pipeline.start_survey(pid, "dvprs")  # pending: the survey must not be texted
        queue_invite(w.app.db, PROGRAM, pid, clock())
        await w.dispatch()
        assert len(w.received(PHONE)) == 1
        optin = w.last(PHONE)
        for words in (
            "Pain Program",
            "reply START",
            "Msg&data rates may apply",
            "24/7",
            "911",
            "988",
            "HELP",
            "STOP",
        ):
            assert words in optin
        await w.text(PHONE, "hello?")  # not a confirmation: one reminder at most
        await w.text(PHONE, "what is this")
        assert len(w.received(PHONE)) == 2 and "reply START" in w.last(PHONE)
        await w.text(PHONE, "START")
        assert "you are signed up" in w.last(PHONE)
        with Session(w.app.db) as s:
            identity = s.exec(select(ChannelIdentity).where(ChannelIdentity.address == PHONE)).one()
            consent = s.exec(select(ConsentRecord).where(ConsentRecord.address == PHONE)).one()
        assert identity.status == "active"
        assert consent.text_version == OPTIN_TEXT_VERSION and consent.method == "keyword"
        assert consent.granted_at is not None and consent.channel == "sms"
        assert not any(body.startswith("Q1/5") for body in w.received(PHONE))


async def test_spanish_invite_and_confirmation(sqlite_url: str, clock: FakeClock) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = w.add_patient("S2", PHONE, locale="es")
        queue_invite(w.app.db, PROGRAM, pid, clock())
        await w.dispatch()
        assert "Pueden aplicarse tarifas de mensajes y datos" in w.last(PHONE)
        assert "responda START" in w.last(PHONE) and "988" in w.last(PHONE)
        await w.text(PHONE, "COMENZAR")  # the Spanish opt-in word works too
        assert "ya está inscrito/a" in w.last(PHONE)


async def test_stop_before_confirming_gets_one_confirmation(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with sms_world(sqlite_url, clock) as w:
        pid = w.add_patient("S3", PHONE)
        queue_invite(w.app.db, PROGRAM, pid, clock())
        await w.dispatch()
        await w.text(PHONE, "STOP")
        await w.text(PHONE, "STOP")
        assert len(w.received(PHONE)) == 2 and "no more messages" in w.last(PHONE)
        with Session(w.app.db) as s:
            identity = s.exec(select(ChannelIdentity).where(ChannelIdentity.address == PHONE)).one()
        assert identity.status == "stopped"
