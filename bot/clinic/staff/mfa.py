"""The second factor: TOTP (RFC 6238, 30 s, 6 digits, via pyotp) and one-time recovery codes.

A TOTP code is accepted once: the time step it was used in is remembered, so a code read over a
shoulder cannot be replayed in the same minute. Recovery codes are stored as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
from sqlmodel import Session, col, select

from bot.db.models import StaffUser
from bot.db.staff_models import StaffRecoveryCode

ISSUER = "pathbot"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, *, username: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to (now, or one step either side for clock drift)."""
    code = "".join(ch for ch in code if not ch.isspace())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def verify_totp(user: StaffUser, code: str, now: datetime) -> bool:
    """True for a fresh code of the user's enrolled secret; marks its time step as used."""
    if not user.mfa_secret:
        return False
    step = matching_step(user.mfa_secret, code, now)
    if step is None or (user.mfa_last_step is not None and step <= user.mfa_last_step):
        return False
    user.mfa_last_step = step
    return True


def confirm_enrolment(user: StaffUser, secret: str, code: str, now: datetime) -> bool:
    """Enrol `secret` once the person proves their app has it (a code from it)."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    user.mfa_secret = secret
    user.mfa_enrolled_at = now
    user.mfa_last_step = step
    return True


def new_recovery_codes(session: Session, user: StaffUser, now: datetime) -> list[str]:
    """Replace the user's recovery codes with fresh ones; returns them to show once."""
    assert user.id is not None
    _delete_codes(session, user)
    codes = ["-".join(_chunk() for _ in range(3)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(StaffRecoveryCode(user_id=user.id, code_hash=_hash(code), created_at=now))
    session.flush()
    return codes


def use_recovery_code(session: Session, user: StaffUser, code: str, now: datetime) -> bool:
    """True (and the code spent) when it is one of the user's unused codes."""
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(normalised) != 12:
        return False
    wanted = _hash("-".join(normalised[i : i + 4] for i in range(0, 12, 4)))
    row = session.exec(
        select(StaffRecoveryCode).where(
            StaffRecoveryCode.user_id == user.id,
            StaffRecoveryCode.code_hash == wanted,
            col(StaffRecoveryCode.used_at).is_(None),
        )
    ).first()
    if row is None:
        return False
    row.used_at = now
    session.add(row)
    return True


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.exec(
            select(StaffRecoveryCode.id).where(
                StaffRecoveryCode.user_id == user_id, col(StaffRecoveryCode.used_at).is_(None)
            )
        ).all()
    )


def clear(session: Session, user: StaffUser) -> None:
    """Forget the second factor and every recovery code (an administrator's MFA reset)."""
    user.mfa_secret = None
    user.mfa_enrolled_at = None
    user.mfa_last_step = None
    _delete_codes(session, user)


def _delete_codes(session: Session, user: StaffUser) -> None:
    for row in session.exec(select(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id)):
        session.delete(row)
    session.flush()


def _chunk() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()
