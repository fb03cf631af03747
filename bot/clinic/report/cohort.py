"""Gather one cohort's pairs, attendance and survey completion into a CohortReport.

Pairs come from the plan, never from fallbacks: a patient's baseline and post are the planned
baseline and post assignments of their enrolment in this cohort (a paper form that fulfilled them
counts). Visit DVPRS pairs are the first and last completed visit survey of this cohort's
sessions. A patient without both is listed as unpaired with the reason. A second enrolment (in
another cohort) is only ever read through that cohort's plan, so cohorts never mix.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clinic.report.measures import Measure, MeasureRules, measure_rules
from bot.clinic.report.skips import CompletedSurvey, SkipLoss, skip_losses
from bot.clinic.report.stats import (
    ChangeStats,
    Pair,
    Share,
    at_least_points,
    baseline_sd,
    beyond,
    change_stats,
    improvement,
    jacobson_truax_threshold,
    reaches,
    reduction_share,
    reliably_changed,
)
from bot.db.models import Cohort, Enrolment, Event, Patient, Rsvp, Score, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry

__all__ = ["build_report", "measure_result_from_pairs", "measure_rules", "CohortNotFound"]

BATTERY_TIMEPOINTS = ("baseline", "post")
VISIT_ANCHOR = "each_session"
OPEN_STATES = ("pending", "in_progress", "paused")


class CohortNotFound(LookupError):
    """No cohort has that name."""


@dataclass(frozen=True)
class Unpaired:
    study_id: str
    instrument: str
    reason: str


@dataclass(frozen=True)
class MeasureResult:
    measure: Measure
    pairs: list[Pair]
    stats: ChangeStats
    unpaired: list[Unpaired] = field(default_factory=list)
    threshold: float | None = None  # the group threshold used, in the measure's units
    threshold_note: str | None = None  # why a cohort-based threshold could not be computed
    group_meets_mid: bool | None = None  # mean improvement reaches the threshold
    improved_mid: Share | None = None  # patients whose own improvement reaches it
    reliable_threshold: float | None = None  # r_tt rule: change beyond measurement error
    reliably_improved: Share | None = None
    reliably_worse: Share | None = None
    reductions: dict[float, Share] = field(default_factory=dict)  # nrs: percent -> share

    @property
    def direction(self) -> str | None:
        """Whether the mean change is an improvement for this measure."""
        if self.stats.mean_change is None:
            return None
        change = improvement(self.stats.mean_change, self.measure.better)
        tolerance = measure_rules().tolerance
        if abs(change) <= tolerance:
            return "no change"
        return "improvement" if change > 0 else "worsening"


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
    recorded: int  # places with attendance marked (yes or no)

    @property
    def not_recorded(self) -> int:
        return self.expected - self.recorded

    @property
    def percent(self) -> float | None:
        """Attended of the places whose attendance was recorded."""
        return None if self.recorded == 0 else 100.0 * self.attended / self.recorded


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    generated_at: datetime
    participants: list[str]
    measures: list[MeasureResult]
    unpaired: list[Unpaired]  # per patient and instrument, with the reason
    attendance: Attendance
    completion: list[Completion]
    flags: list[str]  # late baselines, retrospective enrolments
    # study id -> [(weeks since the first session, DVPRS pain)] for the trajectory plot
    dvprs_weeks: dict[str, list[tuple[float, float]]]
    # per instrument and timepoint: domains with no score because an item was skipped
    skip_losses: list[SkipLoss] = field(default_factory=list)


@dataclass(frozen=True)
class _Planned:
    assignment: SurveyAssignment
    entry: SurveyPlanEntry
    starts_at: datetime | None  # the session, for visit surveys


def build_report(db: Engine, cohort_name: str, *, now: datetime) -> CohortReport:
    rules = measure_rules()
    with Session(db) as session:
        cohort = session.exec(select(Cohort).where(Cohort.name == cohort_name)).first()
        if cohort is None:
            names = ", ".join(session.exec(select(Cohort.name).order_by(col(Cohort.name))))
            raise CohortNotFound(f"no cohort {cohort_name!r} (cohorts: {names or 'none'})")
        cohort_id = _id(cohort.id)
        enrolments = list(
            session.exec(
                select(Enrolment, Patient)
                .join(Patient, col(Patient.id) == Enrolment.patient_id)
                .where(Enrolment.cohort_id == cohort_id)
                .order_by(col(Patient.study_id))
            ).all()
        )
        members = {_id(p.id): p.study_id for _, p in enrolments}
        planned = _planned(session, cohort_id, list(members))
        scores = _scores(session, [_id(p.assignment.id) for p in planned if _done(p)])
        sessions = _sessions(session, cohort_id)
        results: list[MeasureResult] = []
        unpaired: list[Unpaired] = []
        battery = {p.entry.instrument_id for p in planned if p.entry.timepoint == "baseline"}
        for instrument in sorted(battery):
            unpaired += _battery_unpaired(planned, members, instrument, now)
        visits = _visits(planned, members)
        unpaired += [
            Unpaired(members[pid], "dvprs", f"fewer than two visit DVPRS ({len(v)})")
            for pid, v in sorted(visits.items(), key=lambda kv: members[kv[0]])
            if len(v) < 2
        ]
        for measure in rules.measures:
            if measure.instrument == "dvprs":
                pairs, missing = _visit_pairs(measure, visits, scores, members)
            else:
                pairs, missing = _battery_pairs(measure, planned, scores, members, now)
            result = measure_result_from_pairs(measure, pairs, rules, unpaired=missing)
            if result.stats.n > 0:
                results.append(result)
        attendance = _attendance(session, sessions, list(members), now)
        completion = _completion(planned, now)
        flags = _flags(enrolments, sessions)
        losses = skip_losses(
            session,
            [
                CompletedSurvey(
                    _id(p.assignment.id),
                    p.assignment.instrument_id,
                    p.assignment.instrument_version,
                    p.entry.timepoint,
                )
                for p in planned
                if _done(p)
            ],
            scores,
        )
    first = sessions[0].starts_at if sessions else _start_of(cohort)
    dvprs: dict[str, list[tuple[float, float]]] = {}
    for pid, points in visits.items():
        series = [
            ((_utc(p.starts_at or first) - _utc(first)).total_seconds() / (7 * 86400), value)
            for p in points
            if (value := _value(scores, p, "pain_intensity", "raw")) is not None
        ]
        if series:
            dvprs[members[pid]] = series
    return CohortReport(
        cohort=cohort,
        generated_at=now,
        participants=list(members.values()),
        measures=results,
        unpaired=unpaired,
        attendance=attendance,
        completion=completion,
        flags=flags,
        dvprs_weeks=dvprs,
        skip_losses=losses,
    )


def measure_result_from_pairs(
    measure: Measure,
    pairs: list[Pair],
    rules: MeasureRules,
    *,
    unpaired: list[Unpaired] | None = None,
) -> MeasureResult:
    """Statistics, the group threshold verdict and the patient-level shares for one measure."""
    summary = change_stats(pairs)
    extra: dict[str, Any] = {}
    t = measure.threshold
    threshold = t.low
    if t.kind == "half_sd_cohort":
        sd = baseline_sd(pairs)
        threshold = None if sd is None or sd == 0 else 0.5 * sd
        if threshold is None:
            extra["threshold_note"] = (
                "fewer than two pairs" if sd is None else "baselines all equal"
            )
    if threshold is not None and summary.mean_change is not None:
        gain = improvement(summary.mean_change, measure.better)
        extra["threshold"] = threshold
        extra["group_meets_mid"] = reaches(gain, threshold, rules.tolerance)
        extra["improved_mid"] = at_least_points(pairs, measure.better, threshold, rules.tolerance)
    i = measure.individual
    if i.kind == "se":
        improved, worse = reliably_changed(pairs, measure.better, rules.reliable_change_z)
        extra["reliably_improved"], extra["reliably_worse"] = improved, worse
    elif i.kind == "r_tt" and i.sd is not None and i.r_tt is not None:
        limit = jacobson_truax_threshold(i.sd, i.r_tt, rules.reliable_change_z)
        improved, worse = beyond(pairs, measure.better, limit, rules.tolerance)
        extra["reliable_threshold"] = limit
        extra["reliably_improved"], extra["reliably_worse"] = improved, worse
    elif i.kind == "nrs":
        extra["reductions"] = {pct: reduction_share(pairs, pct) for pct in rules.nrs_reductions}
    return MeasureResult(
        measure=measure, pairs=pairs, stats=summary, unpaired=list(unpaired or []), **extra
    )


# ---- reading the plan -------------------------------------------------------------------------


def _planned(session: Session, cohort_id: int, patient_ids: list[int]) -> list[_Planned]:
    """Every planned assignment of this cohort's enrolments (battery, visits, follow-ups)."""
    rows = session.exec(
        select(SurveyAssignment, SurveyPlanEntry, Event.starts_at)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .outerjoin(Event, col(Event.id) == col(SurveyAssignment.event_id))
        .where(
            SurveyPlanEntry.cohort_id == cohort_id,
            col(SurveyAssignment.patient_id).in_(patient_ids),
        )
        .order_by(col(SurveyAssignment.id))
    ).all()
    return [_Planned(a, e, starts) for a, e, starts in rows]


def _done(p: _Planned) -> bool:
    return p.assignment.state == "completed"


def _scores(session: Session, assignment_ids: list[int]) -> dict[tuple[int, str], Score]:
    """The newest scoring revision of each scale of each assignment."""
    out: dict[tuple[int, str], Score] = {}
    if not assignment_ids:
        return out
    for row in session.exec(
        select(Score).where(col(Score.assignment_id).in_(assignment_ids)).order_by(col(Score.id))
    ):
        out[(row.assignment_id, row.scale_id)] = row
    return out


def _value(
    scores: dict[tuple[int, str], Score], p: _Planned, scale: str, field_name: str
) -> float | None:
    row = scores.get((_id(p.assignment.id), scale))
    if row is None or row.status != "complete":
        return None
    value = getattr(row, field_name)
    return None if value is None else float(value)


def _battery_of(planned: list[_Planned], instrument: str) -> dict[tuple[int, str], _Planned]:
    out: dict[tuple[int, str], _Planned] = {}
    for p in planned:
        if p.entry.instrument_id == instrument and p.entry.timepoint in BATTERY_TIMEPOINTS:
            key = (p.assignment.patient_id, p.entry.timepoint)
            if key not in out or out[key].assignment.state == "cancelled":
                out[key] = p
    return out


def _why_not(p: _Planned | None, role: str, now: datetime) -> str | None:
    """Why this planned survey gives no score (None when it is completed)."""
    if p is None:
        return f"no {role} planned"
    a = p.assignment
    if a.state == "completed":
        return None
    if a.state in OPEN_STATES:
        return f"no {role} yet" if _utc(a.expires_at) > now else f"{role} missed"
    return {
        "partial": f"{role} incomplete (partial form)",
        "missed": f"{role} missed",
        "cancelled": f"{role} cancelled",
        "refused": f"{role} refused (no usable language)",
    }.get(a.state, f"{role} {a.state}")


def _battery_unpaired(
    planned: list[_Planned], members: dict[int, str], instrument: str, now: datetime
) -> list[Unpaired]:
    battery = _battery_of(planned, instrument)
    out = []
    for pid, study_id in members.items():
        reason = _why_not(battery.get((pid, "baseline")), "baseline", now) or _why_not(
            battery.get((pid, "post")), "post", now
        )
        if reason:
            out.append(Unpaired(study_id, instrument, reason))
    return out


def _battery_pairs(
    measure: Measure,
    planned: list[_Planned],
    scores: dict[tuple[int, str], Score],
    members: dict[int, str],
    now: datetime,
) -> tuple[list[Pair], list[Unpaired]]:
    battery = _battery_of(planned, measure.instrument)
    pairs: list[Pair] = []
    missing: list[Unpaired] = []
    for pid, study_id in members.items():
        base, post = battery.get((pid, "baseline")), battery.get((pid, "post"))
        reason = _why_not(base, "baseline", now) or _why_not(post, "post", now)
        if reason is None and base is not None and post is not None:
            b = _value(scores, base, measure.scale, measure.value)
            a = _value(scores, post, measure.scale, measure.value)
            if b is None or a is None:
                reason = f"{'baseline' if b is None else 'post'} {measure.scale} not scored"
            else:
                pairs.append(
                    Pair(
                        study_id,
                        b,
                        a,
                        _value(scores, base, measure.scale, "se"),
                        _value(scores, post, measure.scale, "se"),
                    )
                )
                continue
        missing.append(Unpaired(study_id, measure.instrument, reason or "not paired"))
    return pairs, missing


def _visits(planned: list[_Planned], members: dict[int, str]) -> dict[int, list[_Planned]]:
    """Completed visit DVPRS of this cohort's sessions per patient, in session order."""
    out: dict[int, list[_Planned]] = {pid: [] for pid in members}
    for p in planned:
        if p.entry.anchor == VISIT_ANCHOR and _done(p):
            out[p.assignment.patient_id].append(p)
    for points in out.values():
        points.sort(key=lambda p: _utc(p.starts_at or p.assignment.opens_at))
    return out


def _visit_pairs(
    measure: Measure,
    visits: dict[int, list[_Planned]],
    scores: dict[tuple[int, str], Score],
    members: dict[int, str],
) -> tuple[list[Pair], list[Unpaired]]:
    pairs: list[Pair] = []
    missing: list[Unpaired] = []
    for pid, points in sorted(visits.items(), key=lambda kv: members[kv[0]]):
        values = [
            v for p in points if (v := _value(scores, p, measure.scale, measure.value)) is not None
        ]
        if len(values) < 2:
            missing.append(
                Unpaired(members[pid], "dvprs", f"fewer than two visit DVPRS ({len(values)})")
            )
            continue
        pairs.append(Pair(members[pid], values[0], values[-1]))
    return pairs, missing


# ---- attendance, completion, flags --------------------------------------------------------------


def _sessions(session: Session, cohort_id: int) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .where(
                Event.cohort_id == cohort_id,
                Event.kind == "session",
                Event.status != "cancelled",
            )
            .order_by(col(Event.starts_at))
        ).all()
    )


def _attendance(
    session: Session, sessions: list[Event], patient_ids: list[int], now: datetime
) -> Attendance:
    held = [_id(e.id) for e in sessions if _utc(e.starts_at) <= now]
    marks = session.exec(
        select(Rsvp.attended).where(
            col(Rsvp.event_id).in_(held), col(Rsvp.patient_id).in_(patient_ids)
        )
    ).all()
    return Attendance(
        sessions_held=len(held),
        participants=len(patient_ids),
        expected=len(held) * len(patient_ids),
        attended=sum(1 for m in marks if m is True),
        recorded=sum(1 for m in marks if m is not None),
    )


def _completion(planned: list[_Planned], now: datetime) -> list[Completion]:
    """Completed of planned surveys per timepoint, overall and by language (QM-08).

    Only this cohort's plan counts. Cancelled surveys, and surveys still open and not yet due,
    are not counted as assigned; a partial form is assigned but not completed.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in planned:
        a = p.assignment
        if a.state == "cancelled":
            continue
        if a.state != "completed" and _utc(a.due_at) > now:
            continue
        done = 1 if a.state == "completed" else 0
        for key in ((a.timepoint, "all"), (a.timepoint, a.language)):
            counts[key][0] += 1
            counts[key][1] += done
    order = {"baseline": 0, "post": 1, "visit": 2}
    return [
        Completion(tp, lang, assigned, completed)
        for (tp, lang), (assigned, completed) in sorted(
            counts.items(), key=lambda kv: (order.get(kv[0][0], 3), kv[0][0], kv[0][1] != "all")
        )
    ]


def _flags(enrolments: list[tuple[Enrolment, Patient]], sessions: list[Event]) -> list[str]:
    if not sessions:
        return []
    first, end = _utc(sessions[0].starts_at), _utc(sessions[-1].ends_at or sessions[-1].starts_at)
    flags = []
    for enrolment, patient in enrolments:
        enrolled = _utc(enrolment.enrolled_at)
        if enrolled >= end:
            flags.append(f"{patient.study_id}: enrolled retrospectively, after the cohort ended")
        elif enrolled > first:
            flags.append(f"{patient.study_id}: enrolled after the first session (late baseline)")
    return flags


def _start_of(cohort: Cohort) -> datetime:
    return datetime.combine(cohort.start_date, datetime.min.time(), tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id")
    return value
