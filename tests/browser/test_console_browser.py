"""The staff console in a real browser (Debian's chromium-headless-shell via Playwright):
sign-in with TOTP and MFA set-up with a QR code, a coordinator's morning, a researcher who cannot
see names, keyboard use, tablet width, right-to-left names, axe accessibility checks and no CSP
violation on any screen. Each screen is kept as a screenshot in tests/artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from bot.cli.demo_clinic import DEMO_PATIENTS
from tests.browser.conftest import EXPECT_TIMEOUT_MS, TABLET, LiveConsole, screenshot
from tests.browser.support import (
    axe_violations,
    no_horizontal_scroll,
    sign_in,
    watch_csp,
)
from tests.web.support import PASSWORD

NAMES = [name for _, name, *_ in DEMO_PATIENTS[:5]]


@pytest.fixture
def page(live: LiveConsole, chromium: Any) -> Any:
    """A tablet-sized page; `live` first, so the demo clinic is built before Playwright runs
    its event loop in this thread."""
    context = chromium.new_context(viewport=TABLET, accept_downloads=True)
    context.set_default_timeout(EXPECT_TIMEOUT_MS)  # actions and waits: catches a hang only
    page = context.new_page()
    yield page
    context.close()


def check_screen(page: Any, name: str, csp: list[str]) -> None:
    """Every screen: accessible (axe), fits a tablet, no CSP complaint, kept as a screenshot."""
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), f"{name}: wider than a tablet"
    assert csp == [], f"{name}: {csp}"


def test_sign_in_with_totp_by_keyboard_alone(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    page.goto(live.url("/staff/"))
    check_screen(page, "01-sign-in", csp)
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.type("clinician")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/sign-in/code**")
    check_screen(page, "02-sign-in-code", csp)
    page.get_by_label("6-digit code").fill("000000")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("That code is not right")
    live.harness.clock.advance(seconds=30)
    page.get_by_label("6-digit code").fill(live.harness.totp(live.harness.secrets["clinician"]))
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/today")
    assert page.get_by_role("heading", level=1).inner_text() == "Today"
    check_screen(page, "03-today-clinician", csp)


def test_mfa_set_up_with_a_qr_code_and_recovery_codes(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    live.harness.add_user("newcomer", "coordinator", enrol_mfa=False)
    page.goto(live.url("/staff/sign-in"))
    page.get_by_label("User name").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/today")  # development: MFA is offered, not forced
    page.goto(live.url("/staff/account"))
    page.get_by_role("link", name="Set up two-step sign-in").click()
    page.wait_for_url("**/staff/mfa/setup")
    qr = page.get_by_role("img", name="QR code to scan with an authenticator app")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100
    check_screen(page, "04-mfa-setup-qr", csp)
    secret = page.locator("input[name=secret]").get_attribute("value")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(live.harness.clock()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.get_by_role("list", name="Recovery codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    check_screen(page, "05-recovery-codes", csp)
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url("**/staff/today")


def test_a_coordinators_morning(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "coordinator")
    check_screen(page, "06-today-coordinator", csp)
    # the crisis alert is first, with its age; the patient is on hold
    first = page.locator("table").first.locator("tbody tr").first
    assert "crisis" in first.inner_text() and "P004" in first.inner_text()
    held = page.get_by_role("heading", name="Patients on hold").locator(
        "xpath=following-sibling::ul[1]"
    )
    assert "P004" in held.inner_text()
    # open the patient from the alert row
    first.get_by_role("link", name="P004").click()
    page.wait_for_url("**/staff/patients/P004")
    assert page.get_by_role("heading", name="On hold after crisis language").is_visible()
    assert page.get_by_text("i want to end my life").first.is_visible()
    check_screen(page, "07-patient-on-hold", csp)
    # acknowledge the crisis alert, then resolve it with a note
    page.locator("a", has_text="#").filter(has_text="#").first.click()
    page.wait_for_url("**/staff/alerts/*")
    check_screen(page, "08-alert", csp)
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_role("status").inner_text() == "Alert acknowledged."
    page.get_by_label("Assign to").select_option("coordinator")
    page.get_by_role("button", name="Assign").click()
    page.get_by_label("How was it resolved? (required)").fill("Phoned: safe; GP appointment today.")
    page.get_by_role("button", name="Resolve").click()
    history = page.locator("ol.history").inner_text()
    assert "acknowledged by coordinator" in history and "resolved by coordinator" in history
    check_screen(page, "09-alert-resolved", csp)
    # resolving did not lift the hold: the coordinator releases it here, by keyboard and mouse
    page.get_by_label("Handled: we spoke and the patient is safe to continue").check()
    page.get_by_label("What was done (required; kept in the alert's history)").fill(
        "Phoned: safe; questions may continue."
    )
    page.get_by_role("button", name="Release hold").click()
    assert page.get_by_role("status").inner_text() == "Hold released."
    assert page.get_by_role("button", name="Release hold").count() == 0
    check_screen(page, "09b-hold-released", csp)
    # the patients list, filtered, and a Spanish speaker's invitation with its handout
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Language").select_option("es")  # htmx filters the list at once...
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"language=es"))  # ...and the URL follows
    # ...and the Filter button (the page without script) loads the same list. Waiting for that
    # load: checking the page while it replaced the htmx-filtered one made the step flaky.
    with page.expect_navigation(url=re.compile(r"language=es")):
        page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    assert "P001" in rows.first.inner_text()
    check_screen(page, "10-patients-filtered", csp)
    rows.first.get_by_role("link", name="P001").click()
    page.wait_for_url("**/staff/patients/P001")
    assert page.get_by_role("img", name="DVPRS pain (0-10) over time for P001").is_visible()
    check_screen(page, "11-patient", csp)
    page.get_by_role("button", name="Make a Telegram invitation (QR code)").click()
    assert page.get_by_role("img", name="Invitation QR code for P001").is_visible()
    check_screen(page, "12-invitation-qr", csp)
    with page.expect_download() as download:
        page.get_by_role("button", name="Printable handout").click()
    pdf = download.value
    assert pdf.suggested_filename == "invitation-P001.pdf"
    assert Path(pdf.path()).read_bytes()[:4] == b"%PDF"


def test_a_researcher_sees_study_ids_only(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "researcher")
    screens = [
        ("/staff/today", "13-today-researcher"),
        ("/staff/patients", "14-patients-researcher"),
    ]
    screens += [(f"/staff/patients/P00{n}", f"15-patient-P00{n}-researcher") for n in (1, 4, 5)]
    for path, name in screens:
        page.goto(live.url(path))
        text = page.locator("body").inner_text()
        for patient_name in NAMES:
            assert patient_name not in text, (path, patient_name)
        assert "end my life" not in text and "+1802" not in text, path
        if name.endswith(("today-researcher", "P004-researcher")):
            check_screen(page, name, csp)
        else:
            screenshot(page, name)
    assert page.get_by_role("link", name="Alerts").count() == 0
    assert page.get_by_role("link", name="Users and roles").count() == 0


def test_right_to_left_names_and_the_users_screen(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    live.harness.clock.advance(seconds=30)
    page.goto(live.url("/staff/sign-in"))
    page.get_by_label("User name").fill("administrator")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/sign-in/code**")
    live.harness.clock.advance(seconds=30)
    page.get_by_label("6-digit code").fill(live.harness.totp(live.harness.secrets["administrator"]))
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/today")
    page.goto(live.url("/staff/patients"))
    # live search (htmx): typing narrows the list without a page load, and the URL follows
    page.get_by_label("Study id or name").press_sequentially("P005", delay=30)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.wait_for_url("**/staff/patients?q=P005**")
    cell = page.get_by_role("cell", name="ليلى حداد")
    assert cell.evaluate("e => getComputedStyle(e).direction") == "rtl"
    check_screen(page, "16-patients-rtl-name", csp)
    page.get_by_role("link", name="Users and roles").click()
    assert page.get_by_role("heading", name="What each role may do").is_visible()
    check_screen(page, "17-users-and-roles", csp)
    page.goto(live.url("/staff/account"))
    check_screen(page, "18-account", csp)
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url("**/staff/sign-in?notice=signed-out-everywhere")
    check_screen(page, "19-signed-out", csp)
