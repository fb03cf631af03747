"""The clinic's own words per language: program name, help line, help hours, meeting place
(issue 19 point 6).

A clinic writes them in one YAML file named by `PATHBOT_CLINIC_TEXTS_FILE`, one section per
language code (the codes of locales/languages.yaml: Dari is `fa-AF`):

    es:
      program_name: Programa PATH contra el dolor
      help_hours: lunes a viernes, de 8 a 17 h
      location: Sala 2, Clínica del Dolor

Fallback, per text: a language without its own text gets the clinic's English one (the file's
`en` section, else PATHBOT_PROGRAM_NAME, PATHBOT_HELP_PHONE, PATHBOT_HELP_HOURS), because a
patient told the English hours can still call, and one told nothing cannot. `pathbot
translations` lists what each language lacks. In a right-to-left message a text with no
right-to-left letter in it (the English fallback, a place typed in English) is embedded whole
as one left-to-right run, so "8:00 - 17:00" keeps its order (bot/conversation/bidi.py).

`location` is the clinic's usual meeting place as staff type it on cohorts and events (the `en`
text); a reminder whose place is that text shows the patient's language's text. Other places
are shown as typed.

The file is checked when it is loaded (at start): an unknown language code or key, an empty
text, a text over its length, or a file that is not YAML stops the start with the file and the
path of each mistake; nothing falls back to English silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bot.conversation import bidi, language_status
from surveys.errors import InstrumentError
from surveys.yaml_file import read_yaml

FILE_SETTING = "PATHBOT_CLINIC_TEXTS_FILE"
# Each text and the most characters it may have: the program name opens most messages, and an
# SMS question must keep to its segments (bot/conversation/segments.py).
MAX_CHARS = {"program_name": 60, "help_phone": 30, "help_hours": 80, "location": 200}
KEYS = tuple(MAX_CHARS)
# The texts every language has, from the settings when the file gives no English; `location`
# exists only when the file's `en` section names the place.
ALWAYS = ("program_name", "help_phone", "help_hours")
# The texts in words, which a language lacks without its own; a phone number is the same in every
# language unless the clinic has a line per language (then it gives help_phone there).
WORDS = ("program_name", "help_hours", "location")


class ClinicTextsError(ValueError):
    """The clinic texts file is wrong: one line, the file, then the path of each mistake."""


@dataclass(frozen=True)
class ClinicTexts:
    """Texts by language code and key; `english` has every key of ALWAYS."""

    english: Mapping[str, str]
    by_language: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    source: str | None = None  # the file, for reports

    def text(self, key: str, code: str) -> str:
        """`key` in the language `code` as a message places it: the language's own text, or the
        English one (embedded whole in a right-to-left message)."""
        own = self.by_language.get(code, {}).get(key)
        if own is not None:
            return in_message(own, code)
        return in_message(self.english.get(key, ""), code)

    def has(self, key: str, code: str) -> bool:
        return code == "en" or key in self.by_language.get(code, {})

    def keys(self) -> tuple[str, ...]:
        """The texts this clinic has (location only when the English place is given)."""
        return tuple(k for k in KEYS if k in self.english)

    def own(self, code: str) -> tuple[str, ...]:
        """The texts the language `code` has of its own."""
        return tuple(k for k in self.keys() if self.has(k, code))

    def missing(self) -> dict[str, tuple[str, ...]]:
        """Per language other than English, the texts in words it gets in English."""
        out: dict[str, tuple[str, ...]] = {}
        for code in language_status.codes():
            if code == "en":
                continue
            lacking = tuple(k for k in self.keys() if k in WORDS and not self.has(k, code))
            if lacking:
                out[code] = lacking
        return out

    def place(self, place: str, code: str) -> str:
        """An event's place as typed by staff, in the language `code` when it is the clinic's
        location; any other place as typed."""
        english = self.english.get("location")
        if english is not None and _same_place(place, english):
            return self.text("location", code)
        return in_message(place, code)


@dataclass(frozen=True)
class ProgramInfo:
    """The program as patients are told about it. `name`, `help_phone` and `help_hours` are the
    English texts; the `*_in` methods give a language's (ClinicTexts' fallback rules)."""

    name: str
    help_phone: str
    help_hours: str
    texts: ClinicTexts | None = None

    def _texts(self) -> ClinicTexts:
        if self.texts is not None:
            return self.texts
        english = {"program_name": self.name, "help_phone": self.help_phone}
        return ClinicTexts(english={**english, "help_hours": self.help_hours})

    def name_in(self, code: str) -> str:
        return self._texts().text("program_name", code)

    def phone_in(self, code: str) -> str:
        return self._texts().text("help_phone", code)

    def hours_in(self, code: str) -> str:
        return self._texts().text("help_hours", code)

    def place_in(self, place: str, code: str) -> str:
        return self._texts().place(place, code)


def in_message(text: str, code: str) -> str:
    """`text` as it goes into a message in the language `code`: a text without right-to-left
    letters in a right-to-left message is one left-to-right run (LRE ... PDF), which the
    channel's bidi marking keeps whole; anything else as it is."""
    if text and bidi.is_rtl(code) and not bidi.has_rtl_letters(text):
        return f"{bidi.LRE}{bidi.strip_marks(text)}{bidi.PDF}"
    return text


def program_info(english: Mapping[str, str], path: str | Path | None) -> ProgramInfo:
    """The program's texts: `english` from the settings, the file's languages over them."""
    texts = load(path, english) if path else ClinicTexts(english=MappingProxyType(dict(english)))
    return ProgramInfo(
        name=texts.english["program_name"],
        help_phone=texts.english["help_phone"],
        help_hours=texts.english["help_hours"],
        texts=texts,
    )


def load(path: str | Path, english: Mapping[str, str]) -> ClinicTexts:
    """The file's texts over `english` (the settings' program name, phone and hours); raises
    ClinicTextsError naming every mistake."""
    name = str(path)
    try:
        data = read_yaml(Path(path), name, what="a clinic texts file")
    except InstrumentError as e:
        raise ClinicTextsError(str(e)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ClinicTextsError(f"{name}: must be a mapping of language codes (en, es, ...)")
    problems: list[str] = []
    sections: dict[str, dict[str, str]] = {}
    for code, section in data.items():
        where = str(code)
        if not isinstance(code, str) or code not in language_status.codes():
            problems.append(f"{where}: {_unknown_language(code)}")
            continue
        if not isinstance(section, dict):
            problems.append(f"{where}: must be a mapping of {', '.join(KEYS)}")
            continue
        sections[code] = {}
        for key, value in section.items():
            problem = _problem(key, value)
            if problem:
                problems.append(f"{where}.{key}: {problem}")
            else:
                sections[code][key] = value.strip()
    own_english = sections.pop("en", {})
    if "location" not in own_english:
        problems += [
            f"{code}.location: needs en.location, the place as staff type it"
            for code, section in sections.items()
            if "location" in section
        ]
    if problems:
        raise ClinicTextsError(f"{name}: {'; '.join(problems)}")
    merged = {k: v for k, v in english.items() if k in ALWAYS}
    merged.update(own_english)
    return ClinicTexts(
        english=MappingProxyType(merged),
        by_language=MappingProxyType({c: MappingProxyType(s) for c, s in sections.items()}),
        source=name,
    )


def _unknown_language(code: object) -> str:
    known = ", ".join(language_status.codes())
    hint = language_status.find(code) if isinstance(code, str) else None
    if hint:
        return f"unknown language code (write {hint}); known: {known}"
    return f"unknown language code; known: {known}"


def _problem(key: object, value: object) -> str | None:
    if key not in MAX_CHARS:
        return f"unknown key; known: {', '.join(KEYS)}"
    if not isinstance(value, str):
        return "must be text"
    text = value.strip()
    if not text:
        return "empty"
    if "\n" in text or "\r" in text:
        return "must be one line"
    if any(c in bidi.MARKS for c in text):
        return "must not hold bidi marks (pathbot adds them)"
    if len(text) > MAX_CHARS[str(key)]:
        return f"longer than {MAX_CHARS[str(key)]} characters"
    return None


def _same_place(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
