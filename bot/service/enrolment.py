"""Inviting an enrolled patient to a channel: one inviter per channel, listed in INVITERS.

An inviter creates what the channel needs (a one-time Telegram link, an SMS opt-in message) and
returns lines for staff to read; it must record nothing as consent: consent is recorded when
the patient accepts (Telegram /start <code>, SMS confirmation reply).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import qrcode
from sqlmodel import Session

from bot.db.database import session_scope
from bot.db.invites import DEFAULT_TTL, issue_code
from bot.db.models import Patient
from bot.db.private_files import make_private_dir, open_private
from bot.service import sms_optin
from bot.service.app import App
from bot.service.settings import Settings, SettingsError


@dataclass(frozen=True)
class InviteRequest:
    app: App
    patient: Patient
    out_dir: Path  # where files for staff (a QR-code PNG) may be written


Inviter = Callable[[InviteRequest], list[str]]

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class TelegramInvite:
    link: str  # holds the one-time code: show it once, never store it
    expires_at: datetime


def new_telegram_invite(app: App, patient_id: int) -> TelegramInvite:
    """A fresh one-time deep link for the patient, in its own transaction."""
    with session_scope(app.db) as session:
        return new_telegram_invite_in(session, app.settings, patient_id, app.pipeline.now())


def new_telegram_invite_in(
    session: Session, settings: Settings, patient_id: int, now: datetime
) -> TelegramInvite:
    """new_telegram_invite inside the caller's transaction (the staff console's)."""
    username = (settings.telegram_bot_username or "").lstrip("@")
    if not username:
        raise SettingsError("PATHBOT_TELEGRAM_BOT_USERNAME is not set (the bot's @name)")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"patient #{patient_id} does not exist")
    code = issue_code(session, patient=patient, channel="telegram", now=now)
    return TelegramInvite(telegram_link(username, code), now + DEFAULT_TTL)


def telegram_link(username: str, code: str) -> str:
    return f"https://t.me/{username.lstrip('@')}?start={code}"


def invite_to_telegram(request: InviteRequest) -> list[str]:
    """A one-time deep link for the patient, printed and written as a QR-code PNG."""
    invite = new_telegram_invite(request.app, request.patient.id or 0)
    make_private_dir(request.out_dir)  # the QR code is a working link to a patient's record
    safe_id = _UNSAFE_FILENAME.sub("_", request.patient.study_id)
    path = Path(request.out_dir) / f"telegram-invite-{safe_id}.png"
    with open_private(path, "wb") as out:
        qrcode.make(invite.link).save(out)
    expires = invite.expires_at.date().isoformat()
    return [invite.link, f"QR code: {path}", f"valid once, until {expires}"]


def invite_to_sms(request: InviteRequest) -> list[str]:
    """`pathbot patient invite P --channel sms`: queue the opt-in text for the dispatcher."""
    app = request.app
    # InviteRefused (no phone number, opted out) reaches the caller: it is an error, not news.
    sms_optin.queue_invite(app.db, app.program, request.patient.id or 0, app.pipeline.now())
    return [
        f"SMS opt-in message queued for {request.patient.study_id}; `pathbot run` sends it.",
        "Nothing else is sent until the patient replies START.",
    ]


INVITERS: dict[str, Inviter] = {"telegram": invite_to_telegram, "sms": invite_to_sms}
