"""The route table, walked: every console route refuses an anonymous visitor (sign-in redirect)
and every role the role table does not allow (403), and every state-changing route refuses a
request without the CSRF token, even from a role that may use it.

Routes come from the one table (`bot/web/screens.py`), so a new route is walked as soon as it
exists; a path parameter this test cannot fill fails the test instead of being skipped.
"""

from __future__ import annotations

from bot.clinic.staff.roles import ROLE_PERMISSIONS, Permission
from bot.web.routes import Access, StaffRoute
from bot.web.screens import route_table
from tests.web.support import ROLES, ConsoleHarness, csrf_of

PATH_VALUES = {
    "study_id": "P001", "alert_id": "1", "alert_id:int": "1", "username": "researcher",
    "cohort_id:int": "1", "event_id:int": "4", "rule_id:int": "1", "assignment_id:int": "1",
    "export_id:int": "1", "instrument": "dvprs", "message_id:int": "1",
}  # fmt: skip


def concrete(route: StaffRoute) -> str:
    path = route.path
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        name = path[start + 1 : end]
        assert name in PATH_VALUES, f"{route.name}: no test value for {{{name}}}"
        path = path[:start] + PATH_VALUES[name] + path[end + 1 :]
    return "/staff" + path


PROTECTED = [r for r in route_table() if r.needs is not Access.PUBLIC]


def test_the_table_is_complete_and_every_route_says_what_it_needs() -> None:
    table = route_table()
    assert {r.name for r in table} >= {
        "sign_in", "today", "patients", "patient", "alerts", "alert", "users", "account",
        "to_call", "translations", "patient_language",
    }  # fmt: skip
    for route in table:
        assert isinstance(route.needs, Permission | Access), route.name
        assert route.methods and set(route.methods) <= {"GET", "POST"}, route.name


def test_anonymous_gets_the_sign_in_page_not_the_route(harness: ConsoleHarness) -> None:
    client = harness.client()
    for route in PROTECTED:
        for method in route.methods:
            response = client.request(method, concrete(route))
            assert response.status_code in (303, 403), (route.name, method, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/staff/sign-in"), route.name
    assert len(PROTECTED) >= 20


def test_each_role_without_the_permission_gets_403(harness: ConsoleHarness) -> None:
    checked = 0
    for role in ROLES:
        client = harness.signed_in(role)
        token = csrf_of(client.get("/staff/account").text)
        for route in route_table():
            if not isinstance(route.needs, Permission) or route.needs in ROLE_PERMISSIONS[role]:
                continue
            for method in route.methods:
                data = {"csrf_token": token} if method == "POST" else None
                response = client.request(method, concrete(route), data=data)
                assert response.status_code == 403, (role, route.name, method)
                checked += 1
    assert checked > 10


def test_every_state_changing_route_refuses_a_request_without_the_token(
    harness: ConsoleHarness,
) -> None:
    clients = {role: harness.signed_in(role) for role in ROLES}
    posts = [r for r in route_table() if "POST" in r.methods]
    assert len(posts) >= 10
    for route in posts:
        role = next(
            (r for r in ROLES if not isinstance(route.needs, Permission)
             or route.needs in ROLE_PERMISSIONS[r]),
            None,
        )  # fmt: skip
        assert role is not None, route.name
        client = clients[role]
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(concrete(route), data=data)
            assert response.status_code == 403, (route.name, data, response.status_code)
            assert "This form has expired" in response.text
    # and the sign-in form itself (public) refuses a missing token
    anonymous = harness.client()
    anonymous.get("/staff/sign-in")
    response = anonymous.post("/staff/sign-in", data={"username": "x", "password": "y"})
    assert response.status_code == 403


def test_a_cross_site_post_is_refused_even_with_the_token(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    token = csrf_of(client.get("/staff/alerts/1").text)
    response = client.post(
        "/staff/alerts/1/acknowledge",
        data={"csrf_token": token},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    ok = client.post("/staff/alerts/1/acknowledge", data={"csrf_token": token})
    assert ok.status_code == 303
