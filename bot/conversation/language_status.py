"""Which languages pathbot speaks and how far each translation can be trusted (issue 19).

The data is `locales/languages.yaml` (the catalogs' metadata): one entry per language, in menu
order, with its status. `draft` wording was written by the project; it is stored on a patient only
when someone chooses it explicitly (staff confirm it, or the patient picks it from the language
menu), because LANG-02 forbids unreviewed critical wording by default. Other modules ask this one;
nothing else reads the YAML.

API (shared with issue-19b's `pathbot translations` and the staff console):
    languages() -> tuple[LanguageInfo, ...]    every language, menu order
    language(code) -> LanguageInfo             KeyError for an unknown code
    codes() -> tuple[str, ...]                 BCP-47 codes, menu order
    find(tag) -> str | None                    "fa_AF", "FA-af", "prs", "es-MX" -> a code, or None
    LanguageInfo.needs_explicit_choice         True for draft languages
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

LANGUAGES_FILE = Path(__file__).resolve().parents[2] / "locales" / "languages.yaml"
# Other names a language's tag may arrive as: ISO 639-3 Dari, and "fa" (Telegram reports Dari
# phones as "fa"; Iranian Persian is not offered, Dari is the closest we speak).
_ALIASES = {"prs": "fa-AF", "fa": "fa-AF", "pbu": "ps", "pbt": "ps", "mya": "my", "run": "rn"}


class Status(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    VALIDATED = "validated"


Direction = Literal["ltr", "rtl"]


class LanguageDataError(ValueError):
    pass


@dataclass(frozen=True)
class LanguageInfo:
    code: str  # BCP-47, stored on the patient ("fa-AF")
    name: str  # in its own script, for the language menu
    english: str
    status: Status
    direction: Direction
    script: str  # ISO 15924
    digits: str | None  # CLDR numbering system of native digits patients may type
    reviewer: str | None
    reviewed_on: dt.date | None
    validation: str | None
    source_language: bool

    @property
    def babel_locale(self) -> str:
        """The Babel/CLDR locale id and catalog folder name ("fa_AF")."""
        return self.code.replace("-", "_")

    @property
    def needs_explicit_choice(self) -> bool:
        return self.status is Status.DRAFT

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def latin_script(self) -> bool:
        return self.script == "Latn"

    def status_label(self) -> str:
        """For staff: "draft", "reviewed by N. Name on 2026-11-01", "validated (method)"."""
        if self.status is Status.DRAFT:
            return "draft (written by the project, not reviewed by a native speaker)"
        if self.source_language:
            return "source language"
        when = self.reviewed_on.isoformat() if self.reviewed_on else "?"
        text = f"{self.status.value} by {self.reviewer} on {when}"
        return f"{text} ({self.validation})" if self.validation else text


def languages() -> tuple[LanguageInfo, ...]:
    return _load()


def codes() -> tuple[str, ...]:
    return tuple(info.code for info in _load())


def language(code: str) -> LanguageInfo:
    for info in _load():
        if info.code == code:
            return info
    raise KeyError(code)


def find(tag: str | None) -> str | None:
    """The language code for a tag in any spelling, or None when pathbot does not speak it.

    Exact region first ("fa-AF"), then the primary tag ("es-MX" -> "es"), then aliases.
    """
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").split("-")
    known = {c.lower(): c for c in codes()}
    full = "-".join(parts).lower()
    if full in known:
        return known[full]
    primary = parts[0].lower()
    if primary in known:
        return known[primary]
    alias = _ALIASES.get(primary)
    return alias if alias in codes() else None


@cache
def _load() -> tuple[LanguageInfo, ...]:
    return parse(yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8")), LANGUAGES_FILE.name)


def parse(data: Any, where: str) -> tuple[LanguageInfo, ...]:
    """Check and build the language list; errors name the entry and field."""
    if not isinstance(data, dict) or not isinstance(data.get("languages"), list):
        raise LanguageDataError(f"{where}: languages: expected a list")
    out: list[LanguageInfo] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["languages"]):
        path = f"{where}: languages[{i}]"
        if not isinstance(raw, dict):
            raise LanguageDataError(f"{path}: expected a mapping")
        code = _text(raw, "code", path)
        path = f"{where}: languages[{i}] ({code})"
        if code in seen:
            raise LanguageDataError(f"{path}: code: duplicate")
        seen.add(code)
        try:
            status = Status(_text(raw, "status", path))
        except ValueError:
            raise LanguageDataError(f"{path}: status: one of draft, reviewed, validated") from None
        direction = _text(raw, "direction", path)
        if direction not in ("ltr", "rtl"):
            raise LanguageDataError(f"{path}: direction: ltr or rtl")
        reviewed_on = raw.get("reviewed_on")
        if reviewed_on is not None and not isinstance(reviewed_on, dt.date):
            raise LanguageDataError(f"{path}: reviewed_on: a date (YYYY-MM-DD)")
        source = raw.get("source_language") is True
        reviewer = _optional(raw, "reviewer", path)
        validation = _optional(raw, "validation", path)
        if status is not Status.DRAFT and not source:
            if not reviewer or reviewed_on is None:
                raise LanguageDataError(f"{path}: {status.value} needs reviewer and reviewed_on")
            if status is Status.VALIDATED and not validation:
                raise LanguageDataError(f"{path}: validated needs validation (method/reference)")
        out.append(
            LanguageInfo(
                code=code,
                name=_text(raw, "name", path),
                english=_text(raw, "english", path),
                status=status,
                direction="rtl" if direction == "rtl" else "ltr",
                script=_text(raw, "script", path),
                digits=_optional(raw, "digits", path),
                reviewer=reviewer,
                reviewed_on=reviewed_on,
                validation=validation,
                source_language=source,
            )
        )
    if not out or out[0].code != "en":
        raise LanguageDataError(f"{where}: languages: English must come first")
    return tuple(out)


def _text(raw: dict[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LanguageDataError(f"{path}: {key}: missing")
    return value


def _optional(raw: dict[str, Any], key: str, path: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LanguageDataError(f"{path}: {key}: expected text")
    return value
