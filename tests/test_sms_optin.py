"""SMS double opt-in end to end: invite, nothing before START, consent recorded on START."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.conversation.engine import ProgramInfo
from bot.db import store
from bot.db.database import make_engine, session_scope, upgrade
from bot.db.models import ChannelIdentity, ConsentRecord
from bot.service.sms_optin import OPTIN_TEXT_VERSION, number_statuses, queue_invite
from tests.sms_support import sms_world
from tests.support import FakeClock

PHONE = "+18025550123"
PROGRAM = ProgramInfo("Pain Program", "802-555-0100", "Mon-Fri 8-5")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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


async def test_start_resubscribes_a_number_stopped_by_the_carrier(
    db_url: str, clock: FakeClock
) -> None:
    """SMS-16: a number stopped on SMS only (carrier error 21610) while its patient is still
    active is signed up again by START from the phone; other words get no reply."""
    async with sms_world(db_url, clock) as w:
        pid = w.add_patient("S4", PHONE)
        with session_scope(w.app.db) as s:
            identity = s.exec(
                select(ChannelIdentity).where(ChannelIdentity.patient_id == pid)
            ).one()
            identity.status = "stopped"
            s.add(identity)
        assert number_statuses(w.app.db, PHONE) == ("stopped", "active")
        await w.text(PHONE, "START")
        assert "you are signed up" in w.last(PHONE)
        assert number_statuses(w.app.db, PHONE) == ("active", "active")
        with Session(w.app.db) as s:
            consent = s.exec(select(ConsentRecord).where(ConsentRecord.address == PHONE)).one()
        assert consent.method == "keyword"


def test_the_opt_in_check_reads_without_waiting_for_writers(sqlite_url: str) -> None:
    """Every inbound SMS first asks whether its number is pending: that read is a plain read,
    so it neither waits for nor holds up the one SQLite writer."""
    upgrade(sqlite_url)
    db = make_engine(sqlite_url)
    with session_scope(db) as s:
        patient = store.add_patient(s, study_id="S5", now=NOW)
        s.add(ChannelIdentity(patient_id=patient.id or 0, channel="sms", address=PHONE,
                              status="pending", created_at=NOW))  # fmt: skip
    inside, finish = threading.Event(), threading.Event()

    def writer() -> None:
        with session_scope(db) as s:
            store.add_patient(s, study_id="S6", now=NOW)
            inside.set()
            finish.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(10)
        assert number_statuses(db, PHONE) == ("pending", "active")
        assert number_statuses(db, "+18025550999") == (None, None)
    finally:
        finish.set()
        thread.join(10)
    db.dispose()
