"""The report's measures and their meaningful-change rules, read from measures.yaml.

Each measure says which score it is, which direction is better, its scale range, a group
threshold (published range, 0.5 SD, or none) and a patient-level rule (reliable change from the
score's SE or from published test-retest reliability, a share of pain reductions, or none).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.clinic.report.stats import Better

MEASURES_FILE = Path(__file__).with_name("measures.yaml")
THRESHOLD_KINDS = ("mid", "half_sd", "half_sd_cohort", "none")
INDIVIDUAL_KINDS = ("se", "r_tt", "nrs", "none")


@dataclass(frozen=True)
class Threshold:
    """The group's meaningful change, in the measure's own units."""

    kind: str  # mid | half_sd | half_sd_cohort | none
    low: float | None = None  # mid: the published range; half_sd: 0.5 x sd
    high: float | None = None
    sd: float | None = None  # half_sd: the published SD it comes from
    provisional: bool = False
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Individual:
    """How a patient's own change is judged beyond measurement error."""

    kind: str  # se | r_tt | nrs | none
    sd: float | None = None
    r_tt: float | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    instrument: str
    scale: str
    value: str  # t | mean | raw
    better: Better
    range: tuple[float, float]
    threshold: Threshold
    individual: Individual

    @property
    def label(self) -> str:
        return f"{self.instrument} {self.scale}"


@dataclass(frozen=True)
class MeasureRules:
    measures: tuple[Measure, ...]
    reliable_change_z: float
    nrs_reductions: tuple[float, ...]
    tolerance: float
    sources: dict[str, str]


class MeasureFileError(ValueError):
    """measures.yaml says something the report cannot use; the message says where."""


@functools.cache
def measure_rules() -> MeasureRules:
    data = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    sources = {str(k): str(v) for k, v in data["sources"].items()}
    measures = tuple(_measure(m, sources) for m in data["measures"])
    return MeasureRules(
        measures=measures,
        reliable_change_z=float(data["reliable_change_z"]),
        nrs_reductions=tuple(float(x) for x in data["nrs_reductions"]),
        tolerance=float(data["tolerance"]),
        sources=sources,
    )


def _measure(raw: dict[str, Any], sources: dict[str, str]) -> Measure:
    where = f"{MEASURES_FILE.name}: {raw.get('instrument')} {raw.get('scale')}"
    if raw.get("better") not in ("higher", "lower"):
        raise MeasureFileError(f"{where}: better must be higher or lower")
    low, high = (float(x) for x in raw["range"])
    t = dict(raw["threshold"])
    if t.get("kind") not in THRESHOLD_KINDS:
        raise MeasureFileError(f"{where}: threshold.kind must be one of {THRESHOLD_KINDS}")
    i = dict(raw["individual"])
    if i.get("kind") not in INDIVIDUAL_KINDS:
        raise MeasureFileError(f"{where}: individual.kind must be one of {INDIVIDUAL_KINDS}")
    for name in (*t.get("sources", ()), *i.get("sources", ())):
        if name not in sources:
            raise MeasureFileError(f"{where}: unknown source {name!r}")
    sd = _float(t.get("sd"))
    threshold = Threshold(
        kind=t["kind"],
        low=0.5 * sd if t["kind"] == "half_sd" and sd is not None else _float(t.get("low")),
        high=_float(t.get("high")),
        sd=sd,
        provisional=bool(t.get("provisional", t["kind"] != "mid")),
        sources=tuple(t.get("sources", ())),
    )
    if threshold.kind in ("mid", "half_sd") and threshold.low is None:
        raise MeasureFileError(f"{where}: a {threshold.kind} threshold needs its value")
    individual = Individual(
        kind=i["kind"],
        sd=_float(i.get("sd")),
        r_tt=_float(i.get("r_tt")),
        sources=tuple(i.get("sources", ())),
    )
    if individual.kind == "r_tt" and (individual.sd is None or individual.r_tt is None):
        raise MeasureFileError(f"{where}: individual r_tt needs sd and r_tt")
    return Measure(
        instrument=str(raw["instrument"]),
        scale=str(raw["scale"]),
        value=str(raw["value"]),
        better=raw["better"],
        range=(low, high),
        threshold=threshold,
        individual=individual,
    )


def _float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MeasureFileError(f"{MEASURES_FILE.name}: {value!r} is not a number")
    return float(value)
