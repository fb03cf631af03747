"""Scoring rules as data: what the `scoring:` block of an instrument file becomes once loaded.

The loader builds these from YAML and checks them against the items; the scorer interprets them.
Rule names are a closed set so a clinic file cannot ask for behaviour that has no tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

RuleName = Literal["sum", "mean", "promis_table", "single_item", "promis_summary"]
RULE_NAMES: tuple[RuleName, ...] = ("sum", "mean", "promis_table", "single_item", "promis_summary")

# Which ScaleScore field a band or a z-score reads, per rule.
ScoreField = Literal["raw", "t", "mean"]


@dataclass(frozen=True)
class Band:
    """A named band: the first band whose bound holds wins; one with no bound takes the rest."""

    name: str
    below: float | None = None  # holds when score < below
    at_most: float | None = None  # holds when score <= at_most

    def holds(self, score: float) -> bool:
        if self.below is not None:
            return score < self.below
        if self.at_most is not None:
            return score <= self.at_most
        return True


@dataclass(frozen=True)
class TableRow:
    t: float
    se: float


@dataclass(frozen=True)
class ZNorm:
    """How a scale's score becomes a z-score for a summary: z = (score - mean) / sd."""

    score_field: ScoreField
    mean: float
    sd: float


@dataclass(frozen=True)
class SummaryComponent:
    """One weighted term of a summary score: weight * mean of the z-scores of `scales`."""

    weight: float
    scales: tuple[str, ...]


@dataclass(frozen=True)
class ScaleRule:
    id: str
    rule: RuleName
    items: tuple[str, ...] = ()
    reverse: tuple[str, ...] = ()  # items scored as reverse_from - value
    reverse_from: int | None = None
    min_answered: int | None = None  # mean rule only; None means every item is required
    bands: tuple[Band, ...] = ()
    table: Mapping[int, TableRow] = field(default_factory=dict)  # promis_table: raw sum -> T, SE
    descriptors: Mapping[int, str] = field(default_factory=dict)  # single_item: value -> words
    components: tuple[SummaryComponent, ...] = ()  # promis_summary
    z: Mapping[str, ZNorm] = field(default_factory=dict)  # promis_summary: input scale -> norm
    decimals: int | None = None  # promis_summary: rounding of the summary T (half up)
    # sum/mean: the scale deliberately scores its items as answered although another scale
    # reverses them (SCS-SF negative subscales); exempts it from the same-keying check.
    as_answered: bool = False

    def scored_value(self, item_id: str, value: int) -> int:
        if item_id in self.reverse and self.reverse_from is not None:
            return self.reverse_from - value
        return value
