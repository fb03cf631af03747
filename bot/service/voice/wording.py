"""What the phone line says, per language: one reviewed script per language (scripts/*.yaml).

Kept apart from the gettext catalogs because a phone script is reviewed, versioned and consented
to as a whole (the consent record carries its version), and because a language has a phone
line only when its script is complete: the loader refuses a script with a missing text or a
changed {placeholder}, and a language without a script gets no phone questions (staff are told).

A script is for a language Twilio speaks (languages.yaml, bot/service/voice/tts.py gives its
<Say> language and voice); a language it cannot speak has recorded prompts instead
(bot/service/voice/recordings.py). Both answer the `PhoneWords` questions the call asks.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.channels.voice.script import Line
from bot.service.voice.tts import phone_language
from surveys.model import Instrument, Item

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
SCALE_OPTIONS = 7  # an item with more options is read as a number range, not option by option

# Every text a script must have, with the placeholders it must use (no more, no fewer).
REQUIRED: dict[str, frozenset[str]] = {
    "welcome": frozenset({"program"}),
    "machine": frozenset({"program", "phone"}),
    "enter_pin": frozenset({"digits"}),
    "pin_wrong": frozenset(),
    "pin_failed": frozenset({"phone"}),
    "enter_dob": frozenset(),
    "dob_wrong": frozenset(),
    "dob_failed": frozenset({"phone"}),
    "survey_intro": frozenset({"title", "count"}),
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


class PhoneWords(Protocol):
    """What a call says in one language: a text script, or the clinic's recordings."""

    @property
    def locale(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def voice(self) -> str | None: ...
    @property
    def speech(self) -> str | None: ...
    @property
    def recorded(self) -> bool: ...

    def say(self, key: str, **values: object) -> Line:
        """A fixed prompt ("welcome", "confirm", ...), its {placeholders} filled in."""
        ...

    def can_ask(self, instrument_id: str, item_id: str) -> bool:
        """Whether this item can be asked in this language on the phone."""
        ...

    def intro(self, instrument: Instrument, lang: str, count: int) -> list[Line]: ...

    def question(
        self, instrument_id: str, item: Item, lang: str, number: int, total: int
    ) -> list[Line]: ...

    def read_back(
        self, instrument_id: str, item: Item, lang: str, code: int, *, heard: bool
    ) -> list[Line]:
        """ "You pressed 7: severe." (before "1 to confirm")."""
        ...

    def not_a_choice(self, answer: str) -> Line: ...

    def language_menu(self, names: list[tuple[int, str]]) -> list[Line]: ...


@dataclass(frozen=True)
class VoiceWording:
    """A text script, said by Twilio's text-to-speech."""

    locale: str
    version: str  # recorded with the voice consent
    language: str  # BCP-47 tag for <Say>
    voice: str | None  # a neural text-to-speech voice, where Twilio has one
    speech: str | None  # BCP-47 tag for speech recognition; None: keys only
    texts: dict[str, str]
    recorded: bool = False

    def say(self, key: str, **values: object) -> str:
        return self.texts[key].format(**values)

    def can_ask(self, instrument_id: str, item_id: str) -> bool:
        return True

    def intro(self, instrument: Instrument, lang: str, count: int) -> list[Line]:
        title = self.say("survey_intro", title=instrument.title[lang], count=count)
        return [line for line in (title, instrument.instructions.get(lang, "")) if line]

    def question(
        self, instrument_id: str, item: Item, lang: str, number: int, total: int
    ) -> list[Line]:
        text = " ".join(t for t in (item.context.get(lang, ""), item.text[lang]) if t)
        lines: list[Line] = [self.say("question", number=number, total=total, text=text)]
        codes = item.codes
        if len(codes) >= SCALE_OPTIONS:
            low, high = min(codes), max(codes)
            lines.append(
                self.say(
                    "scale",
                    low=low,
                    high=high,
                    low_label=label(item, low, lang),
                    high_label=label(item, high, lang),
                )
            )
            if high >= 10:
                keys = str(high)
                lines.append(self.say("two_digits", high=high, first=keys[0], second=keys[1]))
        else:
            lines.extend(
                self.say("option", label=label(item, code, lang), code=code) for code in codes
            )
        return lines

    def read_back(
        self, instrument_id: str, item: Item, lang: str, code: int, *, heard: bool
    ) -> list[Line]:
        name = label(item, code, lang)
        verb = "heard" if heard else "pressed"
        if name == str(code):
            return [self.say(verb, code=code)]
        return [self.say(f"{verb}_label", code=code, label=name)]

    def not_a_choice(self, answer: str) -> Line:
        return self.say("not_a_choice", answer=answer)

    def language_menu(self, names: list[tuple[int, str]]) -> list[Line]:
        return [self.say("language_option", name=name, code=n) for n, name in names]


def label(item: Item, code: int, lang: str) -> str:
    option = item.option_by_code(code)
    assert option is not None
    return option.label.get(lang) or str(code)


def load_script(path: Path) -> VoiceWording:
    """Read and check one script file; VoiceScriptError names what is wrong."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VoiceScriptError(f"{path.name}: cannot be read ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        raise VoiceScriptError(f"{path.name}: expected version and texts")
    if not isinstance(data.get("version"), str) or not data["version"]:
        raise VoiceScriptError(f"{path.name}: version is missing")
    spoken = phone_language(path.stem)
    if spoken is None or spoken.say is None:
        raise VoiceScriptError(
            f"{path.name}: Twilio has no text-to-speech for {path.stem!r} (languages.yaml); "
            "its calls use recorded prompts"
        )
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
    return VoiceWording(
        locale=path.stem,
        version=data["version"],
        language=spoken.say,
        voice=spoken.voice,
        speech=spoken.speech,
        texts=texts,
    )


@lru_cache(maxsize=16)
def wording_for(locale: str) -> VoiceWording | None:
    """The phone script of a language; None when the language has none."""
    path = SCRIPTS_DIR / f"{locale}.yaml"
    return load_script(path) if path.exists() else None


def available_locales() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCRIPTS_DIR.glob("*.yaml")))
