"""Translations at a glance: which instrument is offered in which language (validated / pack /
draft / refused) and how far the bot's own wording is trusted in each language (draft, reviewed
or validated, by whom and when).

The same data as `pathbot translations` (bot/conversation/coverage.py and the catalog metadata in
bot/conversation/language_status.py); nothing is computed here but the page's layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from bot.clinic.staff.roles import Permission
from bot.conversation import language_status
from bot.conversation.coverage import CoverageCell, coverage_matrix
from bot.conversation.language_status import LanguageInfo
from bot.web.routes import Page, StaffRoute

CELL_MEANINGS = (
    ("validated", "the instrument's validated text"),
    ("pack", "a licensed translation pack the clinic installed"),
    ("draft", "an unvalidated text, marked as such to patient and staff"),
    ("refused", "no usable text: the patient is told so and staff are alerted"),
)


@dataclass(frozen=True)
class Heading:
    """One language column: its code and, for a language the bot speaks, its own-script name."""

    code: str
    info: LanguageInfo | None


@dataclass(frozen=True)
class Detail:
    """Where one non-English cell comes from (the pack file, the source, or why it is refused)."""

    instrument: str
    language: str
    cell: CoverageCell


def translations_page(page: Page) -> Response:
    coverage = coverage_matrix()
    spoken = {info.code: info for info in language_status.languages()}
    headings = [Heading(code, spoken.get(code)) for code in coverage.languages]
    details = [
        Detail(f"{row.instrument_id} {row.version}", lang, row.cells[lang])
        for row in coverage.instruments
        for lang in coverage.languages
        if lang != "en"
    ]
    cells: list[str] = [c.status for row in coverage.instruments for c in row.cells.values()]
    counts = {status: cells.count(status) for status, _ in CELL_MEANINGS}
    wording = [(w, spoken.get(w.language)) for w in coverage.wording]
    return page.render(
        "translations/translations.html", active="translations", coverage=coverage,
        headings=headings, details=details, counts=counts, meanings=CELL_MEANINGS,
        wording=wording,
    )  # fmt: skip


ROUTES = [
    StaffRoute("/translations", "translations", translations_page, Permission.SEE_TRANSLATIONS),
]
