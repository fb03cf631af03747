"""Which instrument can be asked in which language, and how far the bot's own wording is trusted.

`coverage_matrix()` is the data behind `pathbot translations` and the staff console's
Translations page: one row per instrument, one cell per language, each cell one of

    validated   the instrument file holds a validated text (the English originals)
    pack        a clinic's licensed translation pack supplies it (surveys/packs.py)
    draft       an unvalidated text the instrument allows, marked as such to patient and staff
    refused     no usable text: patients in this language are told so and staff are alerted

and, per language, the status of the bot's own wording (prompts, HELP, crisis replies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.conversation import language_status
from surveys.loader import load_all
from surveys.model import Instrument

CellStatus = Literal["validated", "pack", "draft", "refused"]


@dataclass(frozen=True)
class CoverageCell:
    status: CellStatus
    detail: str  # the source, the pack file, or why it is refused


@dataclass(frozen=True)
class InstrumentRow:
    instrument_id: str
    version: str
    title: str  # English, for staff
    cells: dict[str, CoverageCell]  # language -> cell, for every language of the matrix


@dataclass(frozen=True)
class WordingRow:
    language: str
    name: str  # in its own script
    status: str  # the bot wording's status (draft / reviewed / validated / source language)
    detail: str
    spoken: bool  # False: a pack exists for a language the bot does not speak (yet)


@dataclass(frozen=True)
class Coverage:
    languages: tuple[str, ...]  # the bot's languages in menu order, then pack-only languages
    instruments: tuple[InstrumentRow, ...]
    wording: tuple[WordingRow, ...]


def coverage_matrix() -> Coverage:
    """The matrix for the instruments loaded now (shipped, clinic-defined, packs applied)."""
    instruments = sorted(load_all().values(), key=lambda i: i.id)
    spoken = _bot_languages()
    extra = sorted(
        {lang for i in instruments for lang in i.translations if lang not in dict(spoken)}
    )
    languages = tuple(code for code, _ in spoken) + tuple(extra)
    rows = tuple(
        InstrumentRow(
            instrument_id=i.id,
            version=i.version,
            title=i.title["en"],
            cells={lang: cell(i, lang) for lang in languages},
        )
        for i in instruments
    )
    wording = tuple(
        WordingRow(code, name, status, detail, spoken=True)
        for code, (name, status, detail) in ((c, _wording_status(c)) for c, _ in spoken)
    ) + tuple(
        WordingRow(lang, lang, "none", "pathbot does not speak this language", spoken=False)
        for lang in extra
    )
    return Coverage(languages=languages, instruments=rows, wording=wording)


def cell(instrument: Instrument, language: str) -> CoverageCell:
    """How `instrument` is offered to a patient whose language is `language`."""
    tr = instrument.translations.get(language)
    if tr is None:
        return CoverageCell("refused", "no text in this language")
    if tr.pack is not None:
        return CoverageCell(
            "pack", f"{tr.pack}: {tr.source}; licence: {tr.licence}; validation: {tr.validation}"
        )
    if tr.status == "validated":
        return CoverageCell("validated", tr.source)
    if instrument.unvalidated_policy == "mark":
        return CoverageCell("draft", f"marked as not validated: {tr.source}")
    return CoverageCell("refused", f"unvalidated text held back: {tr.source}")


def _bot_languages() -> list[tuple[str, str]]:
    return [(info.code, info.name) for info in language_status.languages()]


def _wording_status(code: str) -> tuple[str, str, str]:
    """(name, status, detail) of the bot's wording in `code` (issue 19's status metadata)."""
    info = language_status.language(code)
    status = "source" if info.source_language else info.status.value
    return info.name, status, info.status_label()
