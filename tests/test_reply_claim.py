"""The direct send's claim (bot/service/reply_claim.py): one UPDATE ... RETURNING that claims a
request's replies, and claims exactly what the general claim (`dispatcher._claim`) would."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.channels.base import OutboundEnvelope
from bot.db.database import session_scope
from bot.db.models import InboundMessage, OutboxMessage, Patient
from bot.service import send_rules
from bot.service.app import App
from bot.service.dispatcher import LEASE, STILL_CLEARED_SECONDS, Dispatcher, _claim, _Claimed
from bot.service.reply_claim import claim_replies
from bot.service.send_rules import SendRules
from tests.schedule_support import RecordingChannel, add_patient, make_app
from tests.support import FakeClock

CHANNELS = ["sms"]
RULES = SendRules()


def _scenario(app: App) -> tuple[list[int], set[int]]:
    """Outbox rows in every state the claim tells apart; returns (the ids a request would hand
    to the direct send, the ids this process holds already)."""
    now = app.pipeline.now()
    active = add_patient(app, "A01", locale="es")
    stopped = add_patient(app, "S02")
    paused = add_patient(app, "H03")
    with session_scope(app.db) as s:
        for pid, status in ((stopped, "stopped"), (paused, "paused")):
            patient = s.get(Patient, pid)
            assert patient is not None
            patient.status = status
            s.add(patient)
        inbound = InboundMessage(
            channel="sms",
            provider_message_id="in-1",
            address="+1",
            patient_id=active,
            body="7",
            received_at=now,
            triage_tier=0,
        )
        s.add(inbound)
        s.flush()
        reply_to = inbound.id
        ids: list[int] = []
        held: set[int] = set()
        number = iter(range(1000))

        def row(
            address: str,
            kind: str,
            *,
            patient: int | None = active,
            mine: bool = True,
            status: str = "pending",
            due: bool = True,
            claimed_ago: timedelta | None = None,
            reply: bool = True,
            channel: str = "sms",
        ) -> int:
            message = OutboxMessage(
                dedupe_key=f"k{next(number)}",
                patient_id=patient,
                channel=channel,
                address=address,
                kind=kind,
                body="text",
                in_reply_to=reply_to if reply else None,
                status=status,
                not_before=now if due else now + timedelta(hours=1),
                created_at=now,
                claimed_at=now - claimed_ago if claimed_ago is not None else None,
            )
            s.add(message)
            s.flush()
            assert message.id is not None
            if mine:
                ids.append(message.id)
            return message.id

        row("a", "prompt", mine=False, reply=False)  # unsent, earlier, not ours: blocks ...
        row("a", "reply")  # ... this one
        row("b", "reply")
        row("b", "crisis")  # first, whatever is before it
        row("c", "prompt", patient=stopped, reply=False)  # opted out: cancelled
        row("c", "reply", patient=stopped)  # an answer to their own message still goes
        row("d", "nudge", patient=paused)  # paused: a nudge is held back even as a reply
        row("e", "reply", due=False)
        row("f", "reply", status="sending", claimed_ago=timedelta(seconds=5))  # another's
        row("g", "reply", status="sending", claimed_ago=LEASE * 2)  # a lapsed lease
        row("h", "reply", channel="voice")  # a channel not running
        held.add(row("i", "reply", mine=False, status="sending", claimed_ago=timedelta(0)))
        row("i", "reply")  # behind a row this process holds: claimed
        row("j", "reply", due=False)  # in the claim but not due: blocks nothing ...
        row("j", "reply")  # ... so this goes
        row("k", "reply", status="sending", claimed_ago=timedelta(seconds=5))  # another's ...
        row("k", "reply")  # ... and this waits behind it
    return ids, held


def _outbox(app: App) -> list[tuple[Any, ...]]:
    with Session(app.db) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        return [(r.id, r.status, r.claimed_at, r.not_before, r.error_code) for r in rows]


def test_it_claims_what_the_general_claim_claims(tmp_path: Path, clock: FakeClock) -> None:
    apps = [make_app(f"sqlite:///{tmp_path / name}.db", clock) for name in ("core", "orm")]
    (ids, held), again = (_scenario(app) for app in apps)
    assert again == (ids, held)
    now = clock()
    core, orm = apps
    rows, locales = claim_replies(
        core.db, CHANNELS, now, ids, held=held, lease_end=now - LEASE, rules=RULES
    )
    expected, _, expected_locales = _claim(
        orm.db, CHANNELS, now, len(ids), ids=ids, held=held, rules=RULES, check=True
    )
    assert [r.id for r in rows] == [r.id for r in expected]
    assert locales == {r.id: expected_locales[r.id or 0] for r in expected}
    assert _outbox(core) == _outbox(orm)
    claimed = [(r.address, r.kind) for r in rows]
    assert claimed == [("b", "crisis"), ("b", "reply"), ("c", "reply"), ("g", "reply"),
                       ("i", "reply"), ("j", "reply")]  # fmt: skip
    assert set(locales.values()) == {"es", "en"}
    for app in apps:
        app.db.dispose()


def test_a_request_s_replies_are_claimed_in_one_statement(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    ids, held = _scenario(app)
    with Session(app.db) as s:  # what a request writes: answers to the patient's message
        kinds = dict(s.exec(select(OutboxMessage.id, OutboxMessage.kind)).all())
    ids = [i for i in ids if kinds[i] in ("reply", "crisis")]
    statements: list[str] = []
    event.listen(app.db, "before_cursor_execute", lambda *a: statements.append(a[2]))
    now = clock()
    rows, locales = claim_replies(
        app.db, CHANNELS, now, ids, held=held, lease_end=now - LEASE, rules=RULES
    )
    # ("c": its earlier prompt, not in this claim, is unsent: the reply waits behind it)
    assert [r.address for r in rows] == ["b", "b", "g", "i", "j"]
    assert all(r.status == "sending" and r.claimed_at is not None for r in rows)
    assert [locales[r.id or 0] for r in rows[:2]] == ["es", "es"]  # the patient's language
    work = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(work) == 1 and work[0].startswith("UPDATE")
    app.db.dispose()


@pytest.mark.parametrize("kind, reply, checked", [
    ("reply", True, False),  # an answer to the patient's own message: only ownership matters
    ("confirmation", False, False),
    ("crisis", True, False),
    ("prompt", False, True),  # unsolicited: STOP or PAUSE may have come meanwhile
    ("nudge", True, True),  # a pause holds it back even as a reply
])  # fmt: skip
def test_only_rows_a_rule_could_stop_are_checked_again_before_they_go(
    kind: str, reply: bool, checked: bool
) -> None:
    row = OutboxMessage(
        id=1, dedupe_key="k", channel="sms", address="a", kind=kind, body="",
        in_reply_to=1 if reply else None, not_before=FakeClock()(), created_at=FakeClock()(),
    )  # fmt: skip
    waited = time.monotonic() - STILL_CLEARED_SECONDS * 10
    item = _Claimed(row, FakeClock()(), "en", waited, waited)
    assert send_rules.unstoppable(row) is (not checked)
    assert Dispatcher._only_ownership_matters(item) is (not checked)
    lapsed = time.monotonic() - LEASE.total_seconds()  # by now another worker may own it
    assert Dispatcher._only_ownership_matters(_Claimed(row, FakeClock()(), "en", lapsed)) is (
        kind == "crisis"
    )


class SlowChannel(RecordingChannel):
    """Each send takes a while: the recipient's later messages wait in its queue meanwhile."""

    async def send(self, message: OutboundEnvelope) -> str:
        await asyncio.sleep(STILL_CLEARED_SECONDS * 1.5)
        return await super().send(message)


@pytest.mark.parametrize("kind, reply, checks", [("reply", True, 0), ("prompt", False, 2)])
async def test_replies_that_waited_in_their_queue_go_without_reading_the_rules_again(
    sqlite_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    reply: bool,
    checks: int,
) -> None:
    app = make_app(sqlite_url, clock)
    patient = add_patient(app, "A01")
    now = clock()
    with session_scope(app.db) as s:
        inbound = InboundMessage(
            channel="sms", provider_message_id="in-1", address="+1", patient_id=patient,
            body="7", received_at=now, triage_tier=0,
        )  # fmt: skip
        s.add(inbound)
        s.flush()
        rows = [
            OutboxMessage(
                dedupe_key=f"k{n}",
                patient_id=patient,
                channel="sms",
                address="+1",
                kind=kind,
                body=f"text {n}",
                in_reply_to=inbound.id if reply else None,
                not_before=now,
                created_at=now,
            )  # fmt: skip
            for n in range(3)
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id or 0 for r in rows]
    read: list[int] = []
    verdict_now = send_rules.verdict_now

    def counted(*args: Any) -> Any:
        read.append(args[1].id)
        return verdict_now(*args)

    monkeypatch.setattr(send_rules, "verdict_now", counted)
    channel = SlowChannel(clock)
    dispatcher = Dispatcher(app.db, rules=RULES)
    assert await dispatcher.send_now(ids, {"sms": channel}, now) == (3, False)
    await dispatcher.drain()
    assert [m.text for _, m in channel.sent] == ["text 0", "text 1", "text 2"]
    assert read == ids[1:][:checks]  # the two that waited, when a rule could stop them
    app.db.dispose()


@pytest.mark.postgres
def test_a_row_another_worker_has_locked_is_skipped_not_waited_for(
    postgres_url: str, clock: FakeClock
) -> None:
    app = make_app(postgres_url, clock)
    ids, held = _scenario(app)
    now = clock()
    with app.db.connect() as other:  # another worker, mid-claim of the crisis reply's row
        other.begin()
        locked = other.execute(
            select(OutboxMessage.id)  # type: ignore[call-overload]
            .where(OutboxMessage.kind == "crisis")
            .with_for_update()
        ).scalar_one()
        rows, _ = claim_replies(
            app.db, CHANNELS, now, ids, held=held, lease_end=now - LEASE, rules=RULES
        )
        other.rollback()
    assert locked not in {r.id for r in rows}
    assert [r.address for r in rows] == ["b", "c", "g", "i", "j"]
    app.db.dispose()


def test_the_earlier_row_check_reads_the_address_index(sqlite_url: str, clock: FakeClock) -> None:
    # "Is an earlier row to this address unsent?" is asked by every claim. Without the
    # (address, id) index it read the whole backlog of due rows (30,000: 4.5 ms a claim on
    # SQLite and 12.8 on PostgreSQL, instead of 1.1 and 1.9), so a burst slowed every answer.
    app = make_app(sqlite_url, clock)
    ids, held = _scenario(app)
    executed: list[tuple[str, Any]] = []
    event.listen(app.db, "before_cursor_execute", lambda *a: executed.append((a[2], a[3])))
    now = clock()
    claim_replies(app.db, CHANNELS, now, ids, held=held, lease_end=now - LEASE, rules=RULES)
    (statement, parameters), *_ = [(s, p) for s, p in executed if s.startswith("UPDATE")]
    with app.db.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    details = [row[-1] for row in plan]
    assert any("earlier USING" in d and "ix_outboxmessage_address_id" in d for d in details), (
        details
    )
    app.db.dispose()
