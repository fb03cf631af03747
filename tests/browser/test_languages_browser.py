"""Languages in the console, in a real browser: the Translations page (issue 18 point 8), and a
coordinator choosing a patient's language with each language's status shown, a draft one only
after ticking the confirmation (issue 19 point 1). Each screen passes axe, fits a tablet, raises
no CSP complaint and is kept as a screenshot."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

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


def test_a_researcher_reads_the_translations_page(page: Any, live: LiveConsole) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "researcher")
    page.get_by_role("link", name="Translations").click()
    page.wait_for_url("**/staff/translations")
    matrix = page.get_by_role("table", name="Surveys by language")
    promis = matrix.get_by_role("row").filter(has_text="promis29")
    cells = promis.locator("td .badge").all_inner_texts()
    assert cells[:2] == ["validated", "refused"]  # no Spanish pack installed here
    header = matrix.get_by_role("columnheader").filter(has_text="ar")
    expect(header.locator('[lang="ar"]')).to_have_attribute("dir", "rtl")
    wording = page.get_by_role("table", name="The bot's wording")
    arabic = wording.get_by_role("row").filter(has_text="Arabic")
    expect(arabic.locator(".badge")).to_have_text("draft")
    english = wording.get_by_role("row").filter(has_text="English")
    expect(english.locator(".badge")).to_have_text("source language")
    page.get_by_text("Where each cell comes from").click()
    expect(page.get_by_text("no text in this language").first).to_be_visible()
    check_screen(page, "40-translations", csp)


def test_a_coordinator_chooses_a_draft_language_only_on_purpose(
    page: Any, live: LiveConsole
) -> None:
    csp = watch_csp(page)
    sign_in(page, live, "coordinator")
    page.goto(live.url("/staff/patients/P002"))
    page.get_by_text("Change the patient's language").click()
    choice = page.get_by_role("group", name="Language of every message to the patient")
    expect(choice.get_by_role("radio", name=re.compile("English"))).to_be_checked()
    arabic = choice.get_by_role("radio", name=re.compile("العربية Arabic draft"))
    arabic.check()
    check_screen(page, "41-patient-language-choice", csp)
    page.get_by_role("button", name="Save the language").click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Arabic (العربية) is a draft")
    expect(page.get_by_role("radio", name=re.compile("العربية Arabic draft"))).to_be_checked()
    expect(page.locator("dd").filter(has_text="English, en")).to_have_count(1)  # not changed
    check_screen(page, "42-patient-language-refused", csp)
    page.get_by_label(re.compile("I choose a draft language on purpose")).check()
    page.get_by_role("button", name="Save the language").click()
    page.wait_for_url("**/staff/patients/P002?notice=language-changed")
    expect(page.get_by_role("status").first).to_contain_text("Language changed")
    fact = page.locator("dd").filter(has_text="Arabic, ar")
    expect(fact.locator('[lang="ar"]')).to_have_text("العربية")
    expect(fact.locator(".badge")).to_have_text("draft")
    check_screen(page, "43-patient-language-changed", csp)
