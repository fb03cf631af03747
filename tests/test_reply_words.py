"""The per-language reply words (bot/conversation/languages/): every file loads, is written in
the parser's normalised form, and bad files fail loudly, naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.conversation import reply_words
from bot.conversation.reply_words import (
    ReplyWordsError,
    available_languages,
    language_file,
    words_for,
)
from bot.conversation.text_normalize import match_key

FOLDER = Path(reply_words.__file__).parent / "languages"


def test_every_language_file_loads() -> None:
    assert {"en", "es"} <= set(available_languages())
    for code in available_languages():
        words = language_file(code)
        assert words.language == code
        assert all(0 <= n <= 10 for n in words.numbers.values())


@pytest.mark.parametrize("code", sorted(p.stem for p in FOLDER.glob("*.yaml")))
def test_entries_are_written_normalised(code: str) -> None:
    """A word that the parser's normalisation would change could never match."""
    text = (FOLDER / f"{code}.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=reply_words._WordsLoader)  # noqa: S506
    for key, value in data.items():
        if key == "language":
            continue
        for entry in list(value):  # lists, and the words of number tables
            if key == "slash_endings":
                continue
            assert match_key(str(entry)) == str(entry), (code, key, entry)


def test_yes_and_no_stay_words() -> None:
    """YAML 1.1 would read `no` as false: the loader keeps it a word."""
    en = language_file("en")
    assert ("no",) in en.no and ("yes",) in en.yes and ("no",) in en.negation


def test_the_question_language_decides_what_a_number_word_is() -> None:
    assert words_for("en").count_words["once"] == 1  # "once" = one time
    assert "once" not in words_for("en").large_numbers
    assert words_for("es").is_large_number("once")  # "once" = eleven
    assert "once" not in words_for("es").count_words
    assert words_for("es").numbers["nine"] == 9  # English is always read
    assert words_for("xx").language == "en"  # an unknown language falls back to English


def test_only_the_question_language_and_english_are_read() -> None:
    """Thirteen languages collide: "sau" is 6 in Vietnamese, "nane" 8 in Swahili, "si" yes in
    Spanish and "not" in Swahili; other languages' words are never read (asked again)."""
    en = words_for("en")
    assert "nueve" not in en.numbers and "sau" not in en.numbers
    assert ("menos",) not in en.comparison and "hoy" not in en.lead_in
    es = words_for("es")
    assert "hoy" in es.lead_in and "a" in es.lead_in  # Spanish, and English's "a 6"
    assert ("menos",) in es.comparison and ("not",) in es.negation
    sw = words_for("sw")
    assert sw.numbers["nane"] == 8 and "sau" not in sw.numbers and ("si",) not in sw.yes
    assert words_for("vi").numbers["sau"] == 6 and ("khong",) in words_for("vi").no
    assert "نه" not in words_for("fa-AF").numbers  # "no", not "nine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("language: en\nnumbers: {one: 1}\nunknown_key: [x]\n", "unknown keys"),
        ("language: es\n", "'language' must be 'en'"),
        ("language: en\nnumbers: {one: one}\n", "whole numbers"),
        ("language: en\nlead_in: [two words]\n", "single words"),
        ('language: en\nnegation: [""]\n', "empty entry"),
        ("language: en\nyes: yes\n", "list of words"),
        ("- not a mapping\n", "mapping"),
    ],
)
def test_bad_files_are_refused(text: str, message: str) -> None:
    data = yaml.load(text, Loader=reply_words._WordsLoader)  # noqa: S506
    with pytest.raises(ReplyWordsError, match=message):
        reply_words._parse("en", data)
