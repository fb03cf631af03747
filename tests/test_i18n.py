"""Every patient-facing string goes through gettext, and the Spanish catalog is complete."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.conversation.i18n import LOCALES_DIR, SUPPORTED_LOCALES, normalize_locale, translator

ROOT = Path(__file__).resolve().parent.parent


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_template_matches_the_code(tmp_path: Path) -> None:
    """A string added in code but not extracted would reach patients untranslated."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(out),
            "--no-location",
            "-k",
            "ngettext:1,2",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    fresh = {m.id for m in read_po(io.BytesIO(out.read_bytes())) if m.id}
    shipped = {
        m.id for m in read_po(io.BytesIO((LOCALES_DIR / "messages.pot").read_bytes())) if m.id
    }
    assert fresh == shipped, "run `make extract` and translate the new wording"


def test_every_supported_catalog_is_complete() -> None:
    template = {
        m.id for m in read_po(io.BytesIO((LOCALES_DIR / "messages.pot").read_bytes())) if m.id
    }
    for lang in SUPPORTED_LOCALES:
        if lang == "en":
            continue
        catalog = _catalog(lang)
        translated = {
            m.id
            for m in catalog
            if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
        }
        assert template <= translated, (
            f"{lang}: untranslated {sorted(map(str, template - translated))}"
        )
        assert not any(m.fuzzy for m in catalog if m.id), f"{lang}: fuzzy entries"


def test_placeholders_survive_translation() -> None:
    import re

    for message in _catalog("es"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"{\w+}", ids[0]))
        for text in strings:
            assert set(re.findall(r"{\w+}", text)) == wanted, message.id


def test_locale_negotiation_and_lookup() -> None:
    assert normalize_locale("es-MX") == "es"
    assert normalize_locale("ES") == "es"
    assert normalize_locale("pt-BR") == "en"
    assert normalize_locale(None) == "en"
    assert translator("es").gettext("SKIP") == "SALTAR"
    assert translator("en").gettext("SKIP") == "SKIP"
    assert (
        translator("es").ngettext(
            "{program}: {title}. {count} question.", "{program}: {title}. {count} questions.", 1
        )
        == "{program}: {title}. {count} pregunta."
    )
