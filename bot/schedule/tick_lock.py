"""One due-work pass at a time across every worker sharing a PostgreSQL database.

Each worker runs the scheduler's tick. The outbox's unique dedupe keys stop a message from
being queued twice, but not everything a pass writes has such a key: two passes at the same
moment recorded every missed-survey alert twice and queued an opened survey twice in the
patient's conversation (tests/drills/test_drill_workers.py shows it). So a pass first takes a
PostgreSQL advisory lock; a worker that finds it taken skips this tick, since the holder is doing
the same work and the next tick finds anything new. The lock belongs to the connection, so a
worker that dies releases it. SQLite runs one worker and needs no lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from bot.schedule.due import DueWork, DueWorkSetup, materialise_due_work

# An arbitrary constant naming "pathbot due work" among advisory locks (ASCII "pathtick").
TICK_LOCK_KEY = 0x706174687469636B


def materialise_due_work_once(setup: DueWorkSetup, now: datetime) -> DueWork | None:
    """Run a due-work pass unless another worker is running one; None when skipped."""
    if setup.db.dialect.name != "postgresql":
        return materialise_due_work(setup, now)
    with setup.db.connect() as conn:
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": TICK_LOCK_KEY})
        if not taken.scalar():
            conn.rollback()
            return None
        conn.commit()  # the lock is held by the session, not by this short transaction
        try:
            return materialise_due_work(setup, now)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": TICK_LOCK_KEY})
            conn.commit()
