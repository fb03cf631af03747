"""Gather a cohort's scores, attendance and survey completion into a CohortReport."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clinic.report.stats import (
    Better,
    ChangeStats,
    Pair,
    Share,
    at_least_points,
    change_stats,
    reduction_share,
    reliably_changed,
)
from bot.db.models import Cohort, Enrolment, Event, Patient, Rsvp, Score, SurveyAssignment

MEASURES_FILE = Path(__file__).with_name("measures.yaml")


class CohortNotFound(LookupError):
    """No cohort has that name."""


@dataclass(frozen=True)
class Measure:
    instrument: str
    scale: str
    value: str  # t | mean | raw
    better: Better
    change: str  # promis | promis_group | nrs | none

    @property
    def label(self) -> str:
        return f"{self.instrument} {self.scale}"


@dataclass(frozen=True)
class MeasureRules:
    measures: tuple[Measure, ...]
    group_mid_points: float
    reliable_change_z: float
    nrs_reductions: tuple[float, ...]


@functools.cache
def measure_rules() -> MeasureRules:
    data = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    return MeasureRules(
        measures=tuple(Measure(**m) for m in data["measures"]),
        group_mid_points=float(data["group_mid_points"]),
        reliable_change_z=float(data["reliable_change_z"]),
        nrs_reductions=tuple(float(x) for x in data["nrs_reductions"]),
    )


@dataclass(frozen=True)
class MeasureResult:
    measure: Measure
    pairs: list[Pair]
    stats: ChangeStats
    improved_mid: Share | None = None  # promis: >= 3 T points in the better direction
    group_meets_mid: bool | None = None  # promis: mean improvement >= 3 T points
    reliably_improved: Share | None = None
    reliably_worse: Share | None = None
    reductions: dict[float, Share] = field(default_factory=dict)  # nrs: percent -> share


@dataclass(frozen=True)
class Completion:
    timepoint: str
    language: str  # "all" or a language code
    assigned: int
    completed: int

    @property
    def percent(self) -> float | None:
        return None if self.assigned == 0 else 100.0 * self.completed / self.assigned


@dataclass(frozen=True)
class Attendance:
    sessions_held: int
    participants: int
    expected: int  # participants x sessions held
    attended: int
    recorded: int  # attendance marked (yes or no)

    @property
    def percent(self) -> float | None:
        return None if self.expected == 0 else 100.0 * self.attended / self.expected


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    generated_at: datetime
    participants: list[str]
    measures: list[MeasureResult]
    attendance: Attendance
    completion: list[Completion]
    # study id -> [(weeks since cohort start, DVPRS pain)] for the trajectory plot
    dvprs_weeks: dict[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class _ScorePoint:
    assignment_id: int
    timepoint: str
    completed_at: datetime
    value: float
    se: float | None


def build_report(db: Engine, cohort_name: str, *, now: datetime) -> CohortReport:
    rules = measure_rules()
    with Session(db) as session:
        cohort = session.exec(select(Cohort).where(Cohort.name == cohort_name)).first()
        if cohort is None:
            names = ", ".join(session.exec(select(Cohort.name).order_by(col(Cohort.name))))
            raise CohortNotFound(f"no cohort {cohort_name!r} (cohorts: {names or 'none'})")
        members: dict[int, str] = dict(
            session.exec(  # type: ignore[arg-type]
                select(Patient.id, Patient.study_id)
                .join(Enrolment, col(Enrolment.patient_id) == Patient.id)
                .where(Enrolment.cohort_id == cohort.id)
                .order_by(col(Patient.study_id))
            ).all()
        )
        points = _score_points(session, list(members))
        results = [
            _measure_result(m, points.get((m.instrument, m.scale), {}), members, rules)
            for m in rules.measures
        ]
        attendance = _attendance(session, cohort, len(members), now)
        completion = _completion(session, list(members), now)
    start = datetime.combine(cohort.start_date, datetime.min.time(), tzinfo=UTC)
    dvprs: dict[str, list[tuple[float, float]]] = {}
    for patient_id, series in points.get(("dvprs", "pain_intensity"), {}).items():
        dvprs[members[patient_id]] = [
            ((_utc(p.completed_at) - start).total_seconds() / (7 * 86400), p.value) for p in series
        ]
    return CohortReport(
        cohort=cohort,
        generated_at=now,
        participants=list(members.values()),
        measures=[r for r in results if r.stats.n > 0],
        attendance=attendance,
        completion=completion,
        dvprs_weeks=dvprs,
    )


def _score_points(
    session: Session, patient_ids: list[int]
) -> dict[tuple[str, str], dict[int, list[_ScorePoint]]]:
    """Complete scores per (instrument, scale) and patient, oldest first."""
    wanted = {(m.instrument, m.scale): m.value for m in measure_rules().measures}
    out: dict[tuple[str, str], dict[int, list[_ScorePoint]]] = defaultdict(
        lambda: defaultdict(list)
    )
    rows = session.exec(
        select(Score, SurveyAssignment)
        .join(SurveyAssignment, col(SurveyAssignment.id) == Score.assignment_id)
        .where(
            col(Score.patient_id).in_(patient_ids),
            Score.status == "complete",
            SurveyAssignment.state == "completed",
        )
        .order_by(col(SurveyAssignment.completed_at), col(Score.id))
    )
    latest: dict[tuple[int, str], tuple[Score, SurveyAssignment]] = {}
    for score, assignment in rows:  # the newest scoring revision of a scale wins
        latest[(score.assignment_id, score.scale_id)] = (score, assignment)
    for score, assignment in latest.values():
        field_name = wanted.get((score.instrument_id, score.scale_id))
        value = getattr(score, field_name) if field_name else None
        if value is None or assignment.completed_at is None:
            continue
        out[(score.instrument_id, score.scale_id)][score.patient_id].append(
            _ScorePoint(
                assignment.id or 0, assignment.timepoint, assignment.completed_at, value, score.se
            )
        )
    return out


def _baseline_and_post(series: list[_ScorePoint]) -> tuple[_ScorePoint, _ScorePoint] | None:
    """Baseline: the first "baseline" survey, else the first; post: the last "post", else last."""
    baselines = [p for p in series if p.timepoint == "baseline"]
    base = baselines[0] if baselines else series[0]
    posts = [p for p in series if p.timepoint == "post" and p.assignment_id != base.assignment_id]
    later = [p for p in series if p.assignment_id != base.assignment_id]
    post = posts[-1] if posts else (later[-1] if later else None)
    return None if post is None else (base, post)


def _measure_result(
    measure: Measure,
    by_patient: dict[int, list[_ScorePoint]],
    members: dict[int, str],
    rules: MeasureRules,
) -> MeasureResult:
    pairs: list[Pair] = []
    for patient_id, series in sorted(by_patient.items(), key=lambda kv: members[kv[0]]):
        chosen = _baseline_and_post(series)
        if chosen is not None:
            base, post = chosen
            pairs.append(Pair(members[patient_id], base.value, post.value, base.se, post.se))
    summary = change_stats(pairs)
    extra: dict[str, Any] = {}
    if measure.change in ("promis", "promis_group") and summary.mean_change is not None:
        sign = 1 if measure.better == "higher" else -1
        extra["group_meets_mid"] = sign * summary.mean_change >= rules.group_mid_points
        extra["improved_mid"] = at_least_points(pairs, measure.better, rules.group_mid_points)
    if measure.change == "promis":
        improved, worse = reliably_changed(pairs, measure.better, rules.reliable_change_z)
        extra["reliably_improved"], extra["reliably_worse"] = improved, worse
    if measure.change == "nrs":
        extra["reductions"] = {pct: reduction_share(pairs, pct) for pct in rules.nrs_reductions}
    return MeasureResult(measure=measure, pairs=pairs, stats=summary, **extra)


def _attendance(session: Session, cohort: Cohort, participants: int, now: datetime) -> Attendance:
    sessions = session.exec(
        select(Event.id).where(
            Event.cohort_id == cohort.id,
            Event.kind == "session",
            Event.status != "cancelled",
            col(Event.starts_at) <= now,
        )
    ).all()
    marks = session.exec(select(Rsvp.attended).where(col(Rsvp.event_id).in_(sessions))).all()
    return Attendance(
        sessions_held=len(sessions),
        participants=participants,
        expected=len(sessions) * participants,
        attended=sum(1 for m in marks if m is True),
        recorded=sum(1 for m in marks if m is not None),
    )


def _completion(session: Session, patient_ids: list[int], now: datetime) -> list[Completion]:
    """Completed of assigned surveys per timepoint, overall and by language (QM-08).

    Cancelled surveys, and surveys still open and not yet due, are not counted as assigned.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a in session.exec(
        select(SurveyAssignment).where(col(SurveyAssignment.patient_id).in_(patient_ids))
    ):
        if a.state == "cancelled":
            continue
        if a.state != "completed" and _utc(a.due_at) > now:
            continue
        done = 1 if a.state == "completed" else 0
        for key in ((a.timepoint, "all"), (a.timepoint, a.language)):
            counts[key][0] += 1
            counts[key][1] += done
    order = {"baseline": 0, "post": 1}
    return [
        Completion(tp, lang, assigned, completed)
        for (tp, lang), (assigned, completed) in sorted(
            counts.items(), key=lambda kv: (order.get(kv[0][0], 2), kv[0][0], kv[0][1] != "all")
        )
    ]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
