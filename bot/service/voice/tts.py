"""Which languages Twilio speaks (text-to-speech), with which voice, and which it hears.

The data is languages.yaml beside this module (sources cited there); nothing else reads it. A
language without text-to-speech has calls only from the clinic's recordings
(bot/service/voice/recordings.py); one missing from the table has no phone line at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).resolve().parent / "languages.yaml"


class PhoneLanguageError(ValueError):
    """languages.yaml is malformed; the message names the language and the field."""


@dataclass(frozen=True)
class PhoneLanguage:
    locale: str
    say: str | None  # <Say language>; None: no text-to-speech, recorded prompts
    voice: str | None  # <Say voice>
    speech: str | None  # <Gather language>; None: keys only

    @property
    def recorded(self) -> bool:
        return self.say is None


def phone_language(locale: str) -> PhoneLanguage | None:
    """The phone facts of a language; None when the table does not list it."""
    return _table().get(locale)


def phone_languages() -> dict[str, PhoneLanguage]:
    return dict(_table())


@cache
def _table() -> dict[str, PhoneLanguage]:
    data: Any = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    rows = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(rows, dict):
        raise PhoneLanguageError(f"{TABLE.name}: expected a 'languages' mapping")
    table: dict[str, PhoneLanguage] = {}
    for locale, row in rows.items():
        if not isinstance(row, dict) or set(row) != {"say", "voice", "speech"}:
            raise PhoneLanguageError(f"{TABLE.name}: {locale}: expected say, voice and speech")
        for key in ("say", "voice", "speech"):
            if row[key] is not None and (not isinstance(row[key], str) or not row[key]):
                raise PhoneLanguageError(f"{TABLE.name}: {locale}: {key} must be a tag or null")
        if row["voice"] is not None and row["say"] is None:
            raise PhoneLanguageError(f"{TABLE.name}: {locale}: a voice needs a say language")
        table[str(locale)] = PhoneLanguage(str(locale), row["say"], row["voice"], row["speech"])
    return table
