"""Releasing a crisis hold from the console (issue 12 point 4, issue 17's remainder): on the
patient's page and on the crisis alert's page, with a required note and outcome, CSRF and the
RELEASE_HOLDS permission; audited; the patient is told and the survey resumes."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.cli.demo_clinic import CRISIS_PATIENT
from bot.db.models import Alert, AuditLog, OutboxMessage, Patient
from tests.web.support import ConsoleHarness, csrf_of

PAGE = f"/staff/patients/{CRISIS_PATIENT}"


def _patient(harness: ConsoleHarness) -> Patient:
    with Session(harness.app.db) as s:
        return s.exec(select(Patient).where(Patient.study_id == CRISIS_PATIENT)).one()


def _crisis_alert(harness: ConsoleHarness) -> Alert:
    with Session(harness.app.db) as s:
        return s.exec(select(Alert).where(Alert.kind == "crisis")).one()


def test_a_clinician_releases_the_hold_on_the_patients_page(harness: ConsoleHarness) -> None:
    client = harness.signed_in("clinician")
    page = client.get(PAGE).text
    assert "On hold after crisis language" in page and "Release hold" in page
    assert "nothing in this plan is sent until the hold is released" in page
    token = csrf_of(page)
    no_note = client.post(
        f"{PAGE}/release", data={"outcome": "handled", "note": "  ", "csrf_token": token}
    )
    assert no_note.status_code == 400 and "A note is required" in no_note.text
    no_outcome = client.post(f"{PAGE}/release", data={"note": "called", "csrf_token": token})
    assert no_outcome.status_code == 400 and "false alarm or handled" in no_outcome.text
    assert _patient(harness).status == "crisis_hold"  # nothing changed
    before = _outbox_count(harness)
    done = client.post(
        f"{PAGE}/release",
        data={"outcome": "handled", "note": "Called; safe; GP today.", "csrf_token": token},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?notice=hold-released"
    page = client.get(done.headers["location"]).text
    assert "Hold released." in page and "On hold after crisis language" not in page
    assert _patient(harness).status == "active"
    alert = _crisis_alert(harness)
    assert alert.status == "resolved" and alert.resolved_by == "clinician"
    history = client.get(f"/staff/alerts/{alert.id}").text
    assert "released by clinician" in history and "Called; safe; GP today." in history
    assert _outbox_count(harness) > before  # the kind word (and the next question, if any)
    with Session(harness.app.db) as s:
        (audit,) = s.exec(select(AuditLog).where(AuditLog.action == "hold.release")).all()
    assert audit.actor == "clinician" and audit.detail["outcome"] == "handled"
    again = client.post(
        f"{PAGE}/release", data={"outcome": "handled", "note": "x", "csrf_token": token}
    )
    assert again.status_code == 400 and "not on hold" in again.text


def test_release_from_the_crisis_alert_as_a_false_alarm(harness: ConsoleHarness) -> None:
    alert_id = _crisis_alert(harness).id
    client = harness.signed_in("coordinator")
    url = f"/staff/alerts/{alert_id}"
    page = client.get(url).text
    assert "Release hold" in page
    done = client.post(
        f"{url}/release",
        data={"outcome": "false_alarm", "note": "Song lyrics.", "csrf_token": csrf_of(page)},
    )
    assert done.headers["location"] == f"{url}?notice=hold-released"
    assert _patient(harness).status == "active"
    page = client.get(url).text
    assert "hold released (a false alarm): Song lyrics." in page


def test_without_the_permission_or_the_token_nothing_is_released(
    harness: ConsoleHarness,
) -> None:
    researcher = harness.signed_in("researcher")
    page = researcher.get(PAGE).text
    assert "Release hold" not in page
    token = csrf_of(researcher.get("/staff/account").text)
    refused = researcher.post(
        f"{PAGE}/release", data={"outcome": "handled", "note": "x", "csrf_token": token}
    )
    assert refused.status_code == 403
    clinician = harness.signed_in("clinician")
    forged = clinician.post(
        f"{PAGE}/release", data={"outcome": "handled", "note": "x", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert _patient(harness).status == "crisis_hold"


def _outbox_count(harness: ConsoleHarness) -> int:
    with Session(harness.app.db) as s:
        return len(s.exec(select(OutboxMessage)).all())
