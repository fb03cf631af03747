"""The patient list (search and filters) and a patient's page: messages with delivery status,
answers and scores with a trend chart, consent history, alerts, holds, invitations, language,
time zone, channels and the survey plan with each assignment's state.

Identity (names, phone numbers, message and answer text) reaches the templates only for roles
with SEE_IDENTITY: the clinic functions leave it out for everyone else.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.clinic.record import AssignmentFact, patient_record
from bot.clinic.roster import PatientFilter, filter_choices, list_patients
from bot.clinic.staff.roles import Permission
from bot.clinic.trend import TREND_INSTRUMENT, TREND_SCALE
from bot.conversation import language_status
from bot.web.charts import line_chart
from bot.web.patients import birth_date, hold, invites, language
from bot.web.routes import Page, StaffRoute

PAGE_SIZE = 50


def list_page(page: Page) -> Response:
    q = page.request.query_params
    filters = PatientFilter(
        text=q.get("q", "")[:100],
        cohort=q.get("cohort", ""),
        status=q.get("status", ""),
        channel=q.get("channel", ""),
        language=q.get("language", ""),
        opted_out=q.get("opted_out") == "1",
        on_hold=q.get("on_hold") == "1",
        overdue=q.get("overdue") == "1",
    )
    try:
        number = max(1, int(q.get("page", "1")))
    except ValueError:
        number = 1
    roster = list_patients(
        page.db,
        filters,
        now=page.now,
        with_names=page.can(Permission.SEE_IDENTITY),
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-roster.total // PAGE_SIZE))
    query = {k: v for k, v in q.items() if k != "page" and v}
    return page.render(
        "patients/list.html",
        active="patients",
        filters=filters,
        choices=filter_choices(page.db),
        roster=roster,
        number=number,
        pages=pages,
        query=query,
    )


def patient_page(
    page: Page,
    *,
    error: str | None = None,
    status: int = 200,
    language_error: str | None = None,
    chosen: str | None = None,
) -> Response:
    study_id = page.request.path_params["study_id"]
    record = patient_record(
        page.db, study_id, with_identity=page.can(Permission.SEE_IDENTITY), now=page.now
    )
    if record is None:
        return page.render("layout/not_found.html", status=404, what=f"No patient {study_id}.")
    page.record("patient.view", "patient", study_id)  # who looked at whose record, and when
    return page.render(
        "patients/patient.html",
        status=status,
        error=error,
        active="patients",
        p=record,
        pain_chart=_pain_chart(record.assignments, record.study_id),
        invite_state=invites.invite_state(page, record),
        birth_date_on_file=birth_date.on_file(page, study_id),
        languages=language_status.languages(),
        language_error=language_error,
        chosen=chosen or record.locale,  # the language ticked in the form
    )


def release_hold(page: Page) -> Response:
    """Release the patient's crisis hold (bot/web/patients/hold.py); errors show on this page."""
    study_id = page.request.path_params["study_id"]
    error = hold.release(page, study_id)
    if error is not None:
        return patient_page(page, error=error, status=400)
    return page.redirect("patient", study_id=study_id, _query={"notice": "hold-released"})


def set_birth_date(page: Page) -> Response:
    """The date of birth for the phone line's check (bot/web/patients/birth_date.py)."""
    study_id = page.request.path_params["study_id"]
    error = birth_date.save(page, study_id)
    if error is not None:
        return patient_page(page, error=error, status=400)
    return page.redirect("patient", study_id=study_id, _query={"notice": "birth-date-saved"})


def change_language(page: Page) -> Response:
    """Set the patient's language (bot/web/patients/language.py); errors show on this page."""
    study_id = page.request.path_params["study_id"]
    error, notice = language.change(page, study_id)
    if error is not None:
        return patient_page(page, language_error=error, status=400, chosen=page.form.get("locale"))
    return page.redirect("patient", study_id=study_id, _query={"notice": notice})


def _pain_chart(assignments: list[AssignmentFact], study_id: str) -> object:
    points = [
        (a.completed_at, s.raw)
        for a in assignments
        if a.instrument_id == TREND_INSTRUMENT and a.completed_at is not None
        for s in a.scores
        if s.scale_id == TREND_SCALE and s.status == "complete" and s.raw is not None
    ]
    return line_chart(
        points, y_min=0, y_max=10, label=f"DVPRS pain (0-10) over time for {study_id}"
    )


ROUTES = [
    StaffRoute("/patients", "patients", list_page, Permission.SEE_PATIENTS),
    StaffRoute("/patients/{study_id}", "patient", patient_page, Permission.SEE_PATIENTS),
    *invites.ROUTES,
    StaffRoute(
        "/patients/{study_id}/release", "patient_release", release_hold,
        Permission.RELEASE_HOLDS, ("POST",),
    ),
    StaffRoute(
        "/patients/{study_id}/date-of-birth", "patient_birth_date", set_birth_date,
        Permission.MANAGE_INVITES, ("POST",),
    ),
    StaffRoute(
        "/patients/{study_id}/language", "patient_language", change_language,
        Permission.EDIT_PATIENTS, ("POST",),
    ),
]  # fmt: skip
