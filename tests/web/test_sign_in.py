"""Signing in: password then code, rotation, time-outs, lock-out, throttling, recovery codes,
MFA enrolment, sign-out everywhere, cookies and security headers."""

from __future__ import annotations

import pyotp
from sqlmodel import Session, select

from bot.db.models import AuditLog, StaffUser
from bot.service.settings import Settings
from bot.web.security import SESSION_COOKIE
from tests.web.conftest import HarnessFactory
from tests.web.support import PASSWORD, ConsoleHarness, csrf_of


def post_sign_in(client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/sign-in")
    data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    return client.post("/staff/sign-in", data={**data, **extra})


def audit_actions(harness: ConsoleHarness) -> list[str]:
    with Session(harness.app.db) as s:
        return [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id))]  # type: ignore[arg-type]


def test_password_then_code_signs_in_and_rotates_the_session(harness: ConsoleHarness) -> None:
    client = harness.client()
    response = post_sign_in(client, "coordinator", PASSWORD)
    assert response.status_code == 303
    half = client.cookies.get(SESSION_COOKIE)
    assert half
    # half signed in: the pages behind sign-in send you to the code step
    assert client.get("/staff/today").headers["location"] == "/staff/sign-in/code"
    page = client.get("/staff/sign-in/code")
    harness.clock.advance(seconds=30)
    code = harness.totp(harness.secrets["coordinator"])
    response = client.post(
        "/staff/sign-in/code", data={"code": code, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    full = client.cookies.get(SESSION_COOKIE)
    assert full and full != half
    old = harness.client()  # the half-signed-in token is dead
    old.cookies.set(SESSION_COOKIE, half)
    assert old.get("/staff/account").status_code == 303
    assert client.get("/staff/account").status_code == 200
    # the same code cannot be used twice
    again = harness.client()
    post_sign_in(again, "coordinator", PASSWORD)
    page = again.get("/staff/sign-in/code")
    replay = again.post(
        "/staff/sign-in/code", data={"code": code, "csrf_token": csrf_of(page.text)}
    )
    assert replay.status_code == 401
    assert "staff.sign_in" in audit_actions(harness)


def test_wrong_password_and_unknown_user_get_the_same_answer(harness: ConsoleHarness) -> None:
    client = harness.client()
    wrong = post_sign_in(client, "coordinator", "not the password at all")
    nobody = post_sign_in(client, "nobody-here", "not the password at all")
    assert wrong.status_code == nobody.status_code == 401
    assert "Wrong user name or password." in wrong.text and "Wrong user name" in nobody.text
    assert SESSION_COOKIE not in client.cookies


def test_five_failures_lock_the_account_until_unlocked_or_time_passes(
    harness: ConsoleHarness,
) -> None:
    client = harness.client()
    for _ in range(5):
        assert post_sign_in(client, "clinician", "wrong password here").status_code == 401
    locked = post_sign_in(client, "clinician", PASSWORD)  # even the right password
    assert locked.status_code == 429 and "locked" in locked.text
    # an unknown name locks the same way: lock-outs do not tell which names exist
    for _ in range(5):
        post_sign_in(client, "ghost", "wrong password here")
    assert post_sign_in(client, "ghost", "x").status_code == 429
    # an administrator sees and ends the lock-out
    admin = harness.signed_in("administrator")
    users = admin.get("/staff/users").text
    assert "locked until" in users
    unlock = admin.post("/staff/users/clinician/unlock", data={"csrf_token": csrf_of(users)})
    assert unlock.status_code == 303
    harness.sign_in(harness.client(), "clinician")
    # or time ends it
    for _ in range(5):
        post_sign_in(client, "researcher", "wrong password here")
    assert post_sign_in(client, "researcher", PASSWORD).status_code == 429
    harness.clock.advance(minutes=16)
    assert post_sign_in(client, "researcher", PASSWORD).status_code == 303


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(
    harness: ConsoleHarness,
) -> None:
    client = harness.client()
    for _ in range(5):
        post_sign_in(client, "coordinator", PASSWORD)
        page = client.get("/staff/sign-in/code")
        wrong = client.post(
            "/staff/sign-in/code", data={"code": "000000", "csrf_token": csrf_of(page.text)}
        )
        assert wrong.status_code in (401, 429)
    assert post_sign_in(client, "coordinator", PASSWORD).status_code == 429


def test_one_address_is_throttled_across_accounts(harness: ConsoleHarness) -> None:
    client = harness.client()
    for n in range(20):
        post_sign_in(client, f"guess{n}", "wrong password here")
    response = post_sign_in(client, "administrator", PASSWORD)
    assert response.status_code == 429 and "this network" in response.text


def test_idle_and_absolute_time_outs(harness: ConsoleHarness) -> None:
    client = harness.signed_in("coordinator")
    harness.clock.advance(minutes=29)
    assert client.get("/staff/today").status_code == 200
    harness.clock.advance(minutes=31)  # idle for more than 30 minutes
    assert client.get("/staff/today").headers["location"].startswith("/staff/sign-in?next=")
    client = harness.signed_in("coordinator")
    for _ in range(25):  # busy all day, never idle: still ends after 12 hours
        harness.clock.advance(minutes=29)
        client.get("/staff/today")
    assert client.get("/staff/today").status_code == 303


def test_sign_out_everywhere_ends_every_session(harness: ConsoleHarness) -> None:
    laptop = harness.signed_in("clinician")
    tablet = harness.signed_in("clinician")
    page = laptop.get("/staff/account")
    assert page.text.count("<tr><td>") == 2  # both sessions listed
    response = laptop.post("/staff/sign-out-everywhere", data={"csrf_token": csrf_of(page.text)})
    assert response.headers["location"] == "/staff/sign-in?notice=signed-out-everywhere"
    assert tablet.get("/staff/today").status_code == 303
    assert laptop.get("/staff/today").status_code == 303
    assert "staff.sign_out_everywhere" in audit_actions(harness)


def test_next_only_goes_inside_the_console(harness: ConsoleHarness) -> None:
    client = harness.client()
    assert client.get("/staff/patients/P001").headers["location"] == (
        "/staff/sign-in?next=%2Fstaff%2Fpatients%2FP001"
    )
    harness.sign_in(client, "researcher")
    # sign-in went on to /staff/ since the helper posts no next; an outside next is ignored
    evil = harness.client()
    response = post_sign_in(evil, "administrator", PASSWORD, next="https://evil.example/")
    assert "evil" not in response.headers["location"]


def test_mfa_is_enrolled_at_first_sign_in_when_required(
    demo_harness: HarnessFactory,
) -> None:
    harness = demo_harness(Settings(_env_file=None, staff_require_mfa=True))  # type: ignore[call-arg]
    harness.add_user("newbie", "coordinator", enrol_mfa=False)
    client = harness.client()
    response = post_sign_in(client, "newbie", PASSWORD)
    assert response.headers["location"] == "/staff/mfa/setup"
    assert client.get("/staff/today").headers["location"] == "/staff/mfa/setup"
    setup = client.get("/staff/mfa/setup").text
    assert "<svg" in setup and 'aria-label="QR code to scan' in setup
    secret = setup.split('name="secret" value="')[1].split('"')[0]
    wrong = client.post(
        "/staff/mfa/setup", data={"secret": secret, "code": "123456", "csrf_token": csrf_of(setup)}
    )
    assert wrong.status_code == 400
    done = client.post(
        "/staff/mfa/setup",
        data={
            "secret": secret,
            "code": pyotp.TOTP(secret).at(harness.clock()),
            "csrf_token": csrf_of(wrong.text),
        },
    )
    assert done.status_code == 200 and "shown only now" in done.text
    codes = done.text.split('aria-label="Recovery codes">')[1].split("</ul>")[0]
    recovery = [c.split("</li>")[0] for c in codes.split("<li>")[1:]]
    assert len(recovery) == 10
    assert client.get("/staff/today").status_code == 200
    # a recovery code signs in once
    other = harness.client()
    post_sign_in(other, "newbie", PASSWORD)
    page = other.get("/staff/sign-in/code")
    used = other.post(
        "/staff/sign-in/code", data={"code": recovery[0].upper(), "csrf_token": csrf_of(page.text)}
    )
    assert used.status_code == 200 and "9</strong> left" in used.text
    third = harness.client()
    post_sign_in(third, "newbie", PASSWORD)
    page = third.get("/staff/sign-in/code")
    again = third.post(
        "/staff/sign-in/code", data={"code": recovery[0], "csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 401
    actions = audit_actions(harness)
    assert "staff.mfa_enrolled" in actions and "staff.sign_in_failed" in actions


def test_without_required_mfa_a_password_is_enough_in_development(
    demo_harness: HarnessFactory,
) -> None:
    harness = demo_harness()
    harness.add_user("devuser", "clinician", enrol_mfa=False)
    client = harness.client()
    response = post_sign_in(client, "devuser", PASSWORD)
    assert response.headers["location"] == "/staff/"
    assert "Set up two-step sign-in" in client.get("/staff/account").text


def test_production_cookies_are_secure_and_headers_strict(demo_harness: HarnessFactory) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, env="production", staff_secret_key="k" * 40
    )
    harness = demo_harness(settings)
    client = harness.client(https=True)
    page = client.get("/staff/sign-in")
    headers = page.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert "<script>" not in page.text and " on" not in page.text.replace(" one", "")
    response = client.post(
        "/staff/sign-in",
        data={"username": "coordinator", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert "Path=/staff" in cookie
    # production asks for the second factor even of a user who never set one up
    harness.add_user("fresh", "researcher", enrol_mfa=False)
    fresh = harness.client(https=True)
    assert post_sign_in(fresh, "fresh", PASSWORD).headers["location"] == "/staff/mfa/setup"
    static = client.get("/staff/static/htmx.min.js")
    assert static.status_code == 200 and "content-security-policy" in static.headers


def test_must_change_password_first(harness: ConsoleHarness) -> None:
    with Session(harness.app.db) as s:
        user = s.exec(select(StaffUser).where(StaffUser.username == "clinician")).one()
        user.must_change_password = True
        s.add(user)
        s.commit()
    client = harness.signed_in("clinician")
    assert client.get("/staff/today").headers["location"] == "/staff/account/password"
    page = client.get("/staff/account/password").text
    weak = client.post(
        "/staff/account/password",
        data={"current": PASSWORD, "new": "password1234", "again": "password1234",
              "csrf_token": csrf_of(page)},
    )  # fmt: skip
    assert weak.status_code == 400 and "common passwords" in weak.text
    new = "lantern orbit gravel puzzle"
    done = client.post(
        "/staff/account/password",
        data={"current": PASSWORD, "new": new, "again": new, "csrf_token": csrf_of(weak.text)},
    )
    assert done.status_code == 303
    assert client.get("/staff/today").status_code == 200
    harness.sign_in(harness.client(), "clinician", new)


def test_a_stale_cookie_or_garbage_is_just_signed_out(harness: ConsoleHarness) -> None:
    client = harness.client()
    client.cookies.set(SESSION_COOKIE, "x" * 500)
    assert client.get("/staff/today").status_code == 303
