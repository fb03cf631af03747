"""Patient-facing wording: gettext catalogs in `locales/`, and Babel formatting per locale.

Bot wording lives in the catalogs; instrument wording lives in the instrument files (STYLE.md 10).
Catalogs are compiled by the install step; when a `.mo` is missing or older than its `.po` the
`.po` is compiled in memory, so a fresh checkout never silently falls back to English.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.conversation import language_status

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
# Languages whose bot wording is complete (each with its status in locales/languages.yaml); the
# order is the order of the menu. BCP-47 codes: Dari is "fa-AF".
SUPPORTED_LOCALES: tuple[str, ...] = language_status.codes()
# Each language named in its own language and script, for the LANGUAGE menu.
LANGUAGE_NAMES: dict[str, str] = {i.code: i.name for i in language_status.languages()}


def normalize_locale(tag: str | None, default: str = "en") -> str:
    """Map "es-MX", "ES", "es_419", "fa_AF", "prs" onto a supported language, else `default`."""
    return language_status.find(tag) or default


@dataclass(frozen=True)
class Translator:
    """gettext for one locale; passed into the engine so it never touches the file system."""

    locale: str  # the Babel/CLDR locale id for formatting dates and numbers ("fa_AF")
    catalog: NullTranslations
    code: str = "en"  # the language's BCP-47 code, as stored on the patient ("fa-AF")

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)


@lru_cache(maxsize=32)
def translator(locale: str) -> Translator:
    code = normalize_locale(locale)
    babel_id = language_status.language(code).babel_locale
    return Translator(locale=babel_id, catalog=_load_catalog(babel_id), code=code)


def _load_catalog(locale: str) -> NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as fh:
            return Translations(fp=fh, domain=DOMAIN)
    if po_path.exists():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(fp=buffer, domain=DOMAIN)
    return NullTranslations()  # English source strings are the English wording
