"""Domains lost to skipped items (issue 13): how many scales of the completed surveys have no
score because the patient skipped one of their items (PROMIS short forms are not prorated)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.db.models import ItemResponse, Score
from surveys.loader import load_instrument


@dataclass(frozen=True)
class SkipLoss:
    instrument: str
    timepoint: str
    surveys: int  # completed surveys
    with_skips: int  # of those, surveys with a skipped item still skipped at the end
    domains_lost: int  # scales incomplete because one of their items was skipped


@dataclass(frozen=True)
class CompletedSurvey:
    assignment_id: int
    instrument_id: str
    version: str
    timepoint: str


def skip_losses(
    session: Session,
    surveys: Iterable[CompletedSurvey],
    scores: Mapping[tuple[int, str], Score],
) -> list[SkipLoss]:
    """One row per instrument and timepoint that has completed surveys, in that order."""
    surveys = list(surveys)
    skipped = _skipped_items(session, [s.assignment_id for s in surveys])
    totals: dict[tuple[str, str], list[int]] = {}
    for survey in surveys:
        row = totals.setdefault((survey.instrument_id, survey.timepoint), [0, 0, 0])
        row[0] += 1
        items = skipped.get(survey.assignment_id, set())
        if not items:
            continue
        row[1] += 1
        instrument = load_instrument(survey.instrument_id, survey.version)
        for scale in instrument.scales:
            score = scores.get((survey.assignment_id, scale.id))
            if scale.items and score is not None and score.status != "complete":
                row[2] += bool(items & set(scale.items))
    return [SkipLoss(i, t, *row) for (i, t), row in sorted(totals.items())]


def _skipped_items(session: Session, assignment_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if not assignment_ids:
        return out
    for assignment_id, item_id in session.exec(
        select(ItemResponse.assignment_id, ItemResponse.item_id).where(
            col(ItemResponse.assignment_id).in_(assignment_ids),
            col(ItemResponse.status) == "skipped",
            col(ItemResponse.superseded_at).is_(None),
        )
    ):
        out.setdefault(assignment_id, set()).add(item_id)
    return out
