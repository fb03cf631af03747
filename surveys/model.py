"""The in-memory shape of an instrument definition, shared by the loader, the scorer and the bot.

These types are the seam between `surveys/` and `bot/`: the loader builds them from the YAML files
in `surveys/instruments/`, the conversation engine reads them to ask questions, the scorer reads
them to score answers. They are immutable so a loaded instrument can be shared freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from surveys.rules import ScaleRule

# How a language version of an instrument may be used (see DESIGN.md §7).
#   validated:   a linguistically validated translation with a named source; used as is.
#   unvalidated: a translation that exists but is not validated; used only if the instrument's
#                `unvalidated_policy` is "mark", and then clearly marked to patient and staff.
TranslationStatus = Literal["validated", "unvalidated"]
UnvalidatedPolicy = Literal["refuse", "mark"]
ScoreStatus = Literal["complete", "incomplete"]


@dataclass(frozen=True)
class Translation:
    """Provenance of one language version of an instrument."""

    language: str  # BCP-47 primary tag: "en", "es", ...
    status: TranslationStatus
    # named source (required when validated), or who wrote it and why it is not validated
    source: str
    # Set when the text came from a clinic's licensed translation pack (surveys/packs.py), not
    # from the instrument file: the pack's file, its licence and its validation reference.
    pack: str | None = None
    licence: str | None = None
    validation: str | None = None


@dataclass(frozen=True)
class Option:
    """One response option.

    `code` is what the patient sees and types ("1 = Without any difficulty"); `value` is the scored
    value printed on the form (5 for that PROMIS option). For 0-10 scales code == value.
    """

    code: int
    value: int
    label: Mapping[str, str]  # language -> label text


@dataclass(frozen=True)
class Item:
    id: str  # data-contract item id, e.g. "PFA11", "cpaq20_01", "dvprs_pain"
    text: Mapping[str, str]  # language -> verbatim item stem
    options: tuple[Option, ...]
    context: Mapping[str, str] = field(default_factory=dict)  # language -> "In the past 7 days..."
    section: str | None = None  # domain / subscale label used for grouping (e.g. "anxiety")

    def option_by_code(self, code: int) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(o.code for o in self.options)


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    scoring_revision: str  # bumped whenever the scoring rule or a table changes
    title: Mapping[str, str]
    instructions: Mapping[str, str]
    items: tuple[Item, ...]
    translations: Mapping[str, Translation]  # language -> provenance; "en" always present
    unvalidated_policy: UnvalidatedPolicy
    copyright: str
    source_file: str  # file name the definition came from, for error messages and audit
    # The scoring rule, one entry per scale in output order (added for surveys.scoring; optional so
    # code that builds an Instrument by hand, e.g. engine tests, need not supply it).
    scales: tuple[ScaleRule, ...] = ()

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(it.id for it in self.items)

    def usable_language(self, language: str) -> Translation | None:
        """The translation to use for `language`, or None when the instrument must be refused."""
        tr = self.translations.get(language)
        if tr is None:
            return None
        if tr.status == "unvalidated" and self.unvalidated_policy == "refuse":
            return None
        return tr


@dataclass(frozen=True)
class ScaleScore:
    """One score of one scale. Fields that do not apply to the scale are None."""

    status: ScoreStatus
    raw: float | None = None  # sums; single-item scores as given (DVPRS pain, PROMIS Global07)
    t: float | None = None  # PROMIS T-score
    se: float | None = None  # PROMIS standard error of the T-score
    mean: float | None = None  # means (BRS, SCS-SF, DVPRS interference, clinic mean rules)
    band: str | None = None  # "low" / "normal" / "high", DVPRS severity band, ...
    descriptor: str | None = None  # DVPRS word descriptor (English, for staff)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict holding only the fields that apply, plus `status`."""
        out: dict[str, object] = {}
        for name in ("raw", "t", "se", "mean", "band", "descriptor"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        out["status"] = self.status
        return out


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: str
    scoring_revision: str
    scores: Mapping[str, ScaleScore]  # scale id -> score

    def as_dict(self) -> dict[str, object]:
        return {
            "instrument": self.instrument,
            "version": self.version,
            "scoring_revision": self.scoring_revision,
            "scores": {k: v.as_dict() for k, v in self.scores.items()},
        }
