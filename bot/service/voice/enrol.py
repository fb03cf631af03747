"""Voice enrolment: the patient's number on the voice channel, how they prove who they are, and
the voice consent.

Who is calling is checked by a PIN (kept as an Argon2id hash, a light parameter set: a 4-digit
PIN is protected by the three-attempt limit per call, not by the hash) or, where the program
chose it (`voice_identity_check = "dob4"`), by the last four digits of the date of birth written
year-month-day, that is the month and the day (MMDD). The date of birth is set at enrolment
(`pathbot patient dob`) and is never logged nor said. The consent record carries the version of
the phone script (bot/service/voice/scripts/) or of the recordings the patient agreed to.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.conversation.phone import to_e164
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, ConsentRecord, Patient
from bot.db.voice_models import VoicePin
from bot.service.voice.recordings import recorded_wording
from bot.service.voice.tts import phone_language
from bot.service.voice.wording import wording_for

CHANNEL = "voice"
PIN_DIGITS = 4
PIN_PATTERN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")
IDENTITY_CHECKS = ("pin", "dob4")
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class VoiceEnrolmentError(ValueError):
    """The voice set-up is refused; the message says why, for staff."""


def set_up_voice(
    db: Engine,
    patient_id: int,
    phone: str,
    pin: str | None,
    now: datetime,
    *,
    method: str = "staff",
    identity_check: str = "pin",
    recordings_dir: str | None = None,
    auth_token: str | None = None,
) -> None:
    """Bind `phone` to the patient on the voice channel, with a PIN (or, for "dob4",
    their date of birth on file), and record voice consent to the script or recordings of their
    language (`recordings_dir`: the clinic's, for a language Twilio cannot speak)."""
    if identity_check not in IDENTITY_CHECKS:
        raise VoiceEnrolmentError(f"unknown identity check {identity_check!r}")
    if identity_check == "pin" or pin is not None:
        if pin is None or not PIN_PATTERN.fullmatch(pin):
            raise VoiceEnrolmentError(f"the PIN must be {PIN_DIGITS} digits")
        if len(set(pin)) == 1:
            raise VoiceEnrolmentError("the PIN must not be one digit repeated")
    address = to_e164(phone)
    with session_scope(db) as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise VoiceEnrolmentError(f"patient {patient_id} does not exist")
        if identity_check == "dob4" and patient.date_of_birth is None:
            raise VoiceEnrolmentError(
                "the program checks callers by date of birth and this patient has none on file "
                "(pathbot patient dob)"
            )
        version = _consent_version(patient.locale, recordings_dir, auth_token)
        identity = store.find_identity(session, CHANNEL, address)
        if identity is not None and identity.patient_id != patient_id:
            raise VoiceEnrolmentError("this number is another patient's voice number")
        if identity is None:
            identity = ChannelIdentity(
                patient_id=patient_id, channel=CHANNEL, address=address, created_at=now
            )
        identity.status = "active"
        session.add(identity)
        if pin is not None:
            session.merge(
                VoicePin(patient_id=patient_id, pin_hash=_HASHER.hash(pin), created_at=now)
            )
        session.add(
            ConsentRecord(
                patient_id=patient_id,
                channel=CHANNEL,
                address=address,
                text_version=version,
                language=patient.locale,
                method=method,
                granted_at=now,
            )
        )


def _consent_version(locale: str, recordings_dir: str | None, auth_token: str | None) -> str:
    """The version of what the line will say: the script, or the clinic's recordings."""
    spoken = phone_language(locale)
    if spoken is not None and spoken.recorded:
        recorded, why = recorded_wording(locale, recordings_dir, auth_token)
        if recorded is None:
            raise VoiceEnrolmentError(f"no usable phone recordings in {locale!r}: {why}")
        return recorded.version
    script = wording_for(locale)
    if script is None:
        raise VoiceEnrolmentError(f"there is no phone script in {locale!r} yet")
    return script.version


def check_birth_date(value: date, today: date) -> None:
    """A date to come or before 1900 is a typing error, refused."""
    if value > today or value.year < 1900:
        raise VoiceEnrolmentError("the date of birth must be a past date after 1900")


def set_date_of_birth(db: Engine, patient_id: int, value: date, today: date) -> None:
    """Record (or correct) a patient's date of birth."""
    check_birth_date(value, today)
    with session_scope(db) as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise VoiceEnrolmentError(f"patient {patient_id} does not exist")
        patient.date_of_birth = value
        session.add(patient)


def dob_matches(session: Session, patient_id: int, digits: str) -> bool:
    """The caller's four digits against the month and day of birth (MMDD), in constant time."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.date_of_birth is None or not PIN_PATTERN.fullmatch(digits):
        return False
    born = patient.date_of_birth
    return hmac.compare_digest(f"{born.month:02d}{born.day:02d}", digits)


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
