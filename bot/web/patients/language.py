"""Set a patient's language from their page: each language listed in its own script with its
status, and a `draft` language only with the confirmation box ticked (bot/clinic/patient_language,
the rule of `pathbot patient add --draft-language`). Audited with the status at the time. The
route is the patient's (bot/web/patients/routes.py), so it can show the page again with the error.
"""

from __future__ import annotations

from bot.clinic.patient_language import LanguageRefused, set_language
from bot.db import store
from bot.web.routes import Page

CONFIRM_FIELD = "confirm_draft"


def change(page: Page, study_id: str) -> tuple[str | None, str]:
    """(None, notice) when done or nothing to do; (what to tell the user, "") when refused."""
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None:
        return f"No patient {study_id}.", ""
    try:
        changed = set_language(
            page.db, patient, page.form.get("locale", ""),
            confirmed=page.form.get(CONFIRM_FIELD) == "yes", now=page.now,
        )  # fmt: skip
    except LanguageRefused as exc:
        return str(exc), ""
    if changed is None:
        return None, "language-same"
    page.record(
        "patient.language", "patient", study_id, before=changed.before, after=changed.after.code,
        status=changed.after.status.value, confirmed_draft=changed.confirmed_draft,
    )  # fmt: skip
    return None, "language-changed"
