"""What the engine reports happened; the store turns each into rows in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SurveyStarted:
    assignment_id: int
    language: str
    translation_status: str


@dataclass(frozen=True)
class SurveyRefused:
    """No usable translation of the instrument in the patient's language (staff are told)."""

    assignment_id: int
    language: str


@dataclass(frozen=True)
class AnswerRecorded:
    assignment_id: int
    instrument_id: str
    item_id: str
    option_code: int | None
    value: int | None
    status: Literal["answered", "skipped"]
    raw_text: str
    language: str
    parser_version: str


@dataclass(frozen=True)
class AnswerWithdrawn:
    """The patient said a read-back answer was wrong (NO or BACK right after it): the stored
    answer no longer counts (it is kept as history) and the item is asked again."""

    assignment_id: int
    item_id: str


@dataclass(frozen=True)
class SurveyPaused:
    assignment_id: int


@dataclass(frozen=True)
class SurveyResumed:
    assignment_id: int


@dataclass(frozen=True)
class SurveyCompleted:
    assignment_id: int
    instrument_id: str
    version: str
    answers: Mapping[str, int | None]  # item id -> scored value, None when skipped
    # False while the patient may still change it (skipped items offered, an undone answer): a
    # survey completes again after that, and its scores are replaced. Trend messages wait.
    final: bool = True


@dataclass(frozen=True)
class LocaleChanged:
    locale: str


@dataclass(frozen=True)
class OptedOut:
    pass


@dataclass(frozen=True)
class OptedIn:
    pass


@dataclass(frozen=True)
class CrisisDetected:
    tier: int
    rule_id: str | None
    rules_version: str


@dataclass(frozen=True)
class CallRequested:
    pass


@dataclass(frozen=True)
class SittingEnded:
    """The last part of one sitting of a battery is answered and more sittings follow: the host
    says when the next one comes (bot/schedule/sittings.py) and holds it until then or NEXT."""

    battery: int
    sitting: int
    sittings: int


@dataclass(frozen=True)
class MediaReceived:
    """The patient sent a voice note, photo, sticker or file during an open survey: staff see a
    note (its kind only; the file itself is never fetched or stored)."""

    kind: str


@dataclass(frozen=True)
class ReviewNeeded:
    """Staff must read this message: triage could not (a script no rules file covers)."""

    why: str


Event = (
    SurveyStarted
    | SurveyRefused
    | AnswerRecorded
    | AnswerWithdrawn
    | SurveyPaused
    | SurveyResumed
    | SurveyCompleted
    | LocaleChanged
    | OptedOut
    | OptedIn
    | CrisisDetected
    | CallRequested
    | SittingEnded
    | ReviewNeeded
    | MediaReceived
)
