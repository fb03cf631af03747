"""Exact scoring of answers against an instrument's scoring rule.

Answers are scored values as printed on the form (not the code a patient types); None or absent
means skipped. Nothing is ever prorated or imputed: a scale that lacks what its rule requires is
`incomplete` and carries no number. PROMIS 4-item short forms in particular are not scored with any
item missing (HealthMeasures scoring guidance; safety-ux.md UX-07).

Rounding: PROMIS T and SE are the table values as printed; summary scores are rounded half up to
the rule's `decimals`; means are stored unrounded (rounding is presentation) and bands are applied
to the unrounded mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from surveys.errors import AnswerError, InstrumentError
from surveys.model import Instrument, ScaleScore, ScoreResult
from surveys.rules import Band, RuleName, ScaleRule

Answers = Mapping[str, int | None]
INCOMPLETE = ScaleScore(status="incomplete")


def validate_answers(instrument: Instrument, answers: Answers) -> None:
    """Raise AnswerError for an unknown item or a value that is not one of the item's values."""
    for item_id, value in answers.items():
        try:
            item = instrument.item(item_id)
        except KeyError:
            raise AnswerError(f"{instrument.id}: unknown item {item_id!r}") from None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"{item_id}: {value!r} is not a whole number")
        values = sorted(o.value for o in item.options)
        if value not in values:
            raise AnswerError(
                f"{item_id}: {value} is not one of its scored values "
                f"({', '.join(map(str, values))})"
            )


def score(instrument: Instrument, answers: Answers) -> ScoreResult:
    """Score every scale of `instrument`, in the order the file lists them."""
    if not instrument.scales:
        raise InstrumentError(
            f"{instrument.source_file}: instrument {instrument.id} has no scoring rule"
        )
    validate_answers(instrument, answers)
    results: dict[str, ScaleScore] = {}
    for scale in instrument.scales:
        results[scale.id] = _SCORERS[scale.rule](scale, answers, results)
    return ScoreResult(
        instrument=instrument.id,
        version=instrument.version,
        scoring_revision=instrument.scoring_revision,
        scores=results,
    )


def _scored(scale: ScaleRule, answers: Answers) -> list[int]:
    return [scale.scored_value(i, v) for i in scale.items if (v := answers.get(i)) is not None]


def _band(bands: tuple[Band, ...], value: float) -> str | None:
    return next((b.name for b in bands if b.holds(value)), None)


def _sum(scale: ScaleRule, answers: Answers, _: Mapping[str, ScaleScore]) -> ScaleScore:
    scored = _scored(scale, answers)
    if len(scored) < len(scale.items):
        return INCOMPLETE
    raw = sum(scored)
    return ScaleScore(status="complete", raw=raw, band=_band(scale.bands, raw))


def _mean(scale: ScaleRule, answers: Answers, _: Mapping[str, ScaleScore]) -> ScaleScore:
    scored = _scored(scale, answers)
    needed = scale.min_answered if scale.min_answered is not None else len(scale.items)
    if len(scored) < needed:
        return INCOMPLETE
    mean = sum(scored) / len(scored)
    return ScaleScore(status="complete", mean=mean, band=_band(scale.bands, mean))


def _promis_table(scale: ScaleRule, answers: Answers, _: Mapping[str, ScaleScore]) -> ScaleScore:
    scored = _scored(scale, answers)
    if len(scored) < len(scale.items):
        return INCOMPLETE  # no prorating of 4-item short forms
    raw = sum(scored)
    row = scale.table[raw]
    return ScaleScore(status="complete", raw=raw, t=row.t, se=row.se)


def _single_item(scale: ScaleRule, answers: Answers, _: Mapping[str, ScaleScore]) -> ScaleScore:
    value = answers.get(scale.items[0])
    if value is None:
        return INCOMPLETE
    return ScaleScore(
        status="complete",
        raw=value,
        band=_band(scale.bands, value),
        descriptor=scale.descriptors.get(value),
    )


def _promis_summary(scale: ScaleRule, _: Answers, done: Mapping[str, ScaleScore]) -> ScaleScore:
    z: dict[str, float] = {}
    for input_id, norm in scale.z.items():
        source = done.get(input_id)
        value = getattr(source, norm.score_field) if source is not None else None
        if source is None or source.status != "complete" or value is None:
            return INCOMPLETE  # a summary needs every domain and the pain item
        z[input_id] = (float(value) - norm.mean) / norm.sd
    total = sum(c.weight * sum(z[s] for s in c.scales) / len(c.scales) for c in scale.components)
    return ScaleScore(status="complete", t=round_half_up(50 + 10 * total, scale.decimals or 0))


def round_half_up(value: float, decimals: int) -> float:
    """Round as a clinician would by hand (58.65 -> 58.7), not banker's rounding."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


_SCORERS: dict[RuleName, Callable[[ScaleRule, Answers, Mapping[str, ScaleScore]], ScaleScore]] = {
    "sum": _sum,
    "mean": _mean,
    "promis_table": _promis_table,
    "single_item": _single_item,
    "promis_summary": _promis_summary,
}
