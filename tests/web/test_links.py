"""Console links are built from the console's own route (Page.url's fast path, for pages that make
hundreds of them); they must be exactly what Starlette's url_for makes, also behind a proxy's
root path."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.support import PASSWORD, ConsoleHarness, csrf_of

PAGES = (
    "/staff/today", "/staff/patients", "/staff/patients/P001", "/staff/cohorts/1",
    "/staff/cohorts/1/grid", "/staff/messages", "/staff/messages/upcoming?cohort=1",
    "/staff/translations", "/staff/alerts", "/staff/paper", "/staff/users",
)  # fmt: skip


@pytest.mark.parametrize("root_path", ["", "/clinic"])
def test_every_link_is_the_one_url_for_makes(harness: ConsoleHarness, root_path: str) -> None:
    client = TestClient(
        harness.asgi, root_path=root_path, base_url=f"http://testserver{root_path}",
        follow_redirects=False,
    )  # fmt: skip
    _sign_in(harness, client, "administrator")
    console = harness.asgi.routes[0].app.state.console  # type: ignore[attr-defined]
    assert len(console.named_routes) > 40
    fast = {path: client.get(path).text for path in PAGES}
    named = dict(console.named_routes)
    console.named_routes.clear()  # url_for for every link
    try:
        for path in PAGES:
            assert client.get(path).text == fast[path], path
    finally:
        console.named_routes.update(named)
    assert f'href="{root_path}/staff/patients/P001"' in fast["/staff/patients"]


def _sign_in(harness: ConsoleHarness, client: TestClient, username: str) -> None:
    """harness.sign_in, with the redirects under the root path."""
    page = client.get("/staff/sign-in")
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert client.post("/staff/sign-in", data=form).status_code == 303
    page = client.get("/staff/sign-in/code")
    harness.clock.advance(seconds=30)
    code = harness.totp(harness.secrets[username])
    done = client.post("/staff/sign-in/code", data={"code": code, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 303, done.text
