"""What the phone line says, per language: one reviewed script per language (scripts/*.yaml).

Kept apart from the gettext catalogs because a phone script is reviewed, versioned and consented
to as a whole (the consent record carries its version), and because a language has a phone
line only when its script is complete: the loader refuses a script with a missing text or a
changed {placeholder}, and a language without a script gets no phone questions (staff are told).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"

# Every text a script must have, with the placeholders it must use (no more, no fewer).
REQUIRED: dict[str, frozenset[str]] = {
    "welcome": frozenset({"program"}),
    "machine": frozenset({"program", "phone"}),
    "enter_pin": frozenset({"digits"}),
    "pin_wrong": frozenset(),
    "pin_failed": frozenset({"phone"}),
    "stranger": frozenset({"program", "phone"}),
    "stopped": frozenset({"phone"}),
    "keys": frozenset(),
    "question": frozenset({"number", "total", "text"}),
    "scale": frozenset({"low", "high", "low_label", "high_label"}),
    "two_digits": frozenset({"high", "first", "second"}),
    "option": frozenset({"label", "code"}),
    "pressed": frozenset({"code"}),
    "pressed_label": frozenset({"code", "label"}),
    "heard": frozenset({"code"}),
    "heard_label": frozenset({"code", "label"}),
    "confirm": frozenset(),
    "again_crisis": frozenset(),
    "again_stop": frozenset(),
    "again_pause": frozenset(),
    "saved": frozenset(),
    "skipped": frozenset(),
    "not_a_choice": frozenset({"answer"}),
    "not_understood": frozenset(),
    "silence": frozenset(),
    "silence_goodbye": frozenset(),
    "paused": frozenset(),
    "calls_stopped": frozenset(),
    "crisis": frozenset(),
    "after_dial": frozenset(),
    "holding": frozenset(),
    "nothing_due": frozenset(),
    "done": frozenset(),
    "language_option": frozenset({"name", "code"}),
    "offer": frozenset(),
    "help": frozenset({"phone"}),
}


class VoiceScriptError(ValueError):
    """A phone script is incomplete or malformed; the message names the file and the text."""


@dataclass(frozen=True)
class VoiceWording:
    locale: str
    version: str  # recorded with the voice consent
    language: str  # BCP-47 tag for <Say> and speech recognition
    voice: str | None  # a neural text-to-speech voice, where Twilio has one
    texts: dict[str, str]

    def say(self, key: str, **values: object) -> str:
        return self.texts[key].format(**values)


def load_script(path: Path) -> VoiceWording:
    """Read and check one script file; VoiceScriptError names what is wrong."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VoiceScriptError(f"{path.name}: cannot be read ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        raise VoiceScriptError(f"{path.name}: expected version, language, voice and texts")
    for field in ("version", "language"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise VoiceScriptError(f"{path.name}: {field} is missing")
    texts: dict[str, str] = {}
    for key, wanted in REQUIRED.items():
        text = data["texts"].get(key)
        if not isinstance(text, str) or not text.strip():
            raise VoiceScriptError(f"{path.name}: text {key!r} is missing")
        found = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        if found != wanted:
            raise VoiceScriptError(
                f"{path.name}: text {key!r} must use {sorted(wanted)}, not {sorted(found)}"
            )
        texts[key] = text
    unknown = set(data["texts"]) - set(REQUIRED)
    if unknown:
        raise VoiceScriptError(f"{path.name}: unknown texts {sorted(unknown)}")
    voice = data.get("voice")
    return VoiceWording(
        locale=path.stem,
        version=data["version"],
        language=data["language"],
        voice=voice if isinstance(voice, str) and voice else None,
        texts=texts,
    )


@lru_cache(maxsize=16)
def wording_for(locale: str) -> VoiceWording | None:
    """The phone script of a language; None when the language has none."""
    path = SCRIPTS_DIR / f"{locale}.yaml"
    return load_script(path) if path.exists() else None


def available_locales() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCRIPTS_DIR.glob("*.yaml")))
