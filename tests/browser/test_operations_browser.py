"""The console's operations screens in a real browser (Debian's chromium-headless-shell via
Playwright): a paper form entered from the compliance grid shows there as done on paper; a
researcher's export is de-identified and downloaded once ready; a simulated DVPRS in Spanish
with a time jump shows the nudge; the cohort report, messages and audit log render. Each screen
passes axe, fits a tablet, raises no CSP complaint and is kept as a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TABLET, LiveConsole, screenshot
from tests.browser.support import axe_violations, no_horizontal_scroll, sign_in, watch_csp


@pytest.fixture
def page(live: LiveConsole, chromium: Any) -> Any:
    context = chromium.new_context(viewport=TABLET, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def check_screen(page: Any, name: str, csp: list[str]) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), f"{name}: wider than a tablet"
    assert csp == [], f"{name}: {csp}"


def test_a_paper_form_entered_from_the_grid_shows_as_done_on_paper(
    page: Any, live: LiveConsole
) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "coordinator")
    page.goto(live.url("/staff/cohorts/1/grid"))
    p001 = page.locator("tbody tr").filter(has_text="P001")
    p001.get_by_role("link", name="Enter on paper").first.click()
    page.wait_for_url("**/staff/paper/forms/*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Paper form: ")
    page.get_by_label("Answered on (the patient's local date)").fill("2026-10-12")
    page.get_by_label("Language of the form").select_option("en")
    for fieldset in page.locator("fieldset.item").all():
        fieldset.get_by_role("radio").nth(2).check()  # the third option of every item
    check_screen(page, "30-paper-form", csp)
    page.get_by_role("button", name="Save the form").click()
    page.wait_for_url("**/staff/cohorts/1/grid?notice=paper-saved")
    expect(page.get_by_role("status").first).to_contain_text("Paper form saved")
    row = page.locator("tbody tr").filter(has_text="P001")
    expect(row.locator(".badge.on-paper")).to_have_count(1)
    assert "12 Oct 2026" in row.locator("td", has=page.locator(".badge.on-paper")).inner_text()
    check_screen(page, "31-grid-on-paper", csp)
    page.get_by_role("link", name="Paper forms").click()
    check_screen(page, "32-paper-forms", csp)


def test_a_researchers_export_is_de_identified(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "researcher")
    assert page.get_by_role("link", name="Messages").count() == 0
    page.get_by_role("link", name="Exports").click()
    page.wait_for_url("**/staff/exports")
    assert page.get_by_label("patients' names").count() == 0
    page.get_by_label("Format").select_option("csv")
    check_screen(page, "33-exports", csp)
    page.get_by_role("button", name="Make the export").click()
    page.wait_for_url("**/staff/exports?notice=export-queued")
    link = page.get_by_role("link", name="pathbot-csv-1.csv")
    expect(link).to_be_visible(timeout=60_000)  # htmx polls until the worker has made it
    with page.expect_download() as info:
        link.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header[0] == "patient" and "name" not in header and "raw_text" not in header
    assert "Ana Torres" not in text and "P001" in text
    expect(page.locator("#jobs")).to_contain_text("de-identified")
    check_screen(page, "34-export-ready", csp)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Spring cohort").click()
    expect(page.get_by_role("heading", name="Change from baseline to post")).to_be_visible()
    check_screen(page, "35-report", csp)


def test_a_simulated_dvprs_in_spanish_with_a_time_jump_shows_the_nudge(
    page: Any, live: LiveConsole
) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "coordinator")
    page.get_by_role("link", name="Simulator").click()
    page.wait_for_url("**/staff/simulator")
    page.get_by_label("Language").select_option("es")
    page.get_by_label("Instrument").select_option("dvprs")
    page.get_by_label("When").select_option("session")
    page.get_by_role("button", name="Start").click()
    chat = page.locator("ol.chat")
    expect(chat).to_contain_text("recordatorio, su grupo se reúne")
    page.get_by_role("button", name="+15 minutes").click()
    expect(chat).to_contain_text("P1/5. ¿Cómo calificaría su dolor en este momento?")
    page.get_by_label("Your reply (as the patient)").fill("5")
    page.keyboard.press("Enter")
    expect(chat).to_contain_text("P2/5.")
    page.get_by_role("button", name="+2 hours").click()
    nudge = chat.locator(".bubble.out").last
    expect(nudge).to_contain_text("tiene preguntas esperando")
    expect(nudge).to_contain_text("nudge")
    check_screen(page, "36-simulator-nudge", csp)


def test_messages_and_the_audit_log(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "administrator")
    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Status").select_option("failed")
    expect(page.get_by_role("status")).to_contain_text("1 message")
    expect(page.locator("#results")).to_contain_text("provider error 30003")
    check_screen(page, "37-messages-failed", csp)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Patient (study id)").fill("P004")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_contain_text("entr")
    check_screen(page, "38-audit-log", csp)
