"""Release a crisis hold from the console: on the patient's page or on a crisis alert's page.

The same `release_hold` as `pathbot alerts resolve ID --release` (bot/clinic/holds.py), in the
request's transaction: a required note and an outcome (a false alarm, or handled), the patient's
open crisis alerts resolved with the note, the release audited; the patient gets a short, kind
message and the paused survey resumes where it stopped. Only roles with RELEASE_HOLDS, by POST
with the session's CSRF token (the route table checks both). The routes are the patient's
(bot/web/patients/routes.py) and the alert's (bot/web/alerts/routes.py), so each can show its
own page again with the error.
"""

from __future__ import annotations

from bot.clinic.holds import OUTCOMES, HoldError, release_hold
from bot.db import store
from bot.web.routes import Page


def release(page: Page, study_id: str) -> str | None:
    """None when released, else what to tell the user (nothing has changed then)."""
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return f"No patient {study_id}."
    outcome = page.form.get("outcome", "")
    if outcome not in OUTCOMES:
        return "Say whether it was a false alarm or handled."
    try:
        release_hold(
            page.db,
            page.console.app.conversation,
            patient_id=patient.id,
            outcome=outcome,
            note=page.form.get("note", ""),
            actor=page.actor,
            now=page.now,
        )
    except HoldError as exc:
        return f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    return None
