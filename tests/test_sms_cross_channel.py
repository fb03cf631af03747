"""One patient on SMS and another channel: one survey across both; fallback when SMS fails."""

from __future__ import annotations

import io

from sqlmodel import Session, col, select

from bot.channels.console import ConsoleChannel
from bot.conversation.messages import Inbound, Outgoing
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ItemResponse, OutboxMessage, Patient
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock

PHONE = "+18025550123"


def _bind_console(w: object, pid: int, address: str) -> None:
    from tests.sms_support import SmsWorld

    assert isinstance(w, SmsWorld)
    with session_scope(w.app.db) as s:
        patient = s.get(Patient, pid)
        assert patient is not None
        store.bind_channel(
            s,
            patient=patient,
            channel="console",
            address=address,
            consent_text_version="t1",
            method="console",
            now=w.clock(),
        )


async def test_a_survey_started_on_another_channel_is_finished_by_sms(
    db_url: str, clock: FakeClock
) -> None:
    console = ConsoleChannel(io.StringIO())
    async with sms_world(db_url, clock, extra_channels=(console,)) as w:
        pid = w.add_patient("S1", PHONE)
        _bind_console(w, pid, "chat-1")
        w.app.pipeline.start_survey(pid, "dvprs")  # SMS is still pending: goes to the console
        await w.dispatch()
        assert console.sent[-1].text.startswith("Q1/5.")
        for n, reply in enumerate(("6", "5")):
            await w.runtime.receive(Inbound("console", "chat-1", f"c{n}", reply, clock()))
            await w.dispatch()
        assert console.sent[-1].text.startswith("Q3/5.")
        from bot.conversation.engine import ProgramInfo
        from bot.service.sms_optin import queue_invite

        queue_invite(w.app.db, ProgramInfo("Pain Program", "x", "y"), pid, clock())
        await w.dispatch()
        await w.text(PHONE, "START")
        for reply in ("4", "3", "2"):
            await w.text(PHONE, reply)
        assert w.received(PHONE)[-4].startswith("Q4/5.")
        assert any(b.startswith("Thank you!") for b in w.received(PHONE))
        with Session(w.app.db) as s:
            rows = s.exec(select(ItemResponse).order_by(col(ItemResponse.id))).all()
        assert [(r.channel, r.coded_value) for r in rows] == [
            ("console", 6),
            ("console", 5),
            ("sms", 4),
            ("sms", 3),
            ("sms", 2),
        ]


async def test_a_reminder_falls_back_to_the_other_channel_when_sms_fails_for_good(
    db_url: str, clock: FakeClock
) -> None:
    console = ConsoleChannel(io.StringIO())
    async with sms_world(db_url, clock, extra_channels=(console,)) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        _bind_console(w, pid, "chat-1")
        with session_scope(w.app.db) as s:
            patient = s.get(Patient, pid)
            assert patient is not None and patient.preferred_channel == "sms"
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("reminder", "Your group meets tomorrow at 2 PM.")],
                dedupe_prefix="rem",
                now=clock(),
            )
        w.fake.blocked.add(PHONE)  # 21610: the number opted out at the carrier
        await w.dispatch()
        await w.dispatch()
        assert [m.text for m in console.sent] == ["Your group meets tomorrow at 2 PM."]
        with Session(w.app.db) as s:
            rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        assert sorted((r.channel, r.status) for r in rows) == [
            ("console", "sent"),
            ("sms", "failed"),
        ]


async def test_an_undelivered_status_callback_also_falls_back(
    sqlite_url: str, clock: FakeClock
) -> None:
    console = ConsoleChannel(io.StringIO())
    async with sms_world(sqlite_url, clock, extra_channels=(console,)) as w:
        pid = await enrol_by_sms(w, "S1", PHONE)
        _bind_console(w, pid, "chat-1")
        with session_scope(w.app.db) as s:
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=PHONE,
                messages=[Outgoing("reminder", "Reminder: group tomorrow.")],
                dedupe_prefix="rem",
                now=clock(),
            )
        await w.dispatch()
        message = w.fake.messages[-1]
        await w.fake.send_status(
            message=message,
            status="undelivered",
            error_code="30005",
            public_base="https://bot.example.org",
            local_base=w.local_base,
        )
        await w.dispatch()
        assert [m.text for m in console.sent] == ["Reminder: group tomorrow."]
