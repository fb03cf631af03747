"""Signing in: the password, then the second factor, throttled per account and per address.

Lock-out is counted from the attempts table by user name, whether or not the name exists, so the
answers ("wrong user name or password", "locked for N minutes") never tell a guesser which names
are real. Only a completed sign-in (both factors) or an administrator's unlock starts the count
again: a right password alone does not, or it would buy unlimited guesses at the code.

A refusal is recorded in the caller's session before SignInRefused is raised: catch it inside
the transaction so the failure commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.clinic import audit
from bot.clinic.staff import mfa
from bot.clinic.staff.passwords import hash_password, needs_rehash, verify_password
from bot.db.models import StaffUser
from bot.db.staff_models import SignInAttempt


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 5  # failures in a row that lock an account ...
    lockout: timedelta = timedelta(minutes=15)  # ... for this long after the last one
    address_failures: int = 20  # failures from one address within `window` ...
    window: timedelta = timedelta(minutes=15)  # ... stop that address for the rest of it


class SignInRefused(Exception):
    """Why a sign-in step failed, in words fit to show (they never say whether a name exists)."""

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


WRONG = "Wrong user name or password."


def check_password(
    session: Session,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
) -> StaffUser:
    """The user whose password this is, or SignInRefused (wrong, locked or throttled)."""
    username = normalise_username(username)
    _refuse_if_throttled(session, username=username, address=address, now=now, policy=policy)
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        _fail(session, username=username, address=address, stage="password", now=now)
        raise SignInRefused(WRONG)
    _record(session, username=username, address=address, stage="password", ok=True, now=now)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def check_code(
    session: Session,
    *,
    user: StaffUser,
    code: str,
    address: str,
    now: datetime,
    policy: ThrottlePolicy,
) -> str:
    """'totp' or 'recovery' for a good second factor; SignInRefused otherwise."""
    _refuse_if_throttled(session, username=user.username, address=address, now=now, policy=policy)
    how = None
    if mfa.verify_totp(user, code, now):
        how = "totp"
    elif mfa.use_recovery_code(session, user, code, now):
        how = "recovery"
    if how is None:
        _fail(session, username=user.username, address=address, stage="mfa", now=now)
        raise SignInRefused("That code is not right (or was already used). Try the next one.")
    session.add(user)
    _record(session, username=user.username, address=address, stage="mfa", ok=True, now=now)
    return how


def signed_in(session: Session, user: StaffUser, *, address: str, via: str, now: datetime) -> None:
    """Note a completed sign-in on the user and in the audit log."""
    user.last_sign_in_at = now
    session.add(user)
    _record(session, username=user.username, address=address, stage="done", ok=True, now=now)
    audit.record(
        session,
        actor=user.username,
        action="staff.sign_in",
        object_type="staff",
        object_id=user.username,
        detail={"address": address, "second_factor": via},
        now=now,
    )


def unlock(session: Session, *, username: str, actor: str, now: datetime) -> None:
    """Start the failure count again (an administrator's unlock)."""
    username = normalise_username(username)
    _record(session, username=username, address="", stage="unlock", ok=True, now=now)
    audit.record(
        session, actor=actor, action="staff.unlock", object_type="staff", object_id=username,
        now=now,
    )  # fmt: skip


def locked_until(
    session: Session, *, username: str, now: datetime, policy: ThrottlePolicy
) -> datetime | None:
    """When the account's lock-out ends, or None when it is not locked."""
    since_success = session.exec(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.username == username,
            col(SignInAttempt.succeeded).is_(True),
            col(SignInAttempt.stage).in_(("done", "unlock")),
        )
    ).one()
    recent = session.exec(
        select(SignInAttempt.at)
        .where(
            SignInAttempt.username == username,
            col(SignInAttempt.succeeded).is_(False),
            col(SignInAttempt.at) > now - policy.lockout,
        )
        .order_by(col(SignInAttempt.at).desc())
        .limit(policy.account_failures)
    ).all()
    recent = [at for at in recent if since_success is None or at > since_success]
    if len(recent) < policy.account_failures:
        return None
    return recent[0] + policy.lockout


def normalise_username(username: str) -> str:
    return username.strip().casefold()[:64]


def _refuse_if_throttled(
    session: Session, *, username: str, address: str, now: datetime, policy: ThrottlePolicy
) -> None:
    until = locked_until(session, username=username, now=now, policy=policy)
    if until is not None:
        raise SignInRefused(
            "Too many failed attempts: this account is locked for a while. Try again later "
            "or ask an administrator to unlock it.",
            retry_after=until - now,
        )
    failures = session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(
            SignInAttempt.address == address,
            col(SignInAttempt.succeeded).is_(False),
            col(SignInAttempt.at) > now - policy.window,
        )
    ).one()
    if failures >= policy.address_failures:
        raise SignInRefused(
            "Too many failed attempts from this network. Wait a few minutes and try again.",
            retry_after=policy.window,
        )


def _fail(session: Session, *, username: str, address: str, stage: str, now: datetime) -> None:
    _record(session, username=username, address=address, stage=stage, ok=False, now=now)
    audit.record(
        session,
        actor=username,
        action="staff.sign_in_failed",
        object_type="staff",
        object_id=username,
        detail={"address": address, "stage": stage},
        now=now,
    )


def _record(
    session: Session, *, username: str, address: str, stage: str, ok: bool, now: datetime
) -> None:
    session.add(
        SignInAttempt(username=username, address=address[:64], stage=stage, succeeded=ok, at=now)
    )
    session.flush()
