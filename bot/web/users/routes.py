"""Users and roles: the table of what each role may do, and every account with its state; add a
user (with a one-time password they must change), change a role, disable or enable, reset MFA,
unlock. The same functions as `pathbot staff` (bot/clinic/staff/accounts.py)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session
from starlette.responses import Response

from bot.clinic.staff import accounts, mfa, signin
from bot.clinic.staff.passwords import WeakPassword
from bot.clinic.staff.roles import ROLE_PERMISSIONS, ROLES, Permission
from bot.web.routes import Page, StaffRoute


def users_page(page: Page, *, error: str | None = None, status: int = 200) -> Response:
    users = accounts.list_users(page.db)
    rows = [
        {
            "user": u,
            "locked_until": signin.locked_until(
                page.db, username=u.username, now=page.now, policy=page.console.throttle
            ),
            "codes": mfa.recovery_codes_left(page.db, u.id or 0) if u.mfa_secret else 0,
        }
        for u in users
    ]
    return page.render(
        "users/users.html", active="users", rows=rows, roles=ROLES,
        permissions=list(Permission), role_permissions=ROLE_PERMISSIONS, error=error,
        status=status,
    )  # fmt: skip


def show(page: Page) -> Response:
    return users_page(page)


def add(page: Page) -> Response:
    f = page.form
    try:
        accounts.add_user(
            page.db,
            username=f.get("username", ""),
            role=f.get("role", ""),
            password=f.get("password", ""),
            display_name=f.get("display_name", ""),
            must_change_password=True,
            actor=page.actor,
            now=page.now,
        )
    except (accounts.StaffError, WeakPassword) as exc:
        return users_page(page, error=f"User not added: {exc}.", status=400)
    return page.redirect("users", _query={"notice": "user-added"})


def set_role(page: Page) -> Response:
    role = page.form.get("role", "")
    return _change(page, lambda db, name: accounts.set_role(
        db, username=name, role=role, actor=page.actor, now=page.now))  # fmt: skip


def set_active(page: Page) -> Response:
    active = page.form.get("active") == "1"
    return _change(page, lambda db, name: accounts.set_active(
        db, username=name, active=active, actor=page.actor, now=page.now))  # fmt: skip


def reset_mfa(page: Page) -> Response:
    return _change(page, lambda db, name: accounts.reset_mfa(
        db, username=name, actor=page.actor, now=page.now))  # fmt: skip


def unlock(page: Page) -> Response:
    def do(db: Session, name: str) -> object:
        user = accounts.get_user(db, name)
        signin.unlock(db, username=user.username, actor=page.actor, now=page.now)
        return user

    return _change(page, do)


def _change(page: Page, change: Callable[[Session, str], object]) -> Response:
    username = page.request.path_params["username"]
    try:
        change(page.db, username)
    except accounts.StaffError as exc:
        return users_page(page, error=f"Not changed: {exc}.", status=400)
    return page.redirect("users", _query={"notice": "user-changed"})


ROUTES = [
    StaffRoute("/users", "users", show, Permission.MANAGE_USERS),
    StaffRoute("/users", "user_add", add, Permission.MANAGE_USERS, ("POST",)),
    StaffRoute("/users/{username}/role", "user_role", set_role, Permission.MANAGE_USERS,
               ("POST",)),
    StaffRoute("/users/{username}/active", "user_active", set_active, Permission.MANAGE_USERS,
               ("POST",)),
    StaffRoute("/users/{username}/reset-mfa", "user_reset_mfa", reset_mfa,
               Permission.MANAGE_USERS, ("POST",)),
    StaffRoute("/users/{username}/unlock", "user_unlock", unlock, Permission.MANAGE_USERS,
               ("POST",)),
]  # fmt: skip
