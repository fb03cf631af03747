"""The dispatcher under pressure: concurrent inbound on SQLite, and database work off the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import Session, col, select

from bot.channels.base import OutboundEnvelope
from bot.channels.sms.adapter import SmsConfig, TwilioSmsChannel
from bot.conversation.messages import Inbound, Outgoing
from bot.db import store
from bot.db.database import DatabaseOnEventLoop, forbid_event_loop, session_scope
from bot.db.models import Alert, ChannelIdentity, OutboxMessage, Patient
from bot.schedule.outbox import enqueue_scheduled
from bot.service.dispatcher import claim_due, dispatch_pending
from bot.service.metrics import MeteredChannel
from tests.schedule_support import RecordingChannel, add_patient, make_app
from tests.sms_support import enrol_by_sms, sms_world
from tests.support import FakeClock

INBOUND_THREADS = 3
SECONDS = 3.0


def test_sqlite_dispatcher_is_never_locked_out_by_concurrent_inbound(
    sqlite_url: str, clock: FakeClock
) -> None:
    """A dispatcher round reads, then claims (writes); a deferred BEGIN failed at once with
    "database is locked" whenever an inbound message committed in between."""
    app = make_app(sqlite_url, clock)
    patients = [add_patient(app, f"L{n:03d}") for n in range(INBOUND_THREADS)]
    for pid in patients:
        app.pipeline.start_survey(pid, "dvprs")
    with Session(app.db) as s:
        addresses = [
            s.exec(select(ChannelIdentity.address).where(ChannelIdentity.patient_id == p)).one()
            for p in patients
        ]
    errors: list[BaseException] = []
    stop = threading.Event()

    def patient_writes(n: int) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            inbound = Inbound("sms", addresses[n], f"lock-{n}-{count}", "hello", clock())
            try:
                app.pipeline.handle(inbound)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=patient_writes, args=(n,)) for n in range(INBOUND_THREADS)]
    for thread in threads:
        thread.start()
    threading.Timer(SECONDS, stop.set).start()
    channel = RecordingChannel(clock)
    rounds = 0
    try:
        while not stop.is_set():
            asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock(), batch_size=5))
            rounds += 1
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == [], f"{len(errors)} errors, first: {errors[0]!r}"
    assert rounds > 0 and channel.sent
    app.db.dispose()


async def test_the_server_engine_refuses_database_work_on_the_event_loop(
    sqlite_url: str, clock: FakeClock
) -> None:
    """The class made impossible: a call that would block the loop fails at once, loudly."""
    app = make_app(sqlite_url, clock)
    forbid_event_loop(app.db)
    with pytest.raises(DatabaseOnEventLoop):
        claim_due(app.db, "sms", clock(), 10)
    # the same work in a worker thread is fine, and the dispatcher does all of its work there
    assert await asyncio.to_thread(claim_due, app.db, "sms", clock(), 10) == []
    assert await dispatch_pending(app.db, {"sms": RecordingChannel(clock)}, clock()) == 0
    app.db.dispose()


def test_a_message_that_breaks_the_channel_fails_loudly_and_the_rest_go_out(
    sqlite_url: str, clock: FakeClock
) -> None:
    """A bug on one row used to fail the whole round, every round, for ever."""
    app = make_app(sqlite_url, clock)
    pid = add_patient(app, "P001")
    with session_scope(app.db) as s:
        patient = s.get(Patient, pid)
        assert patient is not None
        for key in ("a", "b"):
            enqueue_scheduled(
                s, patient=patient, kind="reminder", text=key, key=f"{key}:0", now=clock()
            )

    class Fragile(RecordingChannel):
        async def send(self, message: OutboundEnvelope) -> str:
            if message.text == "a":
                raise KeyError("a bug in the channel")
            return await super().send(message)

    channel = Fragile(clock)
    assert asyncio.run(dispatch_pending(app.db, {"sms": channel}, clock())) == 1
    with Session(app.db) as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        alerts = s.exec(select(Alert)).all()
    assert [(r.body, r.status, r.error_code) for r in rows] == [
        ("a", "failed", "internal"),
        ("b", "sent", None),
    ]
    assert [a.kind for a in alerts] == ["send_failed"]
    app.db.dispose()


async def test_a_question_waiting_for_its_pacing_slot_never_goes_out_after_stop(
    db_url: str, clock: FakeClock
) -> None:
    """Two questions claimed together; the second waits a second for its slot (SMS pacing) and
    the patient texts STOP meanwhile. Before, it went out anyway."""
    phone = "+18025550177"
    async with sms_world(db_url, clock, sms_messages_per_second=1.0) as w:
        pid = await enrol_by_sms(w, "W1", phone)
        with session_scope(w.app.db) as s:
            store.enqueue(
                s,
                patient_id=pid,
                channel="sms",
                address=phone,
                messages=[
                    Outgoing("prompt", "first question"),
                    Outgoing("prompt", "second question"),
                ],
                dedupe_prefix="two",
                now=clock(),
            )
        clock.advance(seconds=30)  # the opt-in texts' airtime is long past
        stop_sent = False

        async def slot_wait(seconds: float) -> None:  # the patient writes while we wait
            nonlocal stop_sent
            if not stop_sent:
                stop_sent = True
                stop = Inbound("sms", phone, "SM" + "5" * 32, "STOP", clock())
                await w.runtime.backend.receive(stop)
            clock.advance(seconds=seconds)

        config = SmsConfig.from_settings(w.app.settings)
        assert config is not None
        paced = TwilioSmsChannel(
            w.runtime.backend, config, monotonic=lambda: clock().timestamp(), sleep=slot_wait
        )
        await dispatch_pending(w.app.db, {"sms": MeteredChannel(paced)}, clock())
        await paced.stop()
        bodies = w.received(phone)
        assert stop_sent and any(b.startswith("first question") for b in bodies)
        assert not any("second question" in b for b in bodies), bodies
        rows = {r.body: r.status for r in w.outbox()}
        assert rows["second question"] == "cancelled"
