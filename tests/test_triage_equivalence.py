"""Crisis triage made faster gives the same answer as before, for every input tried (issue 16).

The reference is a frozen copy of triage as it was before the speed work (tests/frozen_triage/).
Inputs: every text of every case file under tests/cases/ (the triage corpora and hold-outs in
all languages, the regression and per-language lists, keyword, parser and reply cases), texts
built from every phrase and guard of every language's rules file (words picked at random among
the alternatives, optional words in or out, gaps filled, one-letter typos, guards around them,
several phrases in one message), and hostile text (random Unicode, long messages, control and
format characters, Zawgyi-looking Burmese). The whole result must agree: tier, rule, version,
readable.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import triage
from bot.conversation.text_normalize import match_key, normalize_text
from bot.conversation.triage_phrases import Words
from tests.frozen_triage import text_normalize as frozen_normalize
from tests.frozen_triage import triage as frozen
from tests.frozen_triage.triage_phrases import Phrase, compile_phrases

CASES = Path(__file__).parent / "cases"
RULES = Path(triage.__file__).parent / "rules" / triage.RULES_DIR
FILLERS = ("really", "just", "so", "i", "the", "today", "ya", "muy", "très", "وال")
# Words a `re:` slot of a phrase may stand for (doses, counts, times): those that fit are used.
REGEX_SAMPLES = ("30", "100mg", "500mg", "2", "20", "1000", "10mg", "pills", "50")


def _texts_in(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from _texts_in(value)


@cache
def case_texts() -> list[str]:
    texts: set[str] = set()
    for path in sorted(CASES.rglob("*.yaml")):
        texts.update(_texts_in(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return sorted(texts)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    n = rng.randrange(1, len(word))
    kind = rng.choice(("drop", "double", "swap", "change"))
    if kind == "drop":
        return word[:n] + word[n + 1 :]
    if kind == "double":
        return word[:n] + word[n] + word[n:]
    if kind == "swap" and n < len(word) - 1:
        return word[:n] + word[n + 1] + word[n] + word[n + 2 :]
    return word[:n] + rng.choice("aeiouklmnrst") + word[n + 1 :]


def realise(phrase: Phrase, rng: random.Random, typos: bool) -> str:
    """One message text the phrase is written to match (or nearly, with typos)."""
    words: list[str] = []
    for slot in phrase.slots:
        if slot.gap:
            words.extend(rng.choice(FILLERS) for _ in range(rng.randrange(0, 4)))
            continue
        if slot.optional and rng.random() < 0.5:
            continue
        if slot.regex is not None:
            fits = [s for s in REGEX_SAMPLES if slot.regex.fullmatch(s)]
            words.append(rng.choice(fits) if fits else rng.choice(REGEX_SAMPLES))
            continue
        word = rng.choice(slot.words).folded
        words.append(_typo(word, rng) if typos and rng.random() < 0.3 else word)
    return " ".join(words)


def rules_texts(seed: int = 16) -> list[str]:
    """Texts from every phrase and guard phrase of every rules file, alone and combined."""
    rng = random.Random(seed)
    texts: list[str] = []
    for path in sorted(RULES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "language" not in data:
            continue
        lang = next(x for x in frozen.load_rules().languages if x.code == data["language"])
        guards = [p for g in lang.rules for guard in g.guards for p in (*guard.before,
                  *guard.after)]  # fmt: skip
        phrases = [p for rule in lang.rules for p in rule.phrases]
        for source in (r.get("phrases") or [] for r in data.get("rules") or []):
            for raw in source:
                for phrase in compile_phrases(raw, lang.spelling):
                    # one text per phrase: as written, with typos (in capitals), or guarded
                    core = realise(phrase, rng, typos=rng.random() < 0.3)
                    way = rng.random()
                    if way < 0.2:
                        core = core.upper()
                    elif way < 0.5 and guards:
                        guard = realise(rng.choice(guards), rng, typos=False)
                        core = f"{guard} {core}" if rng.random() < 0.5 else f"{core} {guard}"
                    texts.append(core)
        for _ in range(100):
            picked = rng.sample(phrases, k=min(3, len(phrases))) if phrases else []
            texts.append(
                rng.choice((". ", ", ", " ", "!! ", "\n")).join(
                    realise(p, rng, typos=rng.random() < 0.5) for p in picked
                )
            )
        for idiom in data.get("idioms") or []:
            texts.append(re.sub(r"[\\^$()?*+\[\]{}|]", "", idiom["pattern"]))
    return texts


def hostile_texts(seed: int = 160) -> list[str]:
    rng = random.Random(seed)
    words = [w for t in case_texts()[:: max(1, len(case_texts()) // 400)] for w in t.split()]
    odd = ["\u200b", "\u200f", "\u202e", "\ufeff", "\x00", "\ufffd", "😭", "1\ufe0f\u20e3",
           "🔟", "\u0301", "\u064b", "ـ", "ك", "ي", "\u1031", "\u103b", "İ", "ß", "ﬁ", "٣",
           "\r\n", "\t", "...", "!!!", "'", "’", "`"]  # fmt: skip
    texts = [
        "",
        " ",
        "\x00" * 10,
        "a" * 5000,
        "kill " * 2000,
        " ".join(["the pain in my lower back was bad again today"] * 150),
        " ".join(["كان الألم في ظهري شديدا اليوم ولم أستطع النوم"] * 100),
        "ေျပာမယ္ ကၽြန္ေတာ္ ေသခ်င္တယ္",  # Zawgyi-looking Burmese
        "I wanttt to diiiie",
        "killlll myyyyself",
    ]
    for _ in range(1500):
        picked = rng.choices(words, k=rng.randrange(1, 12))
        pieces = [
            w + rng.choice(odd) if rng.random() < 0.2 else (w.upper() if rng.random() < 0.1 else w)
            for w in picked
        ]
        texts.append(rng.choice(("", " ", "  ", "\n")).join(pieces) or " ")
    return texts


def _same(text: str) -> None:
    new, old = triage.assess(text), frozen.assess(text)
    assert (new.tier, new.rule_id, new.rules_version, new.readable) == (
        old.tier,
        old.rule_id,
        old.rules_version,
        old.readable,
    ), repr(text)


def test_same_rules_version() -> None:
    assert triage.rules_version() == frozen.rules_version()


def test_same_result_for_every_case_text() -> None:
    texts = case_texts()
    assert len(texts) > 2000  # the corpora are all there
    for text in texts:
        _same(text)


def test_same_result_for_texts_built_from_every_rule_phrase() -> None:
    texts = rules_texts()
    assert len(texts) > 3000
    crisis = sum(frozen.assess(t).tier in (1, 2) for t in texts)
    assert crisis > len(texts) // 3  # the texts do reach the rules, not only their misses
    for text in texts:
        _same(text)


def test_same_result_for_hostile_texts() -> None:
    for text in hostile_texts():
        _same(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_same_result_for_any_text(text: str) -> None:
    _same(text)


def _same_normalised(text: str) -> None:
    assert normalize_text(text) == frozen_normalize.normalize_text(text), repr(text)
    assert match_key(text) == frozen_normalize.match_key(text), repr(text)


def test_same_normalised_text_for_every_case_and_hostile_text() -> None:
    for text in [*case_texts(), *hostile_texts(), *rules_texts()[::4]]:
        _same_normalised(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_same_normalised_text_for_any_ascii_text(text: str) -> None:
    # every ASCII character, controls included: the fast path's whole domain
    _same_normalised(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_same_normalised_text_for_any_text(text: str) -> None:
    _same_normalised(text)


@pytest.mark.parametrize("code", range(128))
def test_same_normalised_text_for_each_ascii_character(code: int) -> None:
    for text in (chr(code), f"a{chr(code)}b", f"{chr(code)} 5 {chr(code)}", f"I{chr(code)}m"):
        _same_normalised(text)


def test_phrase_index_returns_exactly_the_phrases_find_does_not_turn_away() -> None:
    for lang in triage.load_rules().languages:
        if not lang.phrases:
            continue
        for text in case_texts()[::3]:
            words = Words.of([c.split() for c in match_key(text).split(",")], lang.spelling)
            expected = [
                n
                for n, phrase in enumerate(lang.phrases)
                if phrase.anchor_keys is None or words.holds_any(phrase.anchor_keys)
            ]
            assert lang.index.candidates(words) == expected, (lang.code, text)


def test_a_remembered_result_is_the_same_as_a_fresh_one() -> None:
    texts = [*case_texts()[::5], *hostile_texts()[::10]]
    for text in texts + texts:  # the second time from the memo (for short texts)
        _same(text)


def test_the_memo_is_bounded_per_language_and_skips_long_messages() -> None:
    languages = triage.load_rules().languages
    for lang in languages:
        lang.memo.cache_clear()  # type: ignore[attr-defined]
    for n in range(triage.MEMO_ENTRIES + 300):
        triage.assess(f"my pain is {n} today")
    triage.assess("my back hurts " * 40)  # 560 characters: read afresh, not kept
    for lang in languages:
        info = lang.memo.cache_info()  # type: ignore[attr-defined]
        assert info.currsize == triage.MEMO_ENTRIES
        assert info.misses == triage.MEMO_ENTRIES + 300
    assert triage.assess("I want to kill myself").tier == 1
    assert triage.assess("I want to kill myself").tier == 1  # remembered: the same
