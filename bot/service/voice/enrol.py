"""Voice enrolment: the patient's number on the voice channel, a PIN, and the voice consent.

The PIN is kept as an Argon2id hash (a light parameter set: a 4-digit PIN is protected by the
three-attempt limit per call, not by the hash). The consent record carries the version of the
phone script the patient agreed to (bot/service/voice/scripts/).
"""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.conversation.phone import to_e164
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, ConsentRecord, Patient
from bot.db.voice_models import VoicePin
from bot.service.voice.wording import wording_for

CHANNEL = "voice"
PIN_DIGITS = 4
PIN_PATTERN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class VoiceEnrolmentError(ValueError):
    """The voice set-up is refused; the message says why, for staff."""


def set_up_voice(
    db: Engine, patient_id: int, phone: str, pin: str, now: datetime, *, method: str = "staff"
) -> None:
    """Bind `phone` to the patient on the voice channel with a PIN, and record voice consent."""
    if not PIN_PATTERN.fullmatch(pin):
        raise VoiceEnrolmentError(f"the PIN must be {PIN_DIGITS} digits")
    if len(set(pin)) == 1:
        raise VoiceEnrolmentError("the PIN must not be one digit repeated")
    address = to_e164(phone)
    with session_scope(db) as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise VoiceEnrolmentError(f"patient {patient_id} does not exist")
        script = wording_for(patient.locale)
        if script is None:
            raise VoiceEnrolmentError(f"there is no phone script in {patient.locale!r} yet")
        identity = store.find_identity(session, CHANNEL, address)
        if identity is not None and identity.patient_id != patient_id:
            raise VoiceEnrolmentError("this number is another patient's voice number")
        if identity is None:
            identity = ChannelIdentity(
                patient_id=patient_id, channel=CHANNEL, address=address, created_at=now
            )
        identity.status = "active"
        session.add(identity)
        session.merge(VoicePin(patient_id=patient_id, pin_hash=_HASHER.hash(pin), created_at=now))
        session.add(
            ConsentRecord(
                patient_id=patient_id,
                channel=CHANNEL,
                address=address,
                text_version=script.version,
                language=patient.locale,
                method=method,
                granted_at=now,
            )
        )


def pin_matches(session: Session, patient_id: int, digits: str) -> bool:
    row = session.get(VoicePin, patient_id)
    if row is None or not PIN_PATTERN.fullmatch(digits):
        return False
    try:
        return bool(_HASHER.verify(row.pin_hash, digits))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def stop_calls(session: Session, patient_id: int, address: str, now: datetime) -> None:
    """ "Press 8 to stop calls": the voice channel only; texts and the surveys go on."""
    identity = store.find_identity(session, CHANNEL, address)
    if identity is not None and identity.patient_id == patient_id:
        identity.status = "stopped"
        session.add(identity)
    consents = session.exec(
        select(ConsentRecord).where(
            ConsentRecord.patient_id == patient_id,
            ConsentRecord.channel == CHANNEL,
            col(ConsentRecord.revoked_at).is_(None),
        )
    ).all()
    for consent in consents:
        consent.revoked_at = now
        consent.revoked_via = "keypad"
        session.add(consent)
