"""Drill: the scheduler's tick runs in every worker at once on PostgreSQL; nothing is doubled.

Two threads stand for two `pathbot run` workers whose minute ticks fire together, over a
cohort's whole calendar (surveys opening, nudges, reminders, expiries). Without the advisory
lock in bot/schedule/tick_lock.py this recorded every missed-survey alert twice and queued each
opened survey twice in the conversation; the outbox alone was saved by its unique keys.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.db.database import session_scope
from bot.db.models import Alert, Conversation, OutboxMessage, Patient
from bot.schedule import cohorts
from bot.schedule.tick_lock import materialise_due_work_once
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock

pytestmark = [pytest.mark.drill, pytest.mark.postgres]

PATIENTS = 20
TICKS = 40  # every 12 hours: the cohort's first three weeks, surveys opened, nudged and expired


def _run_two_workers_through_the_calendar(url: str, clock: FakeClock) -> dict[str, int]:
    app = make_app(url, clock)
    try:
        ids = [add_patient(app, f"P{n:03d}") for n in range(PATIENTS)]
        with session_scope(app.db) as s:
            cohort = cohorts.create_cohort(
                s,
                name="Drill",
                start_date=date(2026, 11, 10),
                timezone="America/New_York",
                rule=cohorts.WeeklyRule(weekday=1, time="14:00"),
                now=clock(),
            )
            for pid in ids:
                patient = s.get(Patient, pid)
                assert patient is not None
                cohorts.enrol(s, cohort, patient, clock())
        for _ in range(TICKS):
            now = clock()
            together = threading.Barrier(2)

            def worker(now: datetime = now, together: threading.Barrier = together) -> None:
                together.wait()
                materialise_due_work_once(app.due_work_setup(), now)

            threads = [threading.Thread(target=worker) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            clock.advance(hours=12)
        with Session(app.db) as s:
            alerts = Counter((a.kind, a.rule_id) for a in s.exec(select(Alert)).all())
            twice_queued = 0
            for conversation in s.exec(select(Conversation)).all():
                state = conversation.state
                queued = [p["assignment_id"] for p in state.get("queue", [])]
                current = (state.get("survey") or {}).get("assignment_id")
                every = queued + ([current] if current else [])
                twice_queued += len(every) != len(set(every))
            keys = [r.dedupe_key for r in s.exec(select(OutboxMessage)).all()]
        return {
            "alerts": len(alerts),
            "duplicate_alerts": sum(1 for n in alerts.values() if n > 1),
            "twice_queued": twice_queued,
            "outbox": len(keys),
            "duplicate_keys": len(keys) - len(set(keys)),
        }
    finally:
        app.db.dispose()


def test_two_workers_ticking_together_write_everything_once(postgres_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    found = _run_two_workers_through_the_calendar(postgres_url, clock)
    assert found["alerts"] > 0 and found["outbox"] > 0  # the calendar really produced work
    assert found["duplicate_alerts"] == 0
    assert found["twice_queued"] == 0
    assert found["duplicate_keys"] == 0
