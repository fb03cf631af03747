"""Cohorts in a real browser (Debian's chromium-headless-shell via Playwright): a coordinator
creates a cohort, moves a session after reading the preview of who will be told and what
(fetched by htmx into the page), and records attendance; each screen passes axe, fits a tablet,
raises no CSP complaint and is kept as a screenshot."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from bot.db.models import Event, Rsvp
from tests.browser.conftest import TABLET, LiveConsole, screenshot
from tests.browser.support import axe_violations, no_horizontal_scroll, sign_in, watch_csp


@pytest.fixture
def page(live: LiveConsole, chromium: Any) -> Any:
    context = chromium.new_context(viewport=TABLET)
    page = context.new_page()
    yield page
    context.close()


def check_screen(page: Any, name: str, csp: list[str]) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), f"{name}: wider than a tablet"
    assert csp == [], f"{name}: {csp}"


def test_a_coordinator_creates_a_cohort_moves_a_session_and_records_attendance(
    page: Any, live: LiveConsole
) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "coordinator")
    page.get_by_role("link", name="Cohorts").click()
    page.wait_for_url("**/staff/cohorts")
    check_screen(page, "20-cohorts", csp)
    page.get_by_role("link", name="New cohort").click()
    page.get_by_label("Name").fill("Winter cohort")
    page.get_by_label("First day of the program").fill("2026-11-16")
    page.get_by_label("Weekly session day").select_option("Wednesday")
    page.get_by_label("Session time (local)").fill("10:00")
    page.get_by_label("Number of weeks").fill("6")
    check_screen(page, "21-cohort-new", csp)
    page.get_by_role("button", name="Create the cohort").click()
    page.wait_for_url("**/staff/cohorts/2?notice=cohort-created")
    rows = page.locator("table tbody tr")
    assert rows.count() == 6
    assert "Wed 18 Nov 2026, 10:00 EST" in rows.first.inner_text()  # local time, first Wednesday
    check_screen(page, "22-cohort-calendar", csp)

    # move the Spring cohort's week 4 session: the preview comes into the page (htmx)
    page.goto(live.url("/staff/cohorts/1"))
    week4 = page.locator("tbody tr").nth(3)
    week4.get_by_role("link", name="Move or cancel").click()
    page.wait_for_url("**/staff/events/4")
    page.get_by_label("New start (America/New_York time)").fill("2026-11-04T15:00")
    page.get_by_role("button", name="Preview the move").click()
    status = page.locator("#preview").get_by_role("status")
    assert status.inner_text() == "5 patients will be told."
    assert page.url.endswith("/staff/events/4")  # swapped in place, not a new page
    preview = page.locator("#preview").inner_text()
    assert "su grupo del" in preview and "has moved to Wednesday, November 4" in preview
    check_screen(page, "23-session-move-preview", csp)
    page.get_by_role("button", name="Move it and tell 5 patients").click()
    page.wait_for_url("**/staff/cohorts/1?notice=event-moved")
    assert page.get_by_role("status").inner_text().startswith("Moved")
    assert "Wed 4 Nov 2026, 15:00 EST" in page.locator("tbody tr").nth(3).inner_text()

    # attendance for week 3: P001 absent
    page.locator("tbody tr").nth(2).get_by_role("link", name="Attendance").click()
    page.wait_for_url("**/staff/events/3/attendance")
    page.get_by_label("P001 absent").check()
    check_screen(page, "24-attendance", csp)
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_url("**/staff/cohorts/1?notice=attendance-recorded")
    assert page.locator("tbody tr").nth(2).locator("td").nth(4).inner_text() == "4"
    with Session(live.harness.app.db) as s:
        event = s.get(Event, 4)
        assert event is not None and event.status == "moved"
        assert sorted(bool(r.attended) for r in s.exec(select(Rsvp).where(Rsvp.event_id == 3))) == [
            False, True, True, True, True,
        ]  # fmt: skip

    page.get_by_role("link", name="Compliance grid").click()
    page.wait_for_url("**/staff/cohorts/1/grid")
    assert "5 patients" in page.get_by_role("status").inner_text()
    check_screen(page, "25-compliance-grid", csp)
