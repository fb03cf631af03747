"""The date of birth from a patient's page (issue 20: the phone line's birthday check): staff who
set up channels save or correct it by POST with CSRF; the page shows only whether one is on file;
the audit log records that it was set, never the date."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.cli.demo_clinic import FAILED_SMS_PATIENT
from bot.db.models import AuditLog, Patient
from tests.web.support import ConsoleHarness, csrf_of

PAGE = f"/staff/patients/{FAILED_SMS_PATIENT}"


def _born(harness: ConsoleHarness) -> date | None:
    with Session(harness.app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == FAILED_SMS_PATIENT)).one()
        return patient.date_of_birth


def test_a_coordinator_saves_the_date_of_birth(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    page = client.get(PAGE).text
    assert "Not on file." in page and "Save the date of birth" in page
    token = csrf_of(page)
    bad = client.post(
        f"{PAGE}/date-of-birth", data={"date_of_birth": "14/03/1956", "csrf_token": token}
    )
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    future = client.post(
        f"{PAGE}/date-of-birth", data={"date_of_birth": "2099-01-01", "csrf_token": token}
    )
    assert future.status_code == 400 and "past date" in future.text
    assert _born(harness) is None  # nothing changed
    forged = client.post(f"{PAGE}/date-of-birth", data={"date_of_birth": "1956-03-14"})
    assert forged.status_code == 403 and _born(harness) is None
    done = client.post(
        f"{PAGE}/date-of-birth", data={"date_of_birth": "1956-03-14", "csrf_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?notice=birth-date-saved"
    page = client.get(done.headers["location"]).text
    assert "Date of birth saved." in page and "On file (not shown)." in page
    assert "1956" not in page
    assert _born(harness) == date(1956, 3, 14)
    with Session(harness.app.db) as s:
        (audit,) = s.exec(select(AuditLog).where(AuditLog.action == "patient.date_of_birth")).all()
    assert audit.actor == "coordinator" and "1956" not in str(audit.detail)


def test_a_researcher_cannot_set_it(harness: ConsoleHarness) -> None:
    client = harness.signed_in("researcher")
    page = client.get(PAGE).text
    assert "Save the date of birth" not in page
    refused = client.post(
        f"{PAGE}/date-of-birth", data={"date_of_birth": "1956-03-14", "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 403 and _born(harness) is None
