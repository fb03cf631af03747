"""Browser helpers: sign in as a person would (keyboard), run axe, watch for CSP violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveConsole
from tests.web.support import PASSWORD

AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def sign_in(page: Any, live: LiveConsole, username: str) -> None:
    """Type the user name and password, Enter; then the code from the authenticator, Enter."""
    page.goto(live.url("/staff/"))
    assert "/staff/sign-in" in page.url
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/sign-in/code**")
    live.harness.clock.advance(seconds=30)  # a fresh time step: each code is good once
    code = live.harness.totp(live.harness.secrets[username])
    page.get_by_label("6-digit code").fill(code)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/today")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA checks on the current page (serious and critical only)."""
    page.evaluate(AXE)  # evaluated by the test's DevTools session, not loaded by the page
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def watch_csp(page: Any) -> list[str]:
    """Collects every Content-Security-Policy complaint the page logs."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return problems


def no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )
