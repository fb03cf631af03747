"""Sign-in in two steps (password, then a TOTP or recovery code), MFA enrolment with a QR code,
recovery codes shown once, password change, sign out and sign out everywhere.

Each step of sign-in rotates the session (a new token and cookie); a half signed-in session can
only reach the next step. Every outcome is audited (bot/clinic/staff/signin.py).
"""

from __future__ import annotations

import re

from starlette.responses import Response

from bot.clinic.staff import accounts, mfa, sessions, signin
from bot.clinic.staff.passwords import WeakPassword, verify_password
from bot.clinic.staff.roles import Permission, may
from bot.web.qr import qr_svg
from bot.web.routes import Access, Page, StaffRoute

_BASE32_SECRET = re.compile(r"^[A-Z2-7]{32}$")


def home(page: Page) -> Response:
    """The first screen this role may see."""
    role = page.user.role
    for permission, name in (
        (Permission.SEE_TODAY, "today"),
        (Permission.SEE_PATIENTS, "patients"),
        (Permission.MANAGE_USERS, "users"),
    ):
        if may(role, permission):
            return page.redirect(name)
    return page.redirect("account")


def sign_in_form(page: Page) -> Response:
    if page.live is not None and page.live.row.stage == "full":
        return _after_sign_in(page)
    return page.render("auth/sign_in.html", error=None, username="", next=_next(page))


def sign_in(page: Page) -> Response:
    username = page.form.get("username", "")
    try:
        user = signin.check_password(
            page.db,
            username=username,
            password=page.form.get("password", ""),
            address=page.address,
            now=page.now,
            policy=page.console.throttle,
        )
    except signin.SignInRefused as refused:
        status = 429 if refused.retry_after else 401
        return page.render(
            "auth/sign_in.html", status=status, error=str(refused), username=username,
            next=_next(page),
        )  # fmt: skip
    if user.mfa_secret:
        page.start_session(user, "mfa")
        return _go(page, "sign_in_code")
    if page.console.app.settings.staff_mfa_required:
        page.start_session(user, "enrol")
        return _go(page, "mfa_setup")
    page.start_session(user, "full")
    signin.signed_in(page.db, user, address=page.address, via="password only", now=page.now)
    return _after_sign_in(page)


def code_form(page: Page) -> Response:
    stage = _stage(page)
    if stage != "mfa":
        return page.redirect("mfa_setup" if stage == "enrol" else "home")
    return page.render("auth/code.html", error=None, next=_next(page))


def check_code(page: Page) -> Response:
    if _stage(page) != "mfa":
        return page.redirect("home")
    user = page.user
    try:
        how = signin.check_code(
            page.db,
            user=user,
            code=page.form.get("code", ""),
            address=page.address,
            now=page.now,
            policy=page.console.throttle,
        )
    except signin.SignInRefused as refused:
        # a lock-out ends the half session too: the next try starts at the password again
        if refused.retry_after:
            page.end_session()
        status = 429 if refused.retry_after else 401
        return page.render("auth/code.html", status=status, error=str(refused), next=_next(page))
    page.start_session(user, "full")
    signin.signed_in(page.db, user, address=page.address, via=how, now=page.now)
    if how == "recovery":
        left = mfa.recovery_codes_left(page.db, user.id or 0)
        return page.render("auth/recovery_used.html", left=left, next=_next(page) or "")
    return _after_sign_in(page)


def mfa_setup_form(page: Page) -> Response:
    if _stage(page) == "mfa":
        return page.redirect("sign_in_code")
    if page.user.mfa_secret:
        return page.redirect("account")
    return _setup_page(page, mfa.new_secret(), error=None)


def mfa_setup(page: Page) -> Response:
    if _stage(page) == "mfa":
        return page.redirect("sign_in_code")
    user = page.user
    if user.mfa_secret:
        return page.redirect("account")
    secret = page.form.get("secret", "")
    if not _BASE32_SECRET.match(secret):
        return _setup_page(page, mfa.new_secret(), error="The set-up expired. Scan this new code.")
    if not mfa.confirm_enrolment(user, secret, page.form.get("code", ""), page.now):
        return _setup_page(
            page, secret, error="That code does not match. Check the app and the phone's clock."
        )
    page.db.add(user)
    codes = mfa.new_recovery_codes(page.db, user, page.now)
    was_enrolling = _stage(page) == "enrol"
    page.start_session(user, "full")  # rotate at the change of factor, whatever the stage was
    page.record("staff.mfa_enrolled", "staff", user.username)
    if was_enrolling:
        signin.signed_in(page.db, user, address=page.address, via="totp (enrolment)", now=page.now)
    return page.render("auth/recovery_codes.html", codes=codes, first_time=True)


def _setup_page(page: Page, secret: str, *, error: str | None) -> Response:
    uri = mfa.provisioning_uri(secret, username=page.user.username)
    qr = qr_svg(uri, label="QR code to scan with an authenticator app")
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return page.render(
        "auth/mfa_setup.html", secret=secret, spaced_secret=spaced, qr=qr, error=error,
        status=200 if error is None else 400,
    )  # fmt: skip


def account(page: Page) -> Response:
    user = page.user
    return page.render(
        "auth/account.html",
        active="account",
        live_sessions=sessions.live_sessions(page.db, user.id or 0, page.now),
        current_session_id=page.live.row.id if page.live else None,
        codes_left=mfa.recovery_codes_left(page.db, user.id or 0) if user.mfa_secret else 0,
    )


def new_recovery_codes(page: Page) -> Response:
    user = page.user
    if not user.mfa_secret:
        return page.redirect("mfa_setup")
    codes = mfa.new_recovery_codes(page.db, user, page.now)
    page.record("staff.recovery_codes", "staff", user.username)
    return page.render("auth/recovery_codes.html", codes=codes, first_time=False)


def password_change(page: Page) -> Response:
    user = page.user
    if page.request.method == "GET":
        return page.render("auth/password.html", active="account", error=None)
    if not verify_password(user.password_hash, page.form.get("current", "")):
        error = "Your current password is not right."
    elif page.form.get("new", "") != page.form.get("again", ""):
        error = "The two new passwords differ."
    else:
        try:
            accounts.set_password(
                page.db, user=user, password=page.form.get("new", ""), must_change=False,
                actor=user.username, now=page.now,
            )  # fmt: skip
        except WeakPassword as exc:
            error = f"Choose another password: {exc}."
        else:
            page.live = None  # set_password revoked every session, this one included
            page.start_session(user, "full")
            return page.redirect("account", _query={"notice": "password-changed"})
    return page.render("auth/password.html", active="account", error=error, status=400)


def sign_out(page: Page) -> Response:
    if page.live is not None:
        page.record("staff.sign_out", "staff", page.user.username)
        page.console.simulators.close(page.user.username)  # the sandbox ends with the session
    page.end_session()
    return page.redirect("sign_in", _query={"notice": "signed-out"})


def sign_out_everywhere(page: Page) -> Response:
    user = page.user
    count = sessions.revoke_all(page.db, user.id or 0, page.now)
    page.record("staff.sign_out_everywhere", "staff", user.username, sessions=count)
    page.console.simulators.close(user.username)
    page.end_session()
    return page.redirect("sign_in", _query={"notice": "signed-out-everywhere"})


def _stage(page: Page) -> str:
    return page.live.row.stage if page.live is not None else ""


def _next(page: Page) -> str:
    """Where to go after sign-in: only a path inside the console (no open redirect)."""
    wanted = page.form.get("next") or page.request.query_params.get("next") or ""
    prefix = page.url("home").rstrip("/") + "/"
    if wanted.startswith(prefix) and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return ""


def _go(page: Page, name: str) -> Response:
    nxt = _next(page)
    return page.redirect(name, _query={"next": nxt} if nxt else None)


def _after_sign_in(page: Page) -> Response:
    nxt = _next(page)
    if nxt:
        from starlette.responses import RedirectResponse

        return RedirectResponse(nxt, status_code=303)
    return page.redirect("home")


ROUTES = [
    StaffRoute("/", "home", home, Access.SIGNED_IN),
    StaffRoute("/sign-in", "sign_in", sign_in_form, Access.PUBLIC),
    StaffRoute("/sign-in", "sign_in_submit", sign_in, Access.PUBLIC, ("POST",)),
    StaffRoute("/sign-in/code", "sign_in_code", code_form, Access.HALF_SIGNED_IN),
    StaffRoute(
        "/sign-in/code", "sign_in_code_submit", check_code, Access.HALF_SIGNED_IN, ("POST",)
    ),
    StaffRoute("/mfa/setup", "mfa_setup", mfa_setup_form, Access.HALF_SIGNED_IN),
    StaffRoute("/mfa/setup", "mfa_setup_submit", mfa_setup, Access.HALF_SIGNED_IN, ("POST",)),
    StaffRoute("/account", "account", account, Access.SIGNED_IN),
    StaffRoute(
        "/account/recovery-codes",
        "recovery_codes",
        new_recovery_codes,
        Access.SIGNED_IN,
        ("POST",),
    ),  # fmt: skip
    StaffRoute(
        "/account/password", "password_change", password_change, Access.SIGNED_IN, ("GET", "POST")
    ),  # fmt: skip
    StaffRoute("/sign-out", "sign_out", sign_out, Access.HALF_SIGNED_IN, ("POST",)),
    StaffRoute(
        "/sign-out-everywhere",
        "sign_out_everywhere",
        sign_out_everywhere,
        Access.SIGNED_IN,
        ("POST",),
    ),  # fmt: skip
]
