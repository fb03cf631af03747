"""APScheduler 3.11 wiring: a job every minute that materialises due work and wakes the dispatcher.

The scheduler holds nothing but this one job (in memory, re-added at every start): the database
is the source of truth, so a restart loses nothing and a tick that was missed while the server
was down simply finds everything that came due meanwhile. `coalesce` and a generous
`misfire_grace_time` make missed runs run once (the 3.x default grace of 1 s would drop them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeAlias

from apscheduler.schedulers.asyncio import AsyncIOScheduler

Scheduler: TypeAlias = AsyncIOScheduler
TICK_JOB_ID = "pathbot-due-work"
TICK_SECONDS = 60
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}


def start_scheduler(tick: Callable[[], Awaitable[object]], first_run: datetime) -> AsyncIOScheduler:
    """Run `tick` every minute on the running event loop, the first time at `first_run`."""
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        tick,
        "interval",
        seconds=TICK_SECONDS,
        id=TICK_JOB_ID,
        replace_existing=True,
        next_run_time=first_run,
    )
    scheduler.start()
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler | None) -> None:
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
