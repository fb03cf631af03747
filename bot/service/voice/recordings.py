"""Recorded prompts for the languages Twilio cannot speak: a folder the clinic fills.

`PATHBOT_VOICE_RECORDINGS_DIR` holds one folder per language (its code: ne, sw, fa-AF, ...), each
with a `manifest.yaml` mapping every prompt to an audio file (MP3 or WAV) in that folder:

    version: ne-recordings-1          # recorded with the voice consent, as a phone script's
    prompts:                          # the call's fixed prompts, all of RECORDED_PROMPTS
      welcome: welcome.mp3            # "Hello, this is <program>. If you need help now, press 0."
      ...
    instruments:                      # each instrument the clinic offers by phone in the language
      dvprs:
        intro: dvprs/intro.mp3        # its title and instructions
        items:
          pain_intensity:
            stem: dvprs/pain.mp3      # the question, as the caller should hear it in full
            options: {0: dvprs/pain_0.mp3, 1: dvprs/pain_1.mp3, ...}  # every option: its number
                                                                  # and its label, "7, severe"

What a text script fills in at each turn (the program's name, the clinic's number) is recorded
into the prompt; what changes per turn is put together from whole recordings (the question's stem,
then its options; "you pressed", then the option). Nothing is ever said in another language.

The loader checks a folder for completeness and names every problem by its path: a prompt or an
item or an option missing from the manifest, a file missing, unreadable or not MP3/WAV, a file no
prompt uses, an instrument, item or option that does not exist. A language whose fixed prompts
are incomplete has no phone line (staff are told at the call); an instrument with a problem is
refused in that language at the call (staff are told), like a questionnaire with no translation.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.channels.voice.script import AudioFile, Clip, Line
from bot.service.voice.tts import phone_language
from bot.service.voice.wording import SCALE_OPTIONS
from surveys.errors import InstrumentError
from surveys.loader import load_instrument
from surveys.model import Instrument, Item

log = logging.getLogger(__name__)

MANIFEST = "manifest.yaml"
AUDIO_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav"}
# The call's fixed prompts in a recorded language: a text script's texts, with what a text fills
# in recorded in (the program, the clinic's number, the PIN's length), and these changes:
#   scale: "press a number, then pound", said after a 0-10 question's stem;
#   two_digits: "for ten, press 1 then 0"; pressed / heard: "you pressed" / "I heard", said
#   before the option's own recording; language_menu: the whole language menu, recorded once;
#   distress: said when the caller's words worry us (the text reply to a distress message).
RECORDED_PROMPTS: frozenset[str] = frozenset(
    {
        "welcome",
        "machine",
        "enter_pin",
        "pin_wrong",
        "pin_failed",
        "enter_dob",
        "dob_wrong",
        "dob_failed",
        "stopped",
        "keys",
        "scale",
        "two_digits",
        "pressed",
        "heard",
        "confirm",
        "again_crisis",
        "again_stop",
        "again_pause",
        "saved",
        "skipped",
        "not_a_choice",
        "not_understood",
        "silence",
        "silence_goodbye",
        "paused",
        "calls_stopped",
        "crisis",
        "after_dial",
        "holding",
        "nothing_due",
        "done",
        "language_menu",
        "offer",
        "help",
        "distress",
    }
)


@dataclass(frozen=True)
class RecordedInstrument:
    intro: Clip
    stems: dict[str, Clip]
    options: dict[str, dict[int, Clip]]


@dataclass
class RecordedLanguage:
    """One language's recordings, checked; `problems` name every path that is wrong."""

    locale: str
    version: str = ""
    prompts: dict[str, Clip] = field(default_factory=dict)
    instruments: dict[str, RecordedInstrument] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Every fixed prompt is there: the language can hold a call (an instrument may not)."""
        return RECORDED_PROMPTS <= set(self.prompts)


@dataclass
class Catalog:
    languages: dict[str, RecordedLanguage] = field(default_factory=dict)
    files: dict[str, AudioFile] = field(default_factory=dict)  # opaque clip id -> the file
    problems: list[str] = field(default_factory=list)


@lru_cache(maxsize=8)
def catalog(folder: Path, key: bytes) -> Catalog:
    """Every language in the clinic's folder, checked once per process (a restart re-reads it)."""
    found = Catalog()
    if not folder.is_dir():
        found.problems.append(f"{folder}: the recordings folder does not exist")
        return found
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        language = phone_language(sub.name)
        if language is None:
            found.problems.append(f"{sub.name}/: not a language pathbot speaks")
            continue
        if not language.recorded:
            found.problems.append(
                f"{sub.name}/: Twilio speaks this language; its calls use no recordings"
            )
            continue
        recorded = _Loader(folder, sub.name, key, found.files).load()
        found.languages[sub.name] = recorded
        found.problems.extend(recorded.problems)
    for problem in found.problems:
        log.warning("voice recordings: %s", problem)
    return found


def clip_key(auth_token: str | None) -> bytes:
    """The key of the clip ids (stable across restarts, so a repeated webhook's stored script
    still plays); derived from the Twilio auth token, which the voice channel needs anyway."""
    seed = auth_token or "pathbot: no Twilio auth token, so no webhook is ever accepted"
    return hmac.new(seed.encode(), b"pathbot voice clip ids", hashlib.sha256).digest()


@dataclass
class _Loader:
    root: Path
    locale: str
    key: bytes
    files: dict[str, AudioFile]
    used: set[Path] = field(default_factory=set)

    def load(self) -> RecordedLanguage:
        result = RecordedLanguage(self.locale)
        self.result = result
        where = f"{self.locale}/{MANIFEST}"
        try:
            data: Any = yaml.safe_load((self.root / self.locale / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            result.problems.append(f"{where}: missing")
            return result
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            result.problems.append(f"{where}: cannot be read ({type(exc).__name__})")
            return result
        if not isinstance(data, dict):
            result.problems.append(f"{where}: expected version, prompts and instruments")
            return result
        _known_keys(data, {"version", "prompts", "instruments"}, where, result)
        version = data.get("version")
        if not isinstance(version, str) or not version:
            result.problems.append(f"{where}: version is missing")
        else:
            result.version = version
        self._prompts(_mapping(data.get("prompts"), f"{where}: prompts", result))
        instruments = _mapping(data.get("instruments"), f"{where}: instruments", result)
        for instrument_id, spec in instruments.items():
            self._instrument(str(instrument_id), spec)
        self._unused()
        return result

    def _prompts(self, prompts: dict[Any, Any]) -> None:
        where = f"{self.locale}/{MANIFEST}: prompts"
        for key in sorted(RECORDED_PROMPTS - set(prompts)):
            self.result.problems.append(f"{where}: {key!r} is missing")
        for key in sorted(set(map(str, prompts)) - RECORDED_PROMPTS):
            self.result.problems.append(f"{where}: {key!r} is not a prompt")
        for key in RECORDED_PROMPTS & set(prompts):
            clip = self._clip(prompts[key], f"prompts.{key}")
            if clip is not None:
                self.result.prompts[key] = clip

    def _instrument(self, instrument_id: str, spec: Any) -> None:
        where = f"{self.locale}/{MANIFEST}: instruments.{instrument_id}"
        problems = len(self.result.problems)
        try:
            instrument: Instrument = load_instrument(instrument_id)
        except InstrumentError:
            self.result.problems.append(f"{where}: no such instrument")
            return
        spec = _mapping(spec, where, self.result)
        _known_keys(spec, {"intro", "items"}, where, self.result)
        intro = self._clip(spec.get("intro"), f"instruments.{instrument_id}.intro")
        items = _mapping(spec.get("items"), f"{where}.items", self.result)
        known = {item.id: item for item in instrument.items}
        for item_id in sorted(set(map(str, items)) - set(known)):
            self.result.problems.append(f"{where}.items: {item_id!r} is not an item of it")
        stems: dict[str, Clip] = {}
        options: dict[str, dict[int, Clip]] = {}
        for item in instrument.items:
            at = f"instruments.{instrument_id}.items.{item.id}"
            if item.id not in items:
                self.result.problems.append(f"{where}.items: {item.id!r} is missing")
                continue
            entry = _mapping(items[item.id], f"{self.locale}/{MANIFEST}: {at}", self.result)
            _known_keys(entry, {"stem", "options"}, f"{self.locale}/{MANIFEST}: {at}", self.result)
            stem = self._clip(entry.get("stem"), f"{at}.stem")
            if stem is not None:
                stems[item.id] = stem
            mapped = _mapping(
                entry.get("options"), f"{self.locale}/{MANIFEST}: {at}.options", self.result
            )
            by_code = {_code(c): f for c, f in mapped.items()}
            for code in sorted(set(by_code) - set(item.codes), key=str):
                self.result.problems.append(
                    f"{self.locale}/{MANIFEST}: {at}.options: {code!r} is not an option of it"
                )
            options[item.id] = {}
            for code in item.codes:
                if code not in by_code:
                    self.result.problems.append(
                        f"{self.locale}/{MANIFEST}: {at}.options: {code} is missing"
                    )
                    continue
                clip = self._clip(by_code[code], f"{at}.options.{code}")
                if clip is not None:
                    options[item.id][code] = clip
        if intro is not None and len(self.result.problems) == problems:
            self.result.instruments[instrument_id] = RecordedInstrument(intro, stems, options)

    def _clip(self, name: Any, at: str) -> Clip | None:
        """The file a manifest entry names, checked: there, readable, MP3 or WAV."""
        where = f"{self.locale}/{MANIFEST}: {at}"
        if not isinstance(name, str) or not name:
            self.result.problems.append(f"{where}: no file named")
            return None
        folder = (self.root / self.locale).resolve()
        path = (folder / name).resolve()
        shown = f"{self.locale}/{name}"
        if not path.is_relative_to(folder):
            self.result.problems.append(f"{where}: {name} is outside the language's folder")
            return None
        self.used.add(path)
        kind = AUDIO_TYPES.get(path.suffix.lower())
        try:
            with path.open("rb") as audio:
                head = audio.read(12)
        except FileNotFoundError:
            self.result.problems.append(f"{shown}: does not exist ({at})")
            return None
        except OSError as exc:  # a folder in its place, no permission, a symlink loop
            self.result.problems.append(f"{shown}: cannot be read ({type(exc).__name__})")
            return None
        if kind is None or not _looks_like(kind, head):
            self.result.problems.append(f"{shown}: not an MP3 or WAV recording ({at})")
            return None
        relative = path.relative_to(folder).as_posix()
        clip_id = hmac.new(
            self.key, f"{self.locale}/{relative}".encode(), hashlib.sha256
        ).hexdigest()[:32]
        self.files[clip_id] = AudioFile(path, kind)
        return Clip(clip_id, f"{self.locale}/{relative}")

    def _unused(self) -> None:
        folder = (self.root / self.locale).resolve()
        for path in sorted(folder.rglob("*")):
            if path.resolve() in self.used or any(p.resolve() in self.used for p in path.parents):
                continue
            if path.is_file() and path.name != MANIFEST:
                shown = f"{self.locale}/{path.relative_to(folder).as_posix()}"
                self.result.problems.append(f"{shown}: not in the manifest")


def _mapping(value: Any, where: str, result: RecordedLanguage) -> dict[Any, Any]:
    if value is None:
        result.problems.append(f"{where}: missing")
        return {}
    if not isinstance(value, dict):
        result.problems.append(f"{where}: expected a mapping")
        return {}
    return value


def _known_keys(
    mapping: dict[Any, Any], known: set[str], where: str, result: RecordedLanguage
) -> None:
    unknown = set(map(str, mapping)) - known
    if unknown:
        result.problems.append(f"{where}: unknown keys {sorted(unknown)}")


def _code(value: Any) -> Any:
    """Option codes are numbers; YAML reads `7:` as 7 and `"7":` as "7": both are 7."""
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value)
    return value


def _looks_like(kind: str, head: bytes) -> bool:
    """The file's first bytes match its name: MP3 (an ID3 tag or a frame sync), WAV (RIFF/WAVE)."""
    if kind == "audio/wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


@dataclass(frozen=True)
class RecordedWording:
    """A call in a language Twilio cannot speak: every line is one of the clinic's recordings."""

    recordings: RecordedLanguage
    speech: str | None  # speech recognition, where Twilio hears the language
    language: str = ""  # no <Say> in such a call
    voice: str | None = None
    recorded: bool = True

    @property
    def locale(self) -> str:
        return self.recordings.locale

    @property
    def version(self) -> str:
        return self.recordings.version

    def say(self, key: str, **values: object) -> Line:
        return self.recordings.prompts[key]  # what a text fills in is in the recording

    def can_ask(self, instrument_id: str, item_id: str) -> bool:
        instrument = self.recordings.instruments.get(instrument_id)
        return instrument is not None and item_id in instrument.stems

    def intro(self, instrument: Instrument, lang: str, count: int) -> list[Line]:
        return [self.recordings.instruments[instrument.id].intro]

    def question(
        self, instrument_id: str, item: Item, lang: str, number: int, total: int
    ) -> list[Line]:
        recorded = self.recordings.instruments[instrument_id]
        options = recorded.options[item.id]
        lines: list[Line] = [recorded.stems[item.id]]
        codes = item.codes
        if len(codes) >= SCALE_OPTIONS:
            low, high = min(codes), max(codes)
            lines.append(self.say("scale"))
            if high >= 10:
                lines.append(self.say("two_digits"))
            lines.extend((options[low], options[high]))
        else:
            lines.extend(options[code] for code in codes)
        return lines

    def read_back(
        self, instrument_id: str, item: Item, lang: str, code: int, *, heard: bool
    ) -> list[Line]:
        option = self.recordings.instruments[instrument_id].options[item.id][code]
        return [self.say("heard" if heard else "pressed"), option]

    def not_a_choice(self, answer: str) -> Line:
        return self.say("not_a_choice")

    def language_menu(self, names: list[tuple[int, str]]) -> list[Line]:
        return [self.say("language_menu")]


def recorded_wording(
    locale: str, folder: str | None, auth_token: str | None
) -> tuple[RecordedWording | None, str]:
    """The recordings of a language Twilio cannot speak, or None and why (for staff)."""
    spoken = phone_language(locale)
    if spoken is None or not spoken.recorded:
        return None, f"{locale} is not a recorded-prompt language"
    if not folder:
        return None, "PATHBOT_VOICE_RECORDINGS_DIR is not set"
    found = catalog(Path(folder), clip_key(auth_token))
    recordings = found.languages.get(locale)
    if recordings is None:
        return None, f"no {locale}/ folder of recordings"
    if not recordings.usable:
        return None, f"{locale}/: the call's fixed prompts are incomplete"
    return RecordedWording(recordings, spoken.speech), ""


def audio_file(clip: str, folder: str | None, auth_token: str | None) -> AudioFile | None:
    """The file behind an opaque clip id (the signed <Play> URL's), None when unknown."""
    if not folder:
        return None
    return catalog(Path(folder), clip_key(auth_token)).files.get(clip)
