"""Inviting an enrolled patient to a channel. Each channel module registers its inviter here.

An inviter creates what the channel needs (a one-time Telegram link, an SMS opt-in message) and
returns lines for staff to read; it must record nothing as consent: consent is recorded when
the patient accepts (Telegram /start <code>, SMS confirmation reply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.db.models import Patient
from bot.service.app import App


@dataclass(frozen=True)
class InviteRequest:
    app: App
    patient: Patient
    out_dir: Path  # where files for staff (a QR-code PNG) may be written


Inviter = Callable[[InviteRequest], list[str]]

INVITERS: dict[str, Inviter] = {}


def register_inviter(channel: str, inviter: Inviter) -> None:
    INVITERS[channel] = inviter
