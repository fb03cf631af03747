"""Today, Patients and a patient's page, as each role sees them (TestClient, real app)."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from starlette.applications import Starlette

from bot.cli.demo_clinic import DEMO_PATIENTS
from bot.db.models import AuditLog
from bot.web.app import staff_mount
from tests.web.conftest import HarnessFactory
from tests.web.support import ConsoleHarness

NAMES = [name for _, name, *_ in DEMO_PATIENTS[:5]]


def test_today_puts_the_crisis_first_with_its_age_and_shows_the_day(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    page = client.get("/staff/today")
    assert page.status_code == 200
    html = page.text
    alerts = html[html.index("Alerts to handle, crisis first") :]
    body = alerts[alerts.index("<tbody>") :]
    first_row = body[: body.index("</tr>")]
    assert "crisis" in first_row and "P004" in first_row and "3 h" in first_row
    held = html[html.index("<h2>Patients on hold</h2>") : html.index("<h2>Overdue surveys</h2>")]
    assert "P004" in held and "Dev Patel" in held
    failed = html[html.index("Sends that failed") :]
    assert "P002" in failed and "30003" in failed
    assert "Due today" in html and "Overdue surveys" in html
    assert "Not served by" in html  # no runtime behind this app: says so, does not pretend


def test_today_shows_the_service_health_it_is_given(demo_harness: HarnessFactory) -> None:
    harness = demo_harness()
    harness.asgi = Starlette(
        routes=[
            staff_mount(
                harness.app,
                health=lambda: {"dispatcher": "alive", "scheduler": "dead", "channels": ["sms"]},
            )
        ]
    )
    html = harness.signed_in("clinician").get("/staff/today").text
    assert re.search(r"Dispatcher</dt><dd><span class=\"badge ok\">alive", html)
    assert re.search(r"Scheduler</dt><dd><span class=\"badge warn\">dead", html)


def test_patients_search_and_filters(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")

    def study_ids(query: str) -> list[str]:
        html = client.get(f"/staff/patients?{query}").text
        return re.findall(r'href="/staff/patients/(P\d+)"', html)

    assert study_ids("") == ["P001", "P002", "P003", "P004", "P005"]
    assert study_ids("on_hold=1") == ["P004"]
    assert study_ids("status=crisis_hold") == ["P004"]
    assert study_ids("language=es") == ["P001"]
    assert study_ids("q=torres") == ["P001"]  # by name, for a role that may see names
    assert study_ids("q=p00&channel=sms") == ["P002"]
    assert study_ids("cohort=Spring+cohort&overdue=1") == study_ids("overdue=1")
    assert study_ids("cohort=nope") == []


def test_a_patients_page_has_the_whole_record(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    html = client.get("/staff/patients/P001").text
    assert 'dir="auto">Ana Torres</span>' in html
    for section in ("Survey plan", "Scores", "Answers", "Messages", "Consent history",
                    "Invitations", "Alerts"):  # fmt: skip
        assert f"<h2>{section}</h2>" in html, section
    assert "<svg" in html and "DVPRS pain (0-10) over time for P001" in html
    assert 'class="badge sent"' in html  # delivery status of messages to the patient
    assert "completed" in html and "dvprs" in html and "promis29" in html
    # P003 lives in Paris: times say the patient's clock too
    assert "for the patient" in client.get("/staff/patients/P003").text
    with Session(harness.app.db) as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "patient.view")).all()
    assert [(v.actor, v.object_id) for v in views] == [
        ("coordinator", "P001"),
        ("coordinator", "P003"),
    ]


def test_a_patient_on_hold_is_shown_as_held_with_the_crisis_message(
    harness: ConsoleHarness,
) -> None:
    html = harness.signed_in("clinician").get("/staff/patients/P004").text
    assert "On hold after crisis language" in html
    assert "i want to end my life" in html  # clinicians may read what the patient wrote


def test_a_researcher_never_sees_names_numbers_or_free_text(harness: ConsoleHarness) -> None:
    client = harness.signed_in("researcher")
    pages = ["/staff/today", "/staff/patients", "/staff/patients?q=Ana", "/staff/account"]
    pages += [f"/staff/patients/P00{n}" for n in range(1, 6)]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.text
        for name in NAMES:
            assert name not in html, (url, name)
        assert "+1802" not in html and "end my life" not in html, url
        assert "demo-P00" not in html, url  # channel addresses are identity too
    # searching by a name finds nobody: names are not even searched
    assert "0 patients" in client.get("/staff/patients?q=Torres").text
    # and the researcher has no alert pages, invitations or users
    for url in ("/staff/alerts", "/staff/alerts/1", "/staff/users"):
        assert client.get(url).status_code == 403


def test_unknown_patient_and_page_are_404(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    assert client.get("/staff/patients/NOPE").status_code == 404
    assert client.get("/staff/no-such-page").status_code == 404
