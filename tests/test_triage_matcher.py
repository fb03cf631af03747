"""Tolerant triage matching (issue 12 point 3): the phrase matcher, the rules files, the corpus
targets per language, the held-out phrasings, and text triage cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation import triage
from bot.conversation.triage import TriageRulesError, assess, build_rules, load_rules
from bot.conversation.triage_phrases import (
    PhraseError,
    Spelling,
    Words,
    compile_phrases,
    find,
    spelling,
)
from tests.triage_report import (
    CORPUS_DIR,
    FALSE_ALARM_TARGET,
    RECALL_TARGET,
    evaluate,
    format_report,
    load_corpus,
)

HOLDOUT_DIR = Path(__file__).parent / "cases" / "triage_holdout"
EN = spelling(suffixes=["ing", "in", "ed", "d", "es", "s", "e"])


def _matches(phrase: str, text: str, sp: Spelling = EN) -> bool:
    words = Words.of([text.split()], sp)
    return any(find(p, words) is not None for p in compile_phrases(phrase, sp))


@pytest.mark.parametrize(
    "text",
    ["kill myself", "kil myself", "kull myself", "kll myself", "killin myself", "kill myslef"],
)
def test_a_typo_or_an_inflection_matches(text: str) -> None:
    assert _matches("kill myself", text)


@pytest.mark.parametrize(
    "text",
    [
        "kul myslef",  # two typos in one phrase: where false alarms live
        "will myself",  # a typo keeps the first letter
        "fill myself",
        "kill yourself",
    ],
)
def test_what_does_not_match(text: str) -> None:
    assert not _matches("kill myself", text)


def test_exact_words_gaps_groups_and_regex_slots() -> None:
    assert not _matches("=od on", "odd on")
    assert _matches("how many ... take to die", "how many tylenol does it take to die")
    assert not _matches("how many ... take to die", "how many of my big blue pills take to die")
    assert _matches("(end|ending) my (suffering|life) [for good|forever]", "ending my life")
    assert _matches("took re:[1-9]\\d+ pills", "took 40 pills")
    assert not _matches("took re:[1-9]\\d+ pills", "took 4 pills")
    es = spelling(folds=[["qu", "k"], ["v", "b"]], suffixes=["ar", "o", "a"])
    assert _matches("quiero quitarme la vida", "kiero kitarme la bida", es)


@pytest.mark.parametrize("text", ["I want to die\ufffd", "i want to die😭😭", "💊💊goodbye"])
def test_symbols_next_to_words_are_words_of_their_own(text: str) -> None:
    assert assess(text).tier in (1, 2)


def test_phrases_do_not_cross_a_clause() -> None:
    assert assess("I want to kill myself").tier == 1
    assert triage._variants("no. I want to die") == [("no", "i want to die")]


@pytest.mark.parametrize("bad", ["", "...", "... die", "[to]", "re:(", "a|=|b"])
def test_bad_phrases_are_refused(bad: str) -> None:
    with pytest.raises(PhraseError):
        compile_phrases(bad, EN)


def _files(**extra: str) -> dict[str, str]:
    base = {"meta.yaml": "version: v\nowner: o\n"}
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("language: xx\nrules: [{id: a, tier: 0, phrases: [x]}]", "1, 2 or 3"),
        ("language: xx\nrules: [{id: a, tier: 1, phrases: [x], guards: [nope]}]", "guards"),
        (
            "language: xx\nrules: [{id: a, tier: 1, phrases: [x]}, {id: a, tier: 1, phrases: [y]}]",
            "duplicate",
        ),
        ("language: xx\nrules: [{id: a, tier: 1, phrases: ['re:(']}]", "phrases"),
        ("rules: []", "language"),
        ("language: xx\nguards: {g: {tier: 3}}", "before or after"),
    ],
)
def test_bad_rules_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(TriageRulesError, match=message):
        build_rules(_files(**{"xx.yaml": text}))


def test_the_version_changes_with_any_rules_file() -> None:
    one = build_rules(
        _files(**{"xx.yaml": "language: xx\nrules: [{id: a, tier: 1, phrases: [x]}]"})
    )
    two = build_rules(
        _files(**{"xx.yaml": "language: xx\nrules: [{id: a, tier: 1, phrases: [y]}]"})
    )
    assert one.version != two.version and one.version.startswith("v+")
    assert len(load_rules().version) <= 32  # Alert.rules_version


def _corpus_languages(directory: Path) -> list[tuple[Path, str]]:
    return [(directory, path.stem) for path in sorted(directory.glob("*.yaml"))]


@pytest.mark.parametrize(
    ("directory", "language"), _corpus_languages(CORPUS_DIR) + _corpus_languages(HOLDOUT_DIR)
)
def test_corpus_targets(directory: Path, language: str) -> None:
    """Recall >= 98 %, false crisis alarms <= 3 %, no benign idiom at a crisis tier, for the
    tuned corpus and for the held-out phrasings written before tuning."""
    report = evaluate(assess, [c for c in load_corpus(directory) if c.language == language])[
        language
    ]
    detail = "\n".join(format_report(report))
    assert report.recall >= RECALL_TARGET, detail
    assert report.false_alarm_rate <= FALSE_ALARM_TARGET, detail
    assert not report.idioms_at_crisis, detail


def test_no_benign_pain_idiom_reaches_a_crisis_tier() -> None:
    for case in load_corpus(CORPUS_DIR) + load_corpus(HOLDOUT_DIR):
        if "idiom" in case.tags and case.tier in (0, 3):
            assert assess(case.text).tier in (0, 3), case.text


@pytest.mark.parametrize(
    "text",
    ["ฉันไม่อยากมีชีวิตอยู่", "მინდა მოვკვდე", "我想死", "죽고 싶어요", "Θέλω να πεθάνω"],
)
def test_text_in_a_script_no_rules_file_covers_is_unreadable(text: str) -> None:
    assert assess(text).readable is False


@pytest.mark.parametrize(
    "text",
    ["5", "yes", "sí, mañana", "😭😭", "ok 👍", "٣", "", "ok thanks a lot, 我", "أريد أن أموت"],
)
def test_readable_text(text: str) -> None:
    assert assess(text).readable is True
