"""One-time, expiring enrolment codes: created by staff, redeemed once by the patient.

A code is 128 random bits in the URL-safe alphabet Telegram allows in a deep link
(`[A-Za-z0-9_-]`, at most 64 characters). Only its hash is stored.

Redemption attempts from addresses that are not enrolled are throttled, per chat and in total,
before any code is looked at: at most `ATTEMPTS_PER_CHAT_PER_HOUR` from one chat and
`ATTEMPTS_PER_HOUR` from all chats together on a channel. So an attacker gets at most 60 guesses
an hour, about 526,000 a year, however many chats they use; with a thousand live codes among 2^128
the chance that any guess in a year hits one is about 1.5e-30. The total limit also bounds the
work a flood of guesses can cause (a legitimate patient's link is refused until the hour passes,
and staff are told).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db.invite_models import EnrolmentCode
from bot.db.models import InboundMessage, Patient

DEFAULT_TTL = timedelta(days=14)
_MAX_CODE_CHARS = 64
ATTEMPTS_PER_CHAT_PER_HOUR = 5
ATTEMPTS_PER_HOUR = 60
ATTEMPT_PREFIX = "/start"  # how a redemption attempt is stored (Telegram's deep link)

Throttle = Literal["chat", "total"]

RedeemStatus = Literal["ok", "used", "expired", "revoked", "unknown"]


@dataclass(frozen=True)
class Redemption:
    status: RedeemStatus
    patient: Patient | None = None


def issue_code(
    session: Session,
    *,
    patient: Patient,
    channel: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A fresh code for `patient` on `channel`, revoking every earlier unused one; the caller
    shows it once and it is never stored.

    The only way a code is made (tests/test_invite_privacy.py holds every issuer to it): with
    two live codes, a second chat could redeem a lost or forwarded one for the same patient
    and read their history."""
    assert patient.id is not None
    revoke_codes(session, patient_id=patient.id, channel=channel, now=now)
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
    if row.revoked_at is not None:
        return Redemption("revoked")
    if row.expires_at <= now:
        return Redemption("expired")
    row.used_at = now
    row.used_by_address = address
    session.add(row)
    return Redemption("ok", session.get(Patient, row.patient_id))


def live_code(
    session: Session, *, code: str, patient_id: int, channel: str, now: datetime
) -> EnrolmentCode | None:
    """The patient's unused, unexpired code row for `code` (to print a handout of it), or None."""
    code = code.strip()
    if not code or len(code) > _MAX_CODE_CHARS:
        return None
    row = session.exec(
        select(EnrolmentCode).where(
            EnrolmentCode.code_hash == hash_code(code),
            EnrolmentCode.patient_id == patient_id,
            EnrolmentCode.channel == channel,
        )
    ).first()
    if row is None or row.used_at is not None or row.revoked_at is not None:
        return None
    return None if row.expires_at <= now else row


def revoke_codes(session: Session, *, patient_id: int, channel: str, now: datetime) -> int:
    """Revoke the patient's unused, unexpired codes on `channel`; returns how many."""
    rows = session.exec(
        select(EnrolmentCode)
        .where(
            EnrolmentCode.patient_id == patient_id,
            EnrolmentCode.channel == channel,
            col(EnrolmentCode.used_at).is_(None),
            col(EnrolmentCode.revoked_at).is_(None),
            col(EnrolmentCode.expires_at) > now,
        )
        .with_for_update()
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    session.flush()
    return len(rows)


def redact_code(text: str, code: str) -> str:
    """`text` with the code replaced by a short prefix of its hash: what is stored of an
    enrolment attempt, so a database reader cannot redeem the code (staff can still match the
    attempt to its code row by the hash)."""
    code = code.strip()
    if not code:
        return text
    return text.replace(code, f"<code sha256:{hash_code(code)[:12]}>")


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def throttled(session: Session, *, channel: str, address: str, now: datetime) -> Throttle | None:
    """Whether a redemption attempt from `address` must be refused unread: "chat" when this
    chat, "total" when all chats together have used the hour's attempts (counting this one,
    already stored as an inbound message of no patient)."""
    since = now - timedelta(hours=1)
    attempts = (
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.channel == channel,
            col(InboundMessage.patient_id).is_(None),
            col(InboundMessage.received_at) >= since,
            col(InboundMessage.body).startswith(ATTEMPT_PREFIX),
        )
    )
    from_chat = session.exec(attempts.where(InboundMessage.address == address)).one()
    if from_chat > ATTEMPTS_PER_CHAT_PER_HOUR:
        return "chat"
    if session.exec(attempts).one() > ATTEMPTS_PER_HOUR:
        return "total"
    return None
