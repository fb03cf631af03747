"""One pass over everything that has come due, each part in its own transaction.

Called by the scheduler every minute and after a restart; every part is idempotent (unique keys,
state checks), so a pass that runs twice, or in two processes, writes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.conversation.clinic_texts import ProgramInfo
from bot.conversation.engine import ConversationEngine
from bot.db.database import session_scope
from bot.schedule import alumni, cohorts, plan, reminders, sittings, voice_calls
from bot.schedule.voice_calls import CallRules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueWorkSetup:
    """What a due-work pass needs from the running service (built by `App.due_work_setup`)."""

    db: Engine
    conversation: ConversationEngine
    program: ProgramInfo
    reminder_offsets_minutes: tuple[int, ...]
    calls: CallRules | None = None  # the voice channel's tier: None when voice is off


@dataclass(frozen=True)
class DueWork:
    expired: int = 0
    offered: int = 0
    batteries: int = 0  # batteries answered in sittings, offered
    sittings: int = 0  # next sittings started after their break
    reoffered: int = 0  # batteries whose 72-hour window lapsed with instruments unfinished
    nudged: int = 0
    reminders: int = 0
    graduated: int = 0
    meetings: int = 0
    calls: int = 0


def materialise_due_work(setup: DueWorkSetup, now: datetime) -> DueWork:
    """Expire, graduate, extend, offer, nudge and remind: everything due at `now`."""
    program = setup.program
    offsets = setup.reminder_offsets_minutes
    conversation = setup.conversation
    steps: dict[str, Callable[[Session], int]] = {
        "expired": lambda s: plan.expire_overdue(s, conversation, now),
        # before graduation, so a finished cohort's last missed reminders are still recorded
        "reminders": lambda s: reminders.materialise_reminders(
            s, now, program=program, offsets_minutes=offsets
        ),
        "graduated": lambda s: cohorts.graduate_finished_cohorts(s, now),
        "meetings": lambda s: alumni.extend_alumni_meetings(s, now),
        "offered": lambda s: plan.offer_open_surveys(s, conversation, now),
        "batteries": lambda s: sittings.offer_open_batteries(s, conversation, now),
        "sittings": lambda s: sittings.continue_due_sittings(s, conversation, now),
        "reoffered": lambda s: sittings.reoffer_lapsed(s, conversation, now),
        "nudged": lambda s: plan.send_nudges(s, now, program),
    }
    if setup.calls is not None:
        rules = setup.calls
        steps["calls"] = lambda s: voice_calls.plan_calls(s, now, rules)
    counts: dict[str, int] = {}
    for name, step in steps.items():
        try:
            with session_scope(setup.db) as session:
                counts[name] = step(session)
        except Exception:  # one failing part must not stop the others; the next tick retries
            log.exception("due work %s failed", name)
            counts[name] = 0
    return DueWork(**counts)
