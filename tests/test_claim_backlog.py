"""The dispatcher's claims find what is due without reading a backlog (issue 16).

A slow channel (SMS at its default message a second) can have thousands of due rows waiting.
The safety lane's claim (every second, and on every wake) and the sweep's asked for "pending and
due, or leased and expired, safety replies first" in one query, which read and sorted every due
row: with 30,000 waiting, 8 ms a safety round and 13 ms a sweep on SQLite. Each part is now
searched on its own, in the order of an index, and stops at the batch: a crisis reply behind a
backlog is still found first, and the work of a claim does not grow with the backlog.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text, update
from sqlmodel import col

from bot.conversation.messages import SAFETY_KINDS, Outgoing, OutgoingKind
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import SAFETY_SQL, OutboxMessage
from bot.service.app import App
from bot.service.dispatcher import LEASE, claim_due
from tests.schedule_support import make_app
from tests.support import FakeClock

BATCH = 50


def _enqueue(app: App, count: int, *, kind: OutgoingKind = "reply", start: int = 0) -> list[int]:
    """`count` due rows, each to its own address (so no row waits behind another's order)."""
    ids = []
    with session_scope(app.db) as s:
        for i in range(start, start + count):
            (row,) = store.enqueue(
                s,
                patient_id=None,
                channel="sms",
                address=f"+1802555{i:04d}",
                messages=[Outgoing(kind, f"{kind} {i}")],
                dedupe_prefix=f"{kind}-{i}",
                now=app.pipeline.now(),
            )
            ids.append(row.id or 0)
    return ids


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    app = make_app(db_url, clock)
    yield app
    app.db.dispose()


def test_a_crisis_reply_behind_a_backlog_is_claimed_first_by_both_claims(
    app: App, clock: FakeClock
) -> None:
    backlog = _enqueue(app, 3 * BATCH)
    (crisis,) = _enqueue(app, 1, kind="crisis", start=900)
    (help_text,) = _enqueue(app, 1, kind="help", start=901)

    safety = claim_due(app.db, "sms", clock(), BATCH, kinds=SAFETY_KINDS)
    assert [r.id for r in safety] == [crisis, help_text]  # by id, none of the backlog

    (late_crisis,) = _enqueue(app, 1, kind="crisis", start=902)
    swept = claim_due(app.db, "sms", clock(), BATCH)
    assert [r.id for r in swept] == [late_crisis, *backlog[: BATCH - 1]]  # then by id


def test_an_expired_lease_is_claimed_again_beside_a_backlog(app: App, clock: FakeClock) -> None:
    (crashed,) = _enqueue(app, 1, start=0)  # its worker died mid-send: its lease ran out
    (still_sending,) = _enqueue(app, 1, start=1)  # another worker's, leased a minute ago
    with session_scope(app.db) as s:
        for row_id, claimed_at in ((crashed, clock() - LEASE - timedelta(seconds=1)),
                                   (still_sending, clock() - timedelta(minutes=1))):  # fmt: skip
            s.connection().execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .values(status="sending", claimed_at=claimed_at)
            )
    backlog = _enqueue(app, 2 * BATCH, start=10)
    swept = claim_due(app.db, "sms", clock(), BATCH)
    assert [r.id for r in swept] == [crashed, *backlog[: BATCH - 1]]
    assert still_sending not in {r.id for r in swept}


def test_a_row_not_yet_due_is_not_claimed(app: App, clock: FakeClock) -> None:
    (later,) = _enqueue(app, 1, start=0)
    with session_scope(app.db) as s:
        s.connection().execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == later)
            .values(not_before=clock() + timedelta(minutes=5))
        )
    (crisis,) = _enqueue(app, 1, kind="crisis", start=1)
    assert [r.id for r in claim_due(app.db, "sms", clock(), BATCH)] == [crisis]
    assert claim_due(app.db, "sms", clock(), BATCH, kinds=SAFETY_KINDS) == []


def _claim_work(app: App, clock: FakeClock, **claim: Any) -> int:
    """SQLite virtual-machine steps (in tens) for one claim of at most one row."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    app.db.dispose()  # fresh connections, each counting

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(count, 10)

    event.listen(app.db, "connect", on_connect)
    try:
        claim_due(app.db, "sms", clock(), 1, **claim)
    finally:
        event.remove(app.db, "connect", on_connect)
        app.db.dispose()
    return steps


@pytest.mark.parametrize("kinds", [SAFETY_KINDS, None], ids=["safety lane", "sweep"])
def test_the_work_of_a_claim_does_not_grow_with_the_backlog(
    sqlite_url: str, clock: FakeClock, kinds: tuple[str, ...] | None
) -> None:
    work = {}
    for backlog in (20, 4000):
        app = make_app(f"{sqlite_url[:-3]}-{backlog}.db", clock)
        _enqueue(app, backlog)
        work[backlog] = _claim_work(app, clock, kinds=kinds)
        app.db.dispose()
    # Reading the backlog took over 150 times the steps at 4,000 rows as at 20 (safety lane
    # 23 -> 4,003 tens of steps, sweep 56 -> 8,812); searched by its indexes, the same (6, 17).
    assert work[4000] <= 2 * work[20], work


def test_the_safety_condition_names_every_safety_kind() -> None:
    # The partial index and the claims write the safety kinds as SQL; a new kind must be
    # added there too (and to a migration re-creating the index), or it would not be found.
    assert SAFETY_SQL == "kind IN (" + ", ".join(f"'{k}'" for k in SAFETY_KINDS) + ")"


@pytest.mark.postgres
def test_postgresql_searches_the_pending_rows_not_the_history(
    postgres_url: str, clock: FakeClock
) -> None:
    # With statistics, PostgreSQL judged "pending and due, by id, the first 50" cheapest by
    # walking the primary key from the first row ever sent: 100,000 sent rows, 30,000 due,
    # 44 ms a sweep. The partial indexes of pending rows make the search start among them.
    app = make_app(postgres_url, clock)
    sent = [
        {
            "dedupe_key": f"old-{i}",
            "channel": "sms",
            "address": f"+1802555{i % 500:04d}",
            "kind": "reply",
            "body": "sent long ago",
            "options": [],
            "status": "sent",
            "not_before": clock() - timedelta(days=30),
            "created_at": clock() - timedelta(days=30),
        }
        for i in range(20_000)
    ]
    with app.db.begin() as conn:
        conn.execute(insert(OutboxMessage), sent)
    _enqueue(app, 300)
    with app.db.begin() as conn:
        conn.execute(text("ANALYZE outboxmessage"))
    executed: list[tuple[str, Any]] = []
    event.listen(app.db, "before_cursor_execute", lambda *a: executed.append((a[2], a[3])))
    claim_due(app.db, "sms", clock(), BATCH)
    claim_due(app.db, "sms", clock(), BATCH, kinds=SAFETY_KINDS)
    searches = [(s, p) for s, p in executed if "FOR UPDATE SKIP LOCKED" in s and "pending" in s]
    plans = []
    with app.db.connect() as conn:
        for statement, parameters in searches:
            plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            plans.append(" ".join(plan))
    app.db.dispose()
    assert len(plans) == 3  # the sweep's two pending searches, the safety lane's one
    assert all("outboxmessage_pkey" not in plan for plan in plans), plans
    assert sum("ix_outboxmessage_pending_safety" in plan for plan in plans) == 2, plans
    assert sum("ix_outboxmessage_pending " in plan for plan in plans) == 1, plans
