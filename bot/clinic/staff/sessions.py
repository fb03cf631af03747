"""Server-side staff sessions: a random token in the cookie, its SHA-256 in the database.

Revocable (sign-out, sign out everywhere, disable, MFA reset), with an idle and an absolute
time-out, and rotated at every step of sign-in: each step revokes the old row and makes a new
token, so a token planted in a browser before sign-in is worth nothing after it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.db.models import StaffUser
from bot.db.staff_models import StaffSession

STAGES = ("mfa", "enrol", "full")
# last_seen_at is written at most this often: a page view is a read, not a write.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    # Between the password and the code (or enrolment), a short leash.
    half_signed_in: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class LiveSession:
    row: StaffSession
    user: StaffUser


def start(
    session: Session,
    *,
    user: StaffUser,
    stage: str,
    address: str,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[str, StaffSession]:
    """A new session; returns the token for the cookie (shown once, never stored)."""
    assert user.id is not None and stage in STAGES
    token = secrets.token_urlsafe(32)
    lifetime = policy.absolute if stage == "full" else policy.half_signed_in
    row = StaffSession(
        token_hash=hash_token(token),
        user_id=user.id,
        stage=stage,
        csrf_token=secrets.token_urlsafe(32),
        address=address[:64],
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return token, row


def step_up(
    session: Session,
    *,
    current: LiveSession,
    stage: str,
    address: str,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[str, StaffSession]:
    """Rotate: revoke the current session and start one at the next stage."""
    revoke(session, current.row, now)
    return start(session, user=current.user, stage=stage, address=address, now=now, policy=policy)


def find(
    session: Session, token: str | None, now: datetime, policy: SessionPolicy
) -> LiveSession | None:
    """The live session for a cookie's token; None when unknown, revoked, idle or expired."""
    if not token or len(token) > 128:
        return None
    found = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
        .where(StaffSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return LiveSession(row, user)


def revoke(session: Session, row: StaffSession, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def revoke_all(session: Session, user_id: int, now: datetime) -> int:
    """Sign a user out everywhere; returns how many sessions were live."""
    rows = session.exec(
        select(StaffSession).where(
            StaffSession.user_id == user_id, col(StaffSession.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        revoke(session, row, now)
    return len(rows)


def live_sessions(session: Session, user_id: int, now: datetime) -> list[StaffSession]:
    return list(
        session.exec(
            select(StaffSession)
            .where(
                StaffSession.user_id == user_id,
                col(StaffSession.revoked_at).is_(None),
                col(StaffSession.expires_at) > now,
            )
            .order_by(col(StaffSession.created_at).desc())
        )
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
