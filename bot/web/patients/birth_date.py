"""The date of birth from a patient's page, for the phone line's identity check
(PATHBOT_VOICE_IDENTITY_CHECK=dob4: the caller keys the month and day, MMDD).

The same check as `pathbot patient dob` (bot/service/voice/enrol.py), in the request's
transaction; only roles that set up a patient's channels (MANAGE_INVITES), by POST with the
session's CSRF token. The page says whether a date is on file, never the date itself, and the
audit log records that it was set, not its value.
"""

from __future__ import annotations

from datetime import date

from bot.db import store
from bot.service.voice.enrol import VoiceEnrolmentError, check_birth_date
from bot.web.routes import Page


def save(page: Page, study_id: str) -> str | None:
    """None when saved, else what to tell the user (nothing has changed then)."""
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return f"No patient {study_id}."
    try:
        born = date.fromisoformat(page.form.get("date_of_birth", "").strip())
    except ValueError:
        return "Write the date of birth as YYYY-MM-DD."
    try:
        check_birth_date(born, page.now.date())
    except VoiceEnrolmentError:
        return "The date of birth must be a past date after 1900."
    patient.date_of_birth = born
    page.db.add(patient)
    page.record("patient.date_of_birth", "patient", study_id)
    return None


def on_file(page: Page, study_id: str) -> bool:
    patient = store.patient_by_study_id(page.db, study_id)
    return patient is not None and patient.date_of_birth is not None
