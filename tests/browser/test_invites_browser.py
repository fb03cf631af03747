"""Issue 17's invitation reissue in a real browser: a coordinator makes a Telegram invitation,
later issues a new one (the page says it revokes the unused one), sees the new code, and the old
one no longer works: its handout is refused in the tab that still shows it, the patient's page
lists it as replaced, and the Telegram /start flow (the real enrolment code) refuses it while
accepting the new one."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from bot.conversation.messages import Inbound
from bot.service.chat_flows import enrol_with_code
from tests.browser.conftest import TABLET, LiveConsole, screenshot
from tests.browser.support import axe_violations, sign_in, watch_csp

PATIENT = "P003"


@pytest.fixture
def context(live: LiveConsole, chromium: Any) -> Any:
    context = chromium.new_context(viewport=TABLET, accept_downloads=True)
    yield context
    context.close()


def _code(page: Any) -> str:
    link = page.locator("main code").first.inner_text()
    assert "?start=" in link, link
    return str(link.rsplit("=", 1)[-1])


def test_a_coordinator_reissues_an_invitation_and_the_old_one_stops_working(
    context: Any, live: LiveConsole
) -> None:
    first_tab = context.new_page()
    csp = watch_csp(first_tab)
    sign_in(first_tab, live, "coordinator")
    first_tab.goto(live.url(f"/staff/patients/{PATIENT}"))
    first_tab.get_by_role("button", name="Make a Telegram invitation (QR code)").click()
    expect(first_tab.get_by_role("heading", level=1)).to_have_text(
        f"Telegram invitation for {PATIENT}"
    )
    old = _code(first_tab)

    # Later, in another tab: the patient lost the first code.
    second_tab = context.new_page()
    second_tab.goto(live.url(f"/staff/patients/{PATIENT}"))
    expect(second_tab.get_by_text("An unused Telegram invitation exists")).to_be_visible()
    assert (
        second_tab.get_by_role("button", name="Make a Telegram invitation (QR code)").count() == 0
    )
    second_tab.get_by_role("button", name="Issue a new invitation (revokes the unused one)").click()
    expect(second_tab.get_by_role("heading", level=1)).to_have_text(
        f"Telegram invitation for {PATIENT}"
    )
    new = _code(second_tab)
    assert new != old
    expect(second_tab.get_by_role("img", name=f"Invitation QR code for {PATIENT}")).to_be_visible()
    screenshot(second_tab, "44-invite-reissued")
    assert axe_violations(second_tab) == []

    # The first tab still shows the old code: its handout is refused now.
    first_tab.get_by_role("button", name="Printable handout").click()
    expect(
        first_tab.get_by_text("That invitation is used, expired or not this patient's")
    ).to_be_visible()
    screenshot(first_tab, "45-old-invite-refused")
    # The new one's handout is a PDF.
    with second_tab.expect_download() as download:
        second_tab.get_by_role("button", name="Printable handout").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # The patient's page lists the old code as replaced and one live code.
    second_tab.goto(live.url(f"/staff/patients/{PATIENT}"))
    states = second_tab.locator("table").first.locator("tbody tr td:last-child").all_inner_texts()
    assert sum("replaced" in s for s in states) == 1, states
    assert sum(s.startswith("live") for s in states) == 1, states
    assert csp == []

    # And the bot itself: /start with the old code is refused, with the new one it enrols.
    app = live.harness.app
    now = app.pipeline.now()
    refused = enrol_with_code(
        app, Inbound("telegram", "555001", "t-1", f"/start {old}", now), old, "en"
    )
    assert refused.status == "unknown_sender"
    accepted = enrol_with_code(
        app, Inbound("telegram", "555002", "t-2", f"/start {new}", now), new, "en"
    )
    assert accepted.status == "processed"
