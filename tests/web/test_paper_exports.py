"""Paper forms, exports, reports and the audit log in the console (TestClient, real app on the
demo clinic, the same importer, export writers and report as the commands)."""

from __future__ import annotations

import csv
import io
import re
import time

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.clinic.exports.csv_long import FORMAT_NAMES
from bot.db.models import AuditLog, ItemResponse, Patient, SurveyAssignment
from bot.db.staff_export_models import StaffExport
from tests.web.support import ConsoleHarness, csrf_of


def _assignment(harness: ConsoleHarness, study_id: str, instrument: str, timepoint: str) -> int:
    with Session(harness.app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == study_id)).one()
        found = s.exec(
            select(SurveyAssignment).where(
                SurveyAssignment.patient_id == patient.id,
                SurveyAssignment.instrument_id == instrument,
                SurveyAssignment.timepoint == timepoint,
            )
        ).one()
        assert found.state not in ("completed", "partial")
        return found.id or 0


def test_a_typed_paper_form_is_checked_like_the_importer_and_fulfils_its_survey(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    listing = client.get("/staff/paper?patient=P001").text
    wanted = _assignment(harness, "P001", "brs", "baseline")
    assert f'href="/staff/paper/forms/{wanted}"' in listing
    form = client.get(f"/staff/paper/forms/{wanted}").text
    items = re.findall(r'name="item-([^"]+)" value="1"', form)
    assert len(items) == 6 and "I tend to bounce back quickly" in form
    token = csrf_of(form)
    partly = {"csrf_token": token, "answered_on": "2026-10-12", "language": "en"}
    partly |= {f"item-{i}": "4" for i in items[:5]}
    missing = client.post(f"/staff/paper/forms/{wanted}", data=partly)
    assert missing.status_code == 400 and f"{items[5]}: tick an answer" in missing.text
    assert 'value="4" checked' in missing.text  # what was ticked is kept
    full = partly | {f"item-{items[5]}": "skipped"}
    future = client.post(f"/staff/paper/forms/{wanted}", data=full | {"answered_on": "2027-01-01"})
    assert future.status_code == 400 and "in the future" in future.text
    saved = client.post(f"/staff/paper/forms/{wanted}", data=full)
    assert saved.status_code == 303 and saved.headers["location"].startswith(
        "/staff/cohorts/1/grid"
    )
    grid = client.get(saved.headers["location"]).text
    row = grid[grid.index('href="/staff/patients/P001"') :]
    assert (
        'class="badge on-paper">on paper</span><br><span class="muted">12 Oct 2026'
        in row[: row.index("</tr>")]
    )
    with Session(harness.app.db) as s:
        assignment = s.get(SurveyAssignment, wanted)
        assert assignment is not None and assignment.state == "completed"
        answers = s.exec(select(ItemResponse).where(ItemResponse.assignment_id == wanted)).all()
        assert {a.channel for a in answers} == {"paper"} and len(answers) == 6
        assert sorted(a.status for a in answers) == ["answered"] * 5 + ["skipped"]
        actions = {a.action for a in s.exec(select(AuditLog)).all()}
        assert {"paper.form", "import.responses"} <= actions
    again = client.get(f"/staff/paper/forms/{wanted}").text
    assert "already answered: replace" in again


def test_a_csv_upload_lists_every_problem_by_line_and_imports_nothing_until_right(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("coordinator")
    page = client.get("/staff/paper").text
    header = "patient,instrument,timepoint,item_id,value,answered_at\n"
    rows = [f"P002,dvprs,adhoc,{item},{v},2026-10-20\n" for item, v in (
        ("dvprs_pain", "5"), ("dvprs_activity", "11"), ("nosuch", "1"),
    )]  # fmt: skip
    bad = client.post(
        "/staff/paper/upload",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("forms.csv", (header + "".join(rows)).encode(), "text/csv")},
    )
    assert bad.status_code == 400
    assert "line 3: dvprs_activity: 11 is not one of its scored values" in bad.text
    assert "line 4: dvprs has no item &#39;nosuch&#39;" in bad.text
    with Session(harness.app.db) as s:
        assert not s.exec(select(ItemResponse).where(ItemResponse.channel == "paper")).all()
    good = client.post(
        "/staff/paper/upload",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("forms.csv", (header + rows[0]).encode(), "text/csv")},
    )
    assert good.status_code == 200 and "Imported 1 responses on 1 form" in good.text
    empty = client.post("/staff/paper/upload", data={"csrf_token": csrf_of(page)})
    assert empty.status_code == 400 and "Choose a CSV file" in empty.text
    template = client.get("/staff/paper/template/dvprs")
    assert template.headers["content-type"].startswith("text/csv")
    assert "dvprs_pain" in template.text


def _ready_export(client: TestClient, deadline: float = 60) -> str:
    """The download link of the newest export, once the background worker has made it."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        html = client.get("/staff/exports").text
        link = re.search(r'href="(/staff/exports/\d+/download)"', html)
        if link:
            return link.group(1)
        assert "failed" not in html
        time.sleep(0.2)
    raise AssertionError("the export did not become ready")


def test_a_researchers_export_is_de_identified_and_every_download_is_audited(
    harness: ConsoleHarness,
) -> None:
    client = harness.signed_in("researcher")
    page = client.get("/staff/exports").text
    assert "Your exports are de-identified" in page and 'name="names"' not in page
    asked = client.post(
        "/staff/exports",
        data={"csrf_token": csrf_of(page), "format": "csv", "names": "1", "free_text": "1"},
    )  # a hand-made form asking for names gets none
    assert asked.status_code == 303
    link = _ready_export(client)
    download = client.get(link)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0][0] == "patient" and "name" not in table[0] and "raw_text" not in table[0]
    assert {row[0] for row in table[1:]} <= {"P001", "P002", "P003", "P004", "P005"}
    assert len(table) > 10
    for name in ("Ana Torres", "Ben Carter", "Dev Patel"):
        assert name not in download.text
    with Session(harness.app.db) as s:
        audit = {a.action: a for a in s.exec(select(AuditLog)).all()}
        assert audit["export.request"].detail["deidentified"] is True
        assert audit["export.download"].actor == "researcher"
    other = harness.signed_in("coordinator")
    assert other.get(link).status_code == 404  # another person's export is not yours


def test_a_coordinator_may_ask_for_names_and_typed_answers(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    page = client.get("/staff/exports").text
    client.post(
        "/staff/exports",
        data={
            "csrf_token": csrf_of(page), "format": "csv", "names": "1", "free_text": "1",
            "patients": "P001", "instrument-dvprs": "1",
        },
    )  # fmt: skip
    text = client.get(_ready_export(client)).text
    header = text.splitlines()[0].split(",")
    assert header[:2] == ["patient", "name"] and "raw_text" in header
    assert "Ana Torres" in text and "P002" not in text
    unknown = client.post(
        "/staff/exports", data={"csrf_token": csrf_of(page), "format": "csv", "patients": "P999"}
    )
    assert unknown.status_code == 400 and "P999" in unknown.text


def test_every_export_format_is_made(harness: ConsoleHarness) -> None:
    client = harness.signed_in("researcher")
    for fmt in FORMAT_NAMES:
        page = client.get("/staff/exports").text
        asked = client.post("/staff/exports", data={"csrf_token": csrf_of(page), "format": fmt})
        assert asked.status_code == 303
        response = client.get(_ready_export(client))
        assert response.status_code == 200 and len(response.content) > 50, fmt
        with Session(harness.app.db) as s:  # expired: the next wait sees only the next one
            job = s.exec(select(StaffExport).where(StaffExport.format == fmt)).one()
            assert job.state == "ready" and job.rows, (fmt, job.error)
            job.expires_at = harness.clock()
            s.add(job)
            s.commit()


def test_the_cohort_report_in_the_page_and_as_pdf(harness: ConsoleHarness) -> None:
    client = harness.signed_in("researcher")
    page = client.get("/staff/reports/1")
    assert page.status_code == 200
    assert "Change from baseline to post" in page.text and "Survey completion" in page.text
    assert "Ana Torres" not in page.text
    pdf = client.get("/staff/reports/1/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with Session(harness.app.db) as s:
        assert {"report.view", "report.pdf"} <= {a.action for a in s.exec(select(AuditLog)).all()}


def test_the_audit_log_filters_by_who_what_when_and_patient(harness: ConsoleHarness) -> None:
    coordinator = harness.signed_in("coordinator")
    coordinator.get("/staff/patients/P003")
    coordinator.get("/staff/patients/P001")
    admin = harness.signed_in("administrator")
    html = admin.get("/staff/audit?patient=P003").text
    assert re.search(r"<td>coordinator</td>\s*<td>patient.view</td>", html)
    assert 'href="/staff/patients/P001"' not in html
    by_action = admin.get("/staff/audit?action=patient&actor=coordinator").text
    assert "2 entries" in by_action
    assert "0 entries" in admin.get("/staff/audit?since=2030-01-01").text
    assert harness.signed_in("coordinator").get("/staff/audit").status_code == 403
