"""APScheduler 3.11 wiring: a job every minute that materialises due work and wakes the dispatcher.

The scheduler holds nothing but this one job (in memory, re-added at every start): the database
is the source of truth, so a restart loses nothing and a tick that was missed while the server
was down simply finds everything that came due meanwhile. `coalesce` and a generous
`misfire_grace_time` make missed runs run once (the 3.x default grace of 1 s would drop them).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from typing import TYPE_CHECKING, TypeAlias

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.schedule.due import DueWork
from bot.schedule.tick_lock import materialise_due_work_once

if TYPE_CHECKING:
    from bot.service.runtime import Runtime

log = logging.getLogger(__name__)

Scheduler: TypeAlias = AsyncIOScheduler
TICK_JOB_ID = "pathbot-due-work"
TICK_SECONDS = 60
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}


async def due_work_tick(runtime: Runtime) -> DueWork:
    """The job: write what has come due into the outbox, then wake the dispatcher."""
    now = runtime.app.pipeline.now()
    # one pass at a time across workers on PostgreSQL; a skipped tick found another running
    work = await asyncio.to_thread(materialise_due_work_once, runtime.app, now)
    runtime.wake()
    return work or DueWork()


def start_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Start the tick job on the running event loop; the first tick runs at once."""
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        due_work_tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[runtime],
        id=TICK_JOB_ID,
        replace_existing=True,
        next_run_time=runtime.app.pipeline.now(),
    )
    scheduler.start()
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler | None) -> None:
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
