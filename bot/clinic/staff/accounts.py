"""Staff accounts: add, list, disable and enable, change role, reset MFA, set a password.

Every change is audited in the same transaction; disabling, a new password and an MFA reset also
sign the person out everywhere. The last active administrator cannot be disabled or demoted, so
there is always someone who can let the others back in.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clinic import audit
from bot.clinic.staff import mfa, sessions
from bot.clinic.staff.passwords import check_strength, hash_password
from bot.clinic.staff.roles import ROLES
from bot.clinic.staff.signin import normalise_username
from bot.db.models import StaffUser

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class StaffError(ValueError):
    """A staff-account change is refused; the message says why."""


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    must_change_password: bool = False,
    actor: str,
    now: datetime,
) -> StaffUser:
    username = normalise_username(username)
    if not _USERNAME.match(username):
        raise StaffError(
            "user names are 2-63 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if find_user(session, username) is not None:
        raise StaffError(f"user {username} already exists")
    check_strength(password, username=username)
    user = StaffUser(
        username=username,
        display_name=display_name.strip()[:200],
        password_hash=hash_password(password),
        role=role,
        active=True,
        created_at=now,
        must_change_password=must_change_password,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "staff.add", username, {"role": role}, now)
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    ).first()


def get_user(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise StaffError(f"no staff user {normalise_username(username)}")
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.username))))


def set_active(
    session: Session, *, username: str, active: bool, actor: str, now: datetime
) -> StaffUser:
    user = get_user(session, username)
    if not active and user.role == "administrator":
        _keep_an_administrator(session, user)
    user.active = active
    session.add(user)
    if not active:
        sessions.revoke_all(session, _id(user), now)
    _audit(session, actor, "staff.enable" if active else "staff.disable", user.username, {}, now)
    return user


def set_role(session: Session, *, username: str, role: str, actor: str, now: datetime) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    user = get_user(session, username)
    if user.role == "administrator" and role != "administrator":
        _keep_an_administrator(session, user)
    before = user.role
    user.role = role
    session.add(user)
    # what a session may do is read from the role on every request: no sign-out needed
    _audit(session, actor, "staff.role", user.username, {"from": before, "to": role}, now)
    return user


def reset_mfa(session: Session, *, username: str, actor: str, now: datetime) -> StaffUser:
    """Forget the user's second factor; they enrol again at their next sign-in."""
    user = get_user(session, username)
    mfa.clear(session, user)
    session.add(user)
    sessions.revoke_all(session, _id(user), now)
    _audit(session, actor, "staff.reset_mfa", user.username, {}, now)
    return user


def set_password(
    session: Session,
    *,
    user: StaffUser,
    password: str,
    must_change: bool,
    actor: str,
    now: datetime,
) -> None:
    """A new password; every session of the user is revoked (the caller starts a new one)."""
    check_strength(password, username=user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = now
    session.add(user)
    sessions.revoke_all(session, _id(user), now)
    _audit(session, actor, "staff.password", user.username, {"must_change": must_change}, now)


def _keep_an_administrator(session: Session, leaving: StaffUser) -> None:
    others = session.exec(
        select(StaffUser.id).where(
            StaffUser.role == "administrator",
            col(StaffUser.active).is_(True),
            StaffUser.id != leaving.id,
        )
    ).first()
    if others is None:
        raise StaffError(
            f"{leaving.username} is the last active administrator; make another one first"
        )


def _audit(
    session: Session, actor: str, action: str, username: str, detail: dict[str, str | bool],
    now: datetime,
) -> None:  # fmt: skip
    audit.record(
        session, actor=actor, action=action, object_type="staff", object_id=username,
        detail=detail, now=now,
    )  # fmt: skip


def _id(user: StaffUser) -> int:
    assert user.id is not None
    return user.id
