"""`pathbot voice-recordings`: check the clinic's recorded prompts before a patient hears them.

Every problem in `PATHBOT_VOICE_RECORDINGS_DIR` is printed with its path (bot/service/voice/
recordings.py checks the folder the same way when a call first needs it), then, per language,
whether it can hold a call and which instruments it can ask. Exit 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CommandError
from bot.service.settings import get_settings
from bot.service.voice.recordings import catalog, clip_key


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "voice-recordings", help="check the recorded phone prompts (PATHBOT_VOICE_RECORDINGS_DIR)"
    )
    cmd.set_defaults(run=run_check)


def run_check(ns: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.voice_recordings_dir:
        raise CommandError("PATHBOT_VOICE_RECORDINGS_DIR is not set")
    token = settings.twilio_auth_token
    found = catalog(
        Path(settings.voice_recordings_dir), clip_key(token.get_secret_value() if token else None)
    )
    for problem in found.problems:
        print(problem, file=sys.stderr)
    for locale, language in sorted(found.languages.items()):
        state = "calls" if language.usable else "NO CALLS (fixed prompts incomplete)"
        asked = ", ".join(sorted(language.instruments)) or "no instrument"
        print(f"{locale}\t{language.version or '-'}\t{state}\t{asked}")
    return 1 if found.problems else 0
