"""The conversation state the engine reads and returns; stored as JSON per patient.

Plain data only, so a survey resumes after days or a server restart exactly where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

PatientMode = Literal["active", "paused", "stopped", "crisis_hold"]
STATE_FORMAT = 1


@dataclass
class Answer:
    code: int | None  # None when skipped
    value: int | None
    status: Literal["answered", "skipped"]


@dataclass
class SurveyProgress:
    assignment_id: int
    instrument_id: str
    version: str
    language: str
    position: int = 0  # index of the item being asked
    answers: dict[str, Answer] = field(default_factory=dict)
    bad_replies: int = 0  # consecutive replies to the current item that did not parse
    # The item answered by the previous message when its answer was read back ("Recorded: 6 -
    # Hard to ignore"): NO or BACK in this step undoes it.
    readback: str | None = None
    # Skipped items the patient chose to answer after the end, in order (the current one too).
    recovering: list[str] = field(default_factory=list)
    offered_skipped: bool = False  # the skipped items were offered once already
    # A battery answered in sittings (issue 14): this part's items (None = every item), the
    # battery it belongs to, its sitting "k of n", and whether it is the sitting's last part.
    item_ids: list[str] | None = None
    battery: int | None = None
    sitting: int = 0
    sittings: int = 0
    ends_sitting: bool = False


@dataclass
class PendingSurvey:
    assignment_id: int
    instrument_id: str
    version: str
    # One part of an instrument cut between sittings: its items, and the answers its earlier
    # parts gave (scored together when the last part ends). See SurveyProgress.
    item_ids: list[str] | None = None
    prior: dict[str, Answer] = field(default_factory=dict)
    battery: int | None = None
    sitting: int = 0
    sittings: int = 0
    ends_sitting: bool = False


@dataclass
class ConversationState:
    locale: str = "en"
    mode: PatientMode = "active"
    survey: SurveyProgress | None = None
    queue: list[PendingSurvey] = field(default_factory=list)  # surveys waiting their turn
    awaiting_language: bool = False
    # Crisis language was seen and staff have not cleared it yet. Kept apart from `mode` so an
    # opt-out followed by START cannot resume the survey behind the clinician's back.
    crisis_hold: bool = False
    # The survey the previous message completed, kept for one more message: NO/BACK may undo an
    # answer read back at its end, and an offer to answer its skipped items waits for YES/NO.
    closed: SurveyProgress | None = None
    # A battery between two sittings: its queued parts wait for the host (the next sitting's
    # time) or the patient (NEXT, RESUME); other surveys may go ahead of them.
    held_battery: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON-ready data: what `dataclasses.asdict` gives, made without
        its deep copies (it runs for every message; asdict was a tenth of an answer's time)."""
        data: dict[str, Any] = _plain(self)
        data["format"] = STATE_FORMAT
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ConversationState:
        if not data:
            return cls()
        return cls(
            locale=data.get("locale", "en"),
            mode=data.get("mode", "active"),
            survey=_progress(data.get("survey")),
            queue=[_pending(p) for p in data.get("queue", [])],
            awaiting_language=bool(data.get("awaiting_language", False)),
            crisis_hold=bool(data.get("crisis_hold", False)),
            closed=_progress(data.get("closed")),
            held_battery=data.get("held_battery"),
        )


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` for this module's types: dataclasses, lists, dicts, scalars."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _progress(data: dict[str, Any] | None) -> SurveyProgress | None:
    if not data:
        return None
    answers = {k: Answer(**v) for k, v in data.get("answers", {}).items()}
    return SurveyProgress(**{**data, "answers": answers})


def _pending(data: dict[str, Any]) -> PendingSurvey:
    prior = {k: Answer(**v) for k, v in data.get("prior", {}).items()}
    return PendingSurvey(**{**data, "prior": prior})
