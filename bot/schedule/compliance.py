"""A cohort's compliance grid: patients x timepoints, like REDCap's record status dashboard.

Each cell is one planned survey's state as staff read it (done, on paper, due, overdue, missed,
refused for language, ...) with the date that goes with it. The states come from the stored
assignment alone; this module only names them for the page and never changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import exists
from sqlalchemy import select as select_columns
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

    @property
    def css(self) -> str:
        """The state as a class name ("on paper" -> "on-paper")."""
        return self.state.replace(" ", "-")


@dataclass(frozen=True)
class GridRow:
    patient_id: int
    study_id: str
    name: str | None  # only for callers who may see identity
    role: str  # participant | alumnus
    cells: dict[Column, Cell]
    line: list[Cell | None]  # the cells in the grid's column order (None: not planned)


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    rows: list[GridRow]
    total: int  # patients in the cohort (rows is one page of them)
    counts: dict[str, int]  # cells per state on this page


class Times(Protocol):
    """What a cell's state is read from: a SurveyAssignment, or a row of its columns."""

    state: str
    opens_at: datetime
    due_at: datetime
    expires_at: datetime
    completed_at: datetime | None


def cell_state(assignment: Times, now: datetime, on_paper: bool) -> tuple[str, datetime]:
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
    cells: dict[int, dict[Column, Cell]] = {pid: {} for pid in ids}
    order = _planned_columns(session, cohort_id, sorted(set(weeks.values())))
    counts: dict[str, int] = {}
    for a in _planned_surveys(session, cohort_id, ids):
        week = weeks.get(a.event_id) if a.event_id is not None else None
        column = Column(a.timepoint, a.instrument_id, week)
        order.setdefault(column, (TIMEPOINT_ORDER.get(a.timepoint, 3), week or 0, a.entry_id))
        state, at = cell_state(a, now, a.on_paper)
        cells[a.patient_id][column] = Cell(state, at, a.id)
        counts[state] = counts.get(state, 0) + 1
    columns = sorted(order, key=order.__getitem__)
    rows = [
        GridRow(
            pid,
            study_id,
            name if with_names else None,
            role,
            cells[pid],
            [cells[pid].get(c) for c in columns],
        )  # fmt: skip
        for pid, study_id, name, role in people
        if pid is not None
    ]
    return Grid(columns, rows, total, counts)


def _planned_surveys(session: Session, cohort_id: int, ids: list[int]) -> Sequence[Any]:
    """The planned surveys of these patients in this cohort: only the columns a cell needs (no
    ORM objects), and whether any answer came from paper, in one query."""
    if not ids:
        return []
    on_paper = (
        exists()
        .where(
            col(ItemResponse.assignment_id) == col(SurveyAssignment.id),
            col(ItemResponse.channel) == PAPER_CHANNEL,
            col(ItemResponse.superseded_at).is_(None),
        )
        .label("on_paper")
    )
    a, entry = SurveyAssignment, SurveyPlanEntry
    columns = [
        col(a.id), col(a.patient_id), col(a.instrument_id), col(a.event_id), col(a.state),
        col(a.opens_at), col(a.due_at), col(a.expires_at), col(a.completed_at),
        col(entry.timepoint), col(entry.id).label("entry_id"), on_paper,
    ]  # fmt: skip
    return session.execute(
        select_columns(*columns)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(
            col(SurveyPlanEntry.cohort_id) == cohort_id, col(SurveyAssignment.patient_id).in_(ids)
        )
    ).all()


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
