"""Completed assignments with their answers and scores, read in batches for the export formats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db.models import (
    Cohort,
    Enrolment,
    Event,
    ItemResponse,
    Patient,
    Score,
    SurveyAssignment,
)
from bot.db.schedule_models import EventOccurrence
from surveys.loader import load_all, load_instrument
from surveys.model import Instrument

BATCH = 500
Q = TypeVar("Q")
SCORE_FIELDS = ("raw", "t", "se", "mean", "band", "descriptor")


@dataclass(frozen=True)
class ExportFilter:
    """Which rows an export holds; empty means everything. Dates bound answered/completed time."""

    cohort: str | None = None
    patients: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    with_names: bool = False
    # What patients typed (the long CSV's raw_text). Off for a de-identified export: a typed
    # answer can hold a name, a place or a phone number.
    with_free_text: bool = True

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary for the audit log and the export headers."""
        return {
            "cohort": self.cohort,
            "patients": list(self.patients),
            "instruments": list(self.instruments),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "with_names": self.with_names,
            "with_free_text": self.with_free_text,
        }


@dataclass
class AssignmentRecord:
    """One completed assignment as every per-assignment format needs it."""

    assignment: SurveyAssignment
    study_id: str
    name: str | None
    cohort: str
    channel: str
    answers: dict[str, int | None] = field(default_factory=dict)  # skipped -> None
    option_codes: dict[str, int | None] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)  # newest scoring revision per scale
    week: int | None = None  # visit surveys: the cohort week of the session
    session_number: int | None = None  # visit surveys: the session's place among those held


def patient_scope(query: Q, flt: ExportFilter, patient_col: Any) -> Q:
    """Restrict a query to the filter's cohort and patients."""
    scoped: Any = query
    if flt.cohort is not None:
        members = (
            select(Enrolment.patient_id)
            .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
            .where(Cohort.name == flt.cohort)
        )
        scoped = scoped.where(patient_col.in_(members))
    if flt.patients:
        ids = select(Patient.id).where(col(Patient.study_id).in_(flt.patients))
        scoped = scoped.where(patient_col.in_(ids))
    return cast(Q, scoped)


def _completed_query(flt: ExportFilter) -> Any:
    query: Any = select(SurveyAssignment).where(SurveyAssignment.state == "completed")
    query = patient_scope(query, flt, col(SurveyAssignment.patient_id))
    if flt.instruments:
        query = query.where(col(SurveyAssignment.instrument_id).in_(flt.instruments))
    if flt.since is not None:
        query = query.where(col(SurveyAssignment.completed_at) >= flt.since)
    if flt.until is not None:
        query = query.where(col(SurveyAssignment.completed_at) < flt.until)
    return query


def instruments_present(db: Engine, flt: ExportFilter) -> list[Instrument]:
    """The instrument versions among the filtered completed assignments (for column headers)."""
    sub = _completed_query(flt).subquery()
    with Session(db) as session:
        pairs = session.exec(select(sub.c.instrument_id, sub.c.instrument_version).distinct()).all()
    return [load_instrument(i, v) for i, v in sorted(pairs)]


def iter_completed(
    db: Engine, flt: ExportFilter, *, batch: int = BATCH
) -> Iterator[AssignmentRecord]:
    """Completed assignments in id order, `batch` at a time (keyset pages: flat memory)."""
    after = 0
    with Session(db) as session:
        while True:
            page = list(
                session.exec(
                    _completed_query(flt)
                    .where(col(SurveyAssignment.id) > after)
                    .order_by(col(SurveyAssignment.id))
                    .limit(batch)
                )
            )
            if not page:
                return
            yield from _records(session, page, flt)
            after = page[-1].id or after
            session.expunge_all()  # what was yielded is not kept by the session either


def _records(
    session: Session, page: list[SurveyAssignment], flt: ExportFilter
) -> list[AssignmentRecord]:
    ids = [a.id for a in page]
    patient_ids = {a.patient_id for a in page}
    patients = {
        p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(patient_ids)))
    }
    cohorts: dict[int, list[str]] = defaultdict(list)
    for enrolment, cohort_name in session.exec(
        select(Enrolment, Cohort.name)
        .join(Cohort, col(Cohort.id) == Enrolment.cohort_id)
        .where(col(Enrolment.patient_id).in_(patient_ids))
        .order_by(col(Enrolment.enrolled_at))
    ):
        cohorts[enrolment.patient_id].append(cohort_name)
    out: dict[int | None, AssignmentRecord] = {}
    for a in page:
        patient = patients[a.patient_id]
        out[a.id] = AssignmentRecord(
            assignment=a,
            study_id=patient.study_id,
            name=patient.display_name if flt.with_names else None,
            cohort=";".join(cohorts.get(a.patient_id, [])),
            channel="",
        )
    _place_visits(session, page, out)
    for response in session.exec(
        select(ItemResponse)
        .where(col(ItemResponse.assignment_id).in_(ids), col(ItemResponse.superseded_at).is_(None))
        .order_by(col(ItemResponse.id))
    ):
        record = out[response.assignment_id]
        record.answers[response.item_id] = response.coded_value
        record.option_codes[response.item_id] = response.option_code
        record.channel = record.channel or response.channel
    for row in session.exec(
        select(Score).where(col(Score.assignment_id).in_(ids)).order_by(col(Score.id))
    ):
        out[row.assignment_id].scores[row.scale_id] = row  # later (newer) rows win
    return list(out.values())


def _place_visits(
    session: Session, page: list[SurveyAssignment], out: dict[int | None, AssignmentRecord]
) -> None:
    """Week and session number of each visit survey's session (cancelled sessions not counted)."""
    event_ids = {a.event_id for a in page if a.event_id is not None}
    if not event_ids:
        return
    weeks = dict(
        session.exec(
            select(EventOccurrence.event_id, EventOccurrence.sequence).where(
                col(EventOccurrence.event_id).in_(event_ids)
            )
        ).all()
    )
    events = {e.id: e for e in session.exec(select(Event).where(col(Event.id).in_(event_ids)))}
    numbers: dict[int, int] = {}
    for cohort_id in {e.cohort_id for e in events.values() if e.cohort_id is not None}:
        held = session.exec(
            select(Event.id)
            .where(
                Event.cohort_id == cohort_id,
                Event.kind == "session",
                Event.status != "cancelled",
            )
            .order_by(col(Event.starts_at))
        ).all()
        numbers.update({event_id: n for n, event_id in enumerate(held, start=1) if event_id})
    for a in page:
        if a.event_id is not None:
            record = out[a.id]
            record.week = weeks.get(a.event_id)
            record.session_number = numbers.get(a.event_id)


class UnknownFilter(LookupError):
    """An export filter names a cohort, patient or instrument that does not exist."""


def check_filter(db: Engine, flt: ExportFilter) -> None:
    """Refuse a filter that names nothing: an empty file would look like "no data"."""
    problems: list[str] = []
    with Session(db) as session:
        if flt.cohort is not None:
            if session.exec(select(Cohort.id).where(Cohort.name == flt.cohort)).first() is None:
                problems.append(f"no cohort {flt.cohort!r}")
        if flt.patients:
            known = set(
                session.exec(
                    select(Patient.study_id).where(col(Patient.study_id).in_(flt.patients))
                ).all()
            )
            missing = [p for p in flt.patients if p not in known]
            if missing:
                problems.append(f"no patient {', '.join(repr(p) for p in missing)}")
    if flt.instruments:
        known_ids = set(load_all())
        unknown = [i for i in flt.instruments if i not in known_ids]
        if unknown:
            problems.append(
                f"no instrument {', '.join(repr(i) for i in unknown)} "
                f"(instruments: {', '.join(sorted(known_ids))})"
            )
    if problems:
        raise UnknownFilter("; ".join(problems))


def score_fields(instrument: Instrument) -> list[tuple[str, str]]:
    """(scale, field) pairs that the instrument's scoring rule can fill, in file order."""
    pairs: list[tuple[str, str]] = []
    for scale in instrument.scales:
        if scale.rule == "promis_table":
            names = ["raw", "t", "se"]
        elif scale.rule == "promis_summary":
            names = ["t"]
        elif scale.rule == "mean":
            names = ["mean"]
        else:
            names = ["raw"]
        if scale.bands:
            names.append("band")
        if scale.descriptors:
            names.append("descriptor")
        pairs.extend((scale.id, n) for n in ["status", *names])
    return pairs


def score_value(record: AssignmentRecord, scale_id: str, field_name: str) -> Any:
    row = record.scores.get(scale_id)
    return None if row is None else getattr(row, field_name)
