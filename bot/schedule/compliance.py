"""A cohort's compliance grid: patients x timepoints, like REDCap's record status dashboard.

Each cell is one planned survey's state as staff read it (done, on paper, due, overdue, missed,
refused for language, ...) with the date that goes with it. The states come from the stored
assignment alone; this module only names them for the page and never changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.db.models import Enrolment, ItemResponse, Patient, SurveyAssignment
from bot.db.schedule_models import EventOccurrence, PlannedSurvey, SurveyPlanEntry
from bot.schedule.localtime import as_utc

PAPER_CHANNEL = "paper"  # bot/clinic/paper_import.py's channel for answers typed from paper
ANSWERED = ("completed", "partial")
OPEN = ("pending", "in_progress", "paused")
# Columns in the order a program runs: the battery before, each session, the battery after,
# the alumni follow-ups.
TIMEPOINT_ORDER = {"baseline": 0, "visit": 1, "post": 2}


@dataclass(frozen=True)
class Column:
    timepoint: str
    instrument_id: str
    week: int | None  # the session's week, for per-session surveys

    @property
    def label(self) -> str:
        return f"week {self.week}" if self.week is not None else self.timepoint


@dataclass(frozen=True)
class Cell:
    state: str  # done | on paper | partly done | planned | due | overdue | missed | refused ...
    at: datetime  # the date that goes with the state (completed, due, expired, opened)
    assignment_id: int


@dataclass(frozen=True)
class GridRow:
    patient_id: int
    study_id: str
    name: str | None  # only for callers who may see identity
    role: str  # participant | alumnus
    cells: dict[Column, Cell]


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    rows: list[GridRow]
    total: int  # patients in the cohort (rows is one page of them)
    counts: dict[str, int]  # cells per state on this page


def cell_state(assignment: SurveyAssignment, now: datetime, on_paper: bool) -> tuple[str, datetime]:
    """The state staff read in a cell, and its date."""
    state = assignment.state
    if state in ANSWERED:
        at = as_utc(assignment.completed_at or assignment.due_at)
        if on_paper:
            return "on paper", at
        return ("done" if state == "completed" else "partly done"), at
    if state == "refused":
        return "refused for language", as_utc(assignment.opens_at)
    if state == "missed":
        return "missed", as_utc(assignment.expires_at)
    if state in OPEN:
        opens, due, expires = (
            as_utc(assignment.opens_at), as_utc(assignment.due_at), as_utc(assignment.expires_at)
        )  # fmt: skip
        if now < opens:
            return "planned", opens
        if now < due:
            return "due", due
        if now < expires:
            return "overdue", due
        return "missed", expires  # past its expiry; the scheduler's next tick records it
    return state, as_utc(assignment.opens_at)  # cancelled (its session was cancelled)


def compliance_grid(
    session: Session,
    cohort_id: int,
    *,
    now: datetime,
    with_names: bool,
    offset: int = 0,
    limit: int = 50,
) -> Grid:
    members = select(Enrolment.patient_id).where(Enrolment.cohort_id == cohort_id)
    total = session.exec(select(func.count()).select_from(members.subquery())).one()
    people = session.exec(
        select(Patient.id, Patient.study_id, Patient.display_name, Enrolment.role)
        .join(Enrolment, col(Enrolment.patient_id) == col(Patient.id))
        .where(Enrolment.cohort_id == cohort_id)
        .order_by(col(Patient.study_id))
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [pid for pid, *_ in people if pid is not None]
    weeks = dict(
        session.exec(
            select(EventOccurrence.event_id, EventOccurrence.sequence).where(
                col(EventOccurrence.key).startswith(f"cohort:{cohort_id}:week:")
            )
        ).all()
    )
    planned = (
        session.exec(
            select(SurveyAssignment, SurveyPlanEntry.timepoint, SurveyPlanEntry.id)
            .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
            .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
            .where(
                SurveyPlanEntry.cohort_id == cohort_id, col(SurveyAssignment.patient_id).in_(ids)
            )
        ).all()
        if ids
        else []
    )
    assignment_ids = [a.id for a, _, _ in planned if a.id is not None]
    paper = (
        set(
            session.exec(
                select(ItemResponse.assignment_id)
                .where(
                    col(ItemResponse.assignment_id).in_(assignment_ids),
                    ItemResponse.channel == PAPER_CHANNEL,
                    col(ItemResponse.superseded_at).is_(None),
                )
                .distinct()
            ).all()
        )
        if assignment_ids
        else set()
    )
    cells: dict[int, dict[Column, Cell]] = {pid: {} for pid in ids}
    order = _planned_columns(session, cohort_id, sorted(set(weeks.values())))
    counts: dict[str, int] = {}
    for assignment, timepoint, entry_id in planned:
        week = weeks.get(assignment.event_id) if assignment.event_id is not None else None
        column = Column(timepoint, assignment.instrument_id, week)
        order.setdefault(column, (TIMEPOINT_ORDER.get(timepoint, 3), week or 0, entry_id or 0))
        state, at = cell_state(assignment, now, assignment.id in paper)
        cells[assignment.patient_id][column] = Cell(state, at, assignment.id or 0)
        counts[state] = counts.get(state, 0) + 1
    rows = [
        GridRow(pid, study_id, name if with_names else None, role, cells[pid])
        for pid, study_id, name, role in people
        if pid is not None
    ]
    return Grid(sorted(order, key=order.__getitem__), rows, total, counts)


def _planned_columns(
    session: Session, cohort_id: int, weeks: list[int]
) -> dict[Column, tuple[int, int, int]]:
    """Every column the cohort's plan makes, with its sort key, even before anyone is enrolled."""
    columns: dict[Column, tuple[int, int, int]] = {}
    for entry in session.exec(
        select(SurveyPlanEntry).where(SurveyPlanEntry.cohort_id == cohort_id)
    ).all():
        rank, entry_id = TIMEPOINT_ORDER.get(entry.timepoint, 3), entry.id or 0
        if entry.anchor == "each_session":
            for week in weeks:
                columns[Column(entry.timepoint, entry.instrument_id, week)] = (rank, week, entry_id)
        else:
            columns[Column(entry.timepoint, entry.instrument_id, None)] = (rank, 0, entry_id)
    return columns
