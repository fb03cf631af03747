"""Staff set a patient's language: the staff console's form, with the same rule as
`pathbot patient add --draft-language` (issue 19): a `draft` language (wording written by the
project, crisis and help texts not checked by a native speaker) is stored only when staff confirm
that choice explicitly.

The patient's row and the conversation state change together, the state row-locked as the
pipeline locks it, so a message being answered at the same moment cannot write the old language
back. A survey under way keeps the language it started in (as when the instrument has no text in
the new language after the patient's own LANGUAGE keyword); the next question frame, reminders
and surveys use the new one. The caller audits the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.conversation import language_status
from bot.conversation.language_status import LanguageInfo
from bot.db import store
from bot.db.models import Conversation, Patient


class LanguageRefused(ValueError):
    """Nothing changed; the message says why, for staff."""


class DraftNotConfirmed(LanguageRefused):
    pass


@dataclass(frozen=True)
class LanguageChange:
    before: str
    after: LanguageInfo
    confirmed_draft: bool


def check_choice(code: str, *, confirmed: bool) -> LanguageInfo:
    """The language for `code`, or LanguageRefused (unknown; draft and not confirmed)."""
    try:
        info = language_status.language(code)
    except KeyError:
        raise LanguageRefused("Choose one of the languages listed.") from None
    if info.needs_explicit_choice and not confirmed:
        raise DraftNotConfirmed(
            f"{info.english} ({info.name}) is a draft: its crisis and help texts have not been "
            "checked by a native speaker. Tick the box to confirm this choice, or choose another "
            "language."
        )
    return info


def set_language(
    session: Session, patient: Patient, code: str, *, confirmed: bool, now: datetime
) -> LanguageChange | None:
    """Store `code` as the patient's language; None when it already is (nothing to do)."""
    info = check_choice(code, confirmed=confirmed)
    if patient.id is None:
        raise LanguageRefused("That patient is not saved yet.")
    if patient.locale == info.code:
        return None
    before = patient.locale
    patient.locale = info.code
    session.add(patient)
    if _has_state(session, patient.id):  # a patient made outside add_patient may have none yet
        state = store.load_state(session, patient.id)  # row-locked until this transaction ends
        state.locale = info.code
        state.awaiting_language = False
        store.save_state(session, patient.id, state, now)
    return LanguageChange(before, info, confirmed_draft=info.needs_explicit_choice)


def _has_state(session: Session, patient_id: int) -> bool:
    found = session.exec(
        select(Conversation.patient_id).where(Conversation.patient_id == patient_id)
    ).first()
    return found is not None
