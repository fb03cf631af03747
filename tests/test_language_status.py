"""Each language's status (locales/languages.yaml) and how staff and patients meet it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation import language_status
from bot.conversation.i18n import LOCALES_DIR, SUPPORTED_LOCALES, translator
from bot.conversation.language_status import LanguageDataError, Status, parse


def test_every_language_has_a_status_and_a_complete_catalog_folder() -> None:
    infos = language_status.languages()
    assert infos[0].code == "en" and infos[0].source_language
    assert SUPPORTED_LOCALES == tuple(i.code for i in infos)
    for info in infos[1:]:
        assert (LOCALES_DIR / info.babel_locale / "LC_MESSAGES" / "messages.po").exists()
        header = (LOCALES_DIR / info.babel_locale / "LC_MESSAGES" / "messages.po").read_text(
            encoding="utf-8"
        )
        assert f"Status: {info.status_label()}" in header.replace("\n# ", " ")


def test_spanish_is_draft_until_a_named_reviewer_checks_it() -> None:
    # translations-es.md names no reviewer: calling the wording "reviewed" would be untrue.
    assert language_status.language("es").status is Status.DRAFT
    assert language_status.language("es").needs_explicit_choice
    assert not language_status.language("en").needs_explicit_choice


def test_tags_in_any_spelling_find_the_language() -> None:
    assert language_status.find("es-MX") == "es"
    assert language_status.find("FR_ca") == "fr"
    assert language_status.find("pt-BR") is None
    assert language_status.find("") is None
    assert translator("en").code == "en"


def _entry(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "code": "xx",
        "name": "Xx",
        "english": "X",
        "status": "draft",
        "direction": "ltr",
        "script": "Latn",
    }
    base.update(fields)
    return base


def _data(*entries: dict[str, object]) -> dict[str, object]:
    en = {**_entry(code="en", name="English", english="English"), "source_language": True}
    en["status"] = "validated"
    return {"languages": [en, *entries]}


def test_reviewed_needs_a_named_reviewer_and_a_date() -> None:
    with pytest.raises(LanguageDataError, match=r"languages\[1\] \(xx\): reviewed needs reviewer"):
        parse(_data(_entry(status="reviewed")), "t.yaml")
    ok = parse(
        _data(_entry(status="reviewed", reviewer="A. Name", reviewed_on=dt.date(2026, 11, 1))),
        "t.yaml",
    )
    assert ok[1].status_label() == "reviewed by A. Name on 2026-11-01"
    assert not ok[1].needs_explicit_choice


def test_validated_needs_its_method_and_bad_values_are_named() -> None:
    with pytest.raises(LanguageDataError, match="validated needs validation"):
        parse(
            _data(_entry(status="validated", reviewer="B", reviewed_on=dt.date(2026, 1, 1))),
            "t.yaml",
        )
    with pytest.raises(LanguageDataError, match=r"\(xx\): status: one of"):
        parse(_data(_entry(status="done")), "t.yaml")
    with pytest.raises(LanguageDataError, match=r"\(xx\): direction"):
        parse(_data(_entry(direction="up")), "t.yaml")
    with pytest.raises(LanguageDataError, match="code: duplicate"):
        parse(_data(_entry(), _entry()), "t.yaml")
    with pytest.raises(LanguageDataError, match="English must come first"):
        parse({"languages": [_entry()]}, "t.yaml")
