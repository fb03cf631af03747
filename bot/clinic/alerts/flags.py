"""Clinical flags: a DVPRS in the severe band, or 3+ points above the patient's baseline.

Called in the transaction that stores the scores (the pipeline, with what `store.apply_events`
reports as completed, and the paper-form import), so a flag is raised exactly once per survey.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.db.models import Alert, Score, SurveyAssignment
from bot.db.store import ScoredSurvey
from surveys.model import ScaleScore

RULES_FILE = Path(__file__).with_name("flags.yaml")


@dataclass(frozen=True)
class DvprsRule:
    instrument: str
    scale: str
    severe_band: str
    rise_above_baseline: float


@functools.cache
def dvprs_rule() -> DvprsRule:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["dvprs"]
    return DvprsRule(
        instrument=str(data["instrument"]),
        scale=str(data["scale"]),
        severe_band=str(data["severe_band"]),
        rise_above_baseline=float(data["rise_above_baseline"]),
    )


def flag_completed(session: Session, surveys: Iterable[ScoredSurvey], now: datetime) -> None:
    """The clinic's rules over surveys the store has just completed (one alert at most each)."""
    for survey in surveys:
        flag_scores(
            session,
            patient_id=survey.patient_id,
            assignment_id=survey.assignment_id,
            instrument_id=survey.result.instrument,
            completed_at=survey.completed_at,
            scores=survey.result.scores,
            now=now,
            previous=survey.previous,
        )


def flag_scores(
    session: Session,
    *,
    patient_id: int,
    assignment_id: int,
    instrument_id: str,
    completed_at: datetime,
    scores: Mapping[str, ScaleScore],
    now: datetime,
    previous: Mapping[str, ScaleScore] | None = None,
) -> Alert | None:
    """Raise one clinical alert when any rule holds for the scores of a just-completed survey.

    A survey completed again (skipped items answered, an undone answer) raises one only for a
    reason its previous scores did not already raise: one alert per survey and reason.
    """
    rule = dvprs_rule()
    if instrument_id != rule.instrument:
        return None
    reasons = _reasons(session, rule, patient_id, assignment_id, completed_at, scores)
    if previous is not None:
        before = _reasons(session, rule, patient_id, assignment_id, completed_at, previous)
        if set(reasons) <= set(before):
            return None
    if not reasons:
        return None
    alert = Alert(patient_id=patient_id, kind="clinical", rule_id=",".join(reasons), created_at=now)
    session.add(alert)
    return alert


def _reasons(
    session: Session,
    rule: DvprsRule,
    patient_id: int,
    assignment_id: int,
    completed_at: datetime,
    scores: Mapping[str, ScaleScore],
) -> list[str]:
    current = scores.get(rule.scale)
    if current is None or current.status != "complete" or current.raw is None:
        return []
    reasons: list[str] = []
    if current.band == rule.severe_band:
        reasons.append("dvprs_severe")
    baseline = _baseline_pain(session, patient_id, assignment_id, completed_at, rule)
    if baseline is not None and current.raw - baseline >= rule.rise_above_baseline:
        reasons.append("dvprs_rise")
    return reasons


def _baseline_pain(
    session: Session, patient_id: int, assignment_id: int, completed_at: datetime, rule: DvprsRule
) -> float | None:
    """The pain score of the patient's first completed DVPRS before this one."""
    session.flush()  # this survey's scores, and any other pending, are what the query sees
    row = (
        session.connection()
        .execute(
            _BASELINE,
            {
                "patient_id": patient_id,
                "instrument": rule.instrument,
                "scale": rule.scale,
                "assignment_id": assignment_id,
                "completed_at": completed_at,
            },
        )
        .first()
    )
    return None if row is None or row[0] is None else float(row[0])


# Built once, with its values bound at each call: this runs for every completed DVPRS, and
# building the statement and passing it through the ORM cost more than the query (issue 16).
_BASELINE = (
    select(Score.raw)
    .join(SurveyAssignment, col(SurveyAssignment.id) == col(Score.assignment_id))
    .where(
        col(Score.patient_id) == bindparam("patient_id"),
        col(Score.instrument_id) == bindparam("instrument"),
        col(Score.scale_id) == bindparam("scale"),
        col(Score.status) == "complete",
        col(Score.assignment_id) != bindparam("assignment_id"),
        col(SurveyAssignment.completed_at) <= bindparam("completed_at"),
    )
    .order_by(col(SurveyAssignment.completed_at), col(Score.id))
    .limit(1)
)
