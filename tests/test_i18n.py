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
    babel_id = lang.replace("-", "_")
    with (LOCALES_DIR / babel_id / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=babel_id)


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
    """Every form of every translation has exactly the English placeholders, and nothing else
    that str.format would choke on (a stray brace would crash the reply)."""
    import re

    for lang in SUPPORTED_LOCALES:
        for message in _catalog(lang):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"{\w+}", ids[0]))
            for text in strings:
                if lang == "en" and not text:
                    continue
                assert set(re.findall(r"{\w+}", text)) == wanted, (lang, message.id)
                fields = {name.strip("{}"): "x" for name in wanted}
                assert "{" not in text.format(**fields), (lang, message.id)


def test_plural_forms_follow_each_language() -> None:
    """Babel's plural rules decide how many forms a message has (Arabic six, Ukrainian three,
    Dari and Vietnamese one); each catalog gives exactly that many."""
    for lang in SUPPORTED_LOCALES:
        if lang == "en":
            continue
        catalog = _catalog(lang)
        for message in catalog:
            if isinstance(message.id, tuple):
                assert len(message.string) == catalog.num_plurals, (lang, message.id)


def test_locale_negotiation_and_lookup() -> None:
    assert normalize_locale("es-MX") == "es"
    assert normalize_locale("ES") == "es"
    assert normalize_locale("pt-BR") == "en"
    assert normalize_locale(None) == "en"
    assert translator("fr").gettext("SKIP") == "PASSER"
    assert translator("fr-CA").locale == "fr"
    assert translator("es").gettext("SKIP") == "SALTAR"
    assert translator("en").gettext("SKIP") == "SKIP"
    assert (
        translator("es").ngettext(
            "{program}: {title}. {count} question.", "{program}: {title}. {count} questions.", 1
        )
        == "{program}: {title}. {count} pregunta."
    )
