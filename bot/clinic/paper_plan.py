"""Which planned survey a paper form fulfils, and fulfilling it.

A baseline, post or alumni follow-up form fulfils the planned assignment of that patient,
instrument and timepoint (one enrolment's; a `cohort` column picks among several). A visit form
fulfils the planned visit survey of the session held that day. Ad-hoc forms are new assignments.
Anything else is refused with the reason: no planned survey, more than one, or one already
answered (unless the import replaces it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select, update

from bot.db import store
from bot.db.models import Cohort, Event, OutboxMessage, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry

TIMEPOINT_WORDS = ("baseline", "post", "visit", "adhoc")
TIMEPOINT_RX = re.compile(r"^(baseline|post|visit|adhoc|alumni_\d{1,2}m)$")
TIMEPOINTS_TEXT = "baseline, post, visit, adhoc, alumni_<months>m (e.g. alumni_3m)"
ANSWERED_STATES = ("completed", "partial")
OPEN_STATES = ("pending", "in_progress", "paused")


class NoMatch(ValueError):
    """The form matches no planned survey, or more than one, or one already answered."""


@dataclass(frozen=True)
class Target:
    """Where a form goes: an existing planned assignment, or a new ad-hoc one."""

    assignment: SurveyAssignment | None
    cohort: str | None
    replaces: bool  # the assignment was already answered and the import replaces it


def check_timepoint(text: str) -> str:
    timepoint = text or "adhoc"
    if not TIMEPOINT_RX.match(timepoint):
        raise ValueError(f"timepoint {text!r} is not one of {TIMEPOINTS_TEXT}")
    return timepoint


def find_target(
    session: Session,
    patient: Patient,
    instrument_id: str,
    timepoint: str,
    cohort: str | None,
    answered_at: datetime,
    *,
    replace: bool,
) -> Target:
    if timepoint == "adhoc":
        return Target(None, None, False)
    candidates = _planned(session, patient, instrument_id, timepoint, cohort)
    if timepoint == "visit":
        candidates = [(a, c, e) for a, c, e in candidates if _same_day(e, answered_at, c)]
    who = f"{patient.study_id}'s {instrument_id} {timepoint}"
    if not candidates:
        where = f" in {cohort}" if cohort else ""
        day = f" on {answered_at.date().isoformat()}" if timepoint == "visit" else ""
        raise NoMatch(
            f"{patient.study_id} has no planned {instrument_id} {timepoint}{where}{day} "
            "(enrol them in the cohort first, or enter the form as adhoc)"
        )
    if len(candidates) > 1:
        names = ", ".join(sorted({c.name for _, c, _ in candidates}))
        raise NoMatch(f"{who} is planned more than once ({names}): add a cohort column")
    assignment, found, _ = candidates[0]
    answered = assignment.state in ANSWERED_STATES
    if answered and not replace:
        when = assignment.completed_at.date().isoformat() if assignment.completed_at else "?"
        raise NoMatch(
            f"{who} in {found.name} was already answered ({assignment.state} {when}, "
            f"assignment {assignment.id}); import with --replace to replace it"
        )
    return Target(assignment, found.name, answered)


def _planned(
    session: Session, patient: Patient, instrument_id: str, timepoint: str, cohort: str | None
) -> list[tuple[SurveyAssignment, Cohort, Event | None]]:
    query = (
        select(SurveyAssignment, Cohort, Event)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .join(Cohort, col(Cohort.id) == col(SurveyPlanEntry.cohort_id))
        .outerjoin(Event, col(Event.id) == col(SurveyAssignment.event_id))
        .where(
            SurveyAssignment.patient_id == patient.id,
            SurveyAssignment.instrument_id == instrument_id,
            SurveyAssignment.timepoint == timepoint,
            SurveyAssignment.state != "cancelled",
        )
    )
    if cohort:
        query = query.where(Cohort.name == cohort)
    return [(a, c, e) for a, c, e in session.exec(query).all()]


def _same_day(event: Event | None, answered_at: datetime, cohort: Cohort) -> bool:
    if event is None:
        return False
    zone = ZoneInfo(cohort.timezone)
    return event.starts_at.astimezone(zone).date() == answered_at.astimezone(zone).date()


def withdraw(session: Session, assignment: SurveyAssignment, now: datetime) -> int:
    """Stop asking for a survey a paper form answered: its queued offers and nudges are
    cancelled and it leaves the patient's conversation. Returns the messages cancelled."""
    assignment_id = assignment.id
    assert assignment_id is not None
    cancelled = session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.patient_id) == assignment.patient_id,
            col(OutboxMessage.dedupe_key).startswith(f"offer:{assignment_id}:")
            | col(OutboxMessage.dedupe_key).startswith(f"nudge:{assignment_id}:"),
        )
        .values(status="cancelled")
    )
    state = store.load_state(session, assignment.patient_id)
    queue = [p for p in state.queue if p.assignment_id != assignment_id]
    current = state.survey is not None and state.survey.assignment_id == assignment_id
    # a survey the bot just completed, kept for an undo or its skipped-items offer
    closed = state.closed is not None and state.closed.assignment_id == assignment_id
    if current or closed or len(queue) != len(state.queue):
        state.queue = queue
        if current:
            state.survey = None
        if closed:
            state.closed = None
        store.save_state(session, assignment.patient_id, state, now)
    return int(cancelled.rowcount or 0)
