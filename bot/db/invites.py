"""One-time, expiring enrolment codes: created by staff, redeemed once by the patient.

A code is 128 random bits in the URL-safe alphabet Telegram allows in a deep link
(`[A-Za-z0-9_-]`, at most 64 characters). Only its hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, select

from bot.db.invite_models import EnrolmentCode
from bot.db.models import Patient

DEFAULT_TTL = timedelta(days=14)
_MAX_CODE_CHARS = 64

RedeemStatus = Literal["ok", "used", "expired", "unknown"]


@dataclass(frozen=True)
class Redemption:
    status: RedeemStatus
    patient: Patient | None = None


def create_code(
    session: Session,
    *,
    patient: Patient,
    channel: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A fresh code for `patient` on `channel`; the caller shows it once and it is never stored."""
    assert patient.id is not None
    code = secrets.token_urlsafe(16)
    session.add(
        EnrolmentCode(
            code_hash=hash_code(code),
            patient_id=patient.id,
            channel=channel,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return code


def redeem_code(
    session: Session, *, code: str, channel: str, address: str, now: datetime
) -> Redemption:
    """Use a code once: ok (and marked used), or why not; a refused code changes nothing."""
    code = code.strip()
    if not code or len(code) > _MAX_CODE_CHARS:
        return Redemption("unknown")
    row = session.exec(
        select(EnrolmentCode)
        .where(EnrolmentCode.code_hash == hash_code(code), EnrolmentCode.channel == channel)
        .with_for_update()
    ).first()
    if row is None:
        return Redemption("unknown")
    if row.used_at is not None:
        return Redemption("used")
    if row.expires_at <= now:
        return Redemption("expired")
    row.used_at = now
    row.used_by_address = address
    session.add(row)
    return Redemption("ok", session.get(Patient, row.patient_id))


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()
