"""Per-language reply words (bot/conversation/languages/<code>.yaml), loaded and merged.

The files are data, one per language, reviewed like the keyword and triage rules; README.md beside
them describes every key. `words_for(language)` merges them for a question shown in `language`:
that language's words and English's, nothing else (issue 19). With thirteen languages, other
languages' words collide: "sau" is 6 in Vietnamese, "si" is yes in Spanish and "not" in
Swahili; English always works because patients mix it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bot.conversation.text_normalize import match_key

PACKAGE = "bot.conversation"
DIRECTORY = "languages"
FALLBACK = "en"

Phrase = tuple[str, ...]  # a phrase as its words

_PHRASE_KEYS = (
    "trailing", "hedges", "answer_lead", "negation", "comparison", "time_before", "time_after",
    "duration_units", "dose_units", "count_units", "count_questions", "count_zero", "fractions",
    "denominators", "or_more", "at_least", "more_than", "yes", "no",
)  # fmt: skip
_WORD_KEYS = (
    "weak_numbers", "large_numbers", "large_number_prefixes", "number_suffixes",
    "ordinal_suffixes", "lead_in", "function_words", "modifiers", "softeners", "slash_endings",
)  # fmt: skip
_NUMBER_KEYS = ("numbers", "count_words")
_KEYS = frozenset({"language", *_PHRASE_KEYS, *_WORD_KEYS, *_NUMBER_KEYS})


class ReplyWordsError(ValueError):
    pass


class _WordsLoader(yaml.SafeLoader):
    """YAML without YAML 1.1's booleans: `no`, `yes`, `y`, `on` are words here."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ReplyWords:
    """What the parser knows of how patients write answers, for one question language."""

    language: str
    numbers: Mapping[str, int] = field(default_factory=dict)
    count_words: Mapping[str, int] = field(default_factory=dict)
    weak_numbers: frozenset[str] = frozenset()
    large_numbers: frozenset[str] = frozenset()
    large_number_prefixes: frozenset[str] = frozenset()
    number_suffixes: frozenset[str] = frozenset()
    ordinal_suffixes: frozenset[str] = frozenset()
    lead_in: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    modifiers: frozenset[str] = frozenset()
    softeners: frozenset[str] = frozenset()
    slash_endings: frozenset[str] = frozenset()
    trailing: frozenset[Phrase] = frozenset()
    hedges: frozenset[Phrase] = frozenset()
    answer_lead: frozenset[Phrase] = frozenset()
    negation: frozenset[Phrase] = frozenset()
    comparison: frozenset[Phrase] = frozenset()
    time_before: frozenset[Phrase] = frozenset()
    time_after: frozenset[Phrase] = frozenset()
    duration_units: frozenset[Phrase] = frozenset()
    dose_units: frozenset[Phrase] = frozenset()
    count_units: frozenset[Phrase] = frozenset()
    count_questions: frozenset[Phrase] = frozenset()
    count_zero: frozenset[Phrase] = frozenset()
    fractions: frozenset[Phrase] = frozenset()
    denominators: frozenset[Phrase] = frozenset()
    or_more: frozenset[Phrase] = frozenset()
    at_least: frozenset[Phrase] = frozenset()
    more_than: frozenset[Phrase] = frozenset()
    yes: frozenset[Phrase] = frozenset()
    no: frozenset[Phrase] = frozenset()

    def is_large_number(self, word: str) -> bool:
        return word in self.large_numbers or any(
            word.startswith(p) for p in self.large_number_prefixes
        )


@cache
def available_languages() -> tuple[str, ...]:
    folder = resources.files(PACKAGE).joinpath(DIRECTORY)
    return tuple(
        sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


@cache
def language_file(code: str) -> ReplyWords:
    """One language's file as written (not merged)."""
    path = resources.files(PACKAGE).joinpath(DIRECTORY, f"{code}.yaml")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_WordsLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise ReplyWordsError(f"{DIRECTORY}/{code}.yaml: {exc}") from exc
    return _parse(code, data)


@cache
def words_for(language: str) -> ReplyWords:
    """The merged words for a question shown in `language` (any code; unknown ones get English)."""
    codes = available_languages()
    own = language_file(language) if language in codes else language_file(FALLBACK)
    accepting = [own] if own.language == FALLBACK else [own, language_file(FALLBACK)]
    merged: dict[str, Any] = {"language": own.language}
    for key in (*_PHRASE_KEYS, *_WORD_KEYS):
        merged[key] = frozenset().union(*(getattr(s, key) for s in accepting))
    merged["numbers"], merged["count_words"], merged["large_numbers"] = _numbers(own, accepting)
    return ReplyWords(**merged)


def _numbers(
    own: ReplyWords, everyone: list[ReplyWords]
) -> tuple[dict[str, int], dict[str, int], frozenset[str]]:
    """Number words: the question's language decides what a word is ("once": 1 time in English,
    11 in Spanish); other languages add only words it does not use."""
    numbers: dict[str, int] = {}
    counts: dict[str, int] = {}
    large: set[str] = set()
    claimed: set[str] = set()
    for lang in everyone:  # `own` first
        mine = set(lang.numbers) | set(lang.count_words) | set(lang.large_numbers)
        numbers.update({w: n for w, n in lang.numbers.items() if w not in claimed})
        counts.update({w: n for w, n in lang.count_words.items() if w not in claimed})
        large.update(w for w in lang.large_numbers if w not in claimed)
        claimed |= mine
    return numbers, counts, frozenset(large)


def _parse(code: str, data: Any) -> ReplyWords:
    where = f"{DIRECTORY}/{code}.yaml"
    if not isinstance(data, dict):
        raise ReplyWordsError(f"{where}: expected a mapping of keys")
    unknown = set(data) - _KEYS
    if unknown:
        raise ReplyWordsError(f"{where}: unknown keys {sorted(unknown)}")
    if data.get("language") != code:
        raise ReplyWordsError(f"{where}: 'language' must be {code!r}")
    fields: dict[str, Any] = {"language": code}
    for key in _NUMBER_KEYS:
        table = data.get(key) or {}
        if not isinstance(table, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in table.values()
        ):
            raise ReplyWordsError(f"{where}: {key} must map words to whole numbers")
        fields[key] = {_one_word(where, key, w): n for w, n in table.items()}
    for key in _WORD_KEYS:
        fields[key] = frozenset(
            w if key == "slash_endings" else _one_word(where, key, w)
            for w in _list(where, key, data)
        )
    for key in _PHRASE_KEYS:
        fields[key] = frozenset(_phrase(where, key, p) for p in _list(where, key, data))
    return ReplyWords(**fields)


def _list(where: str, key: str, data: Mapping[str, Any]) -> Iterable[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReplyWordsError(f"{where}: {key} must be a list of words")
    return [str(v) for v in value]


def _phrase(where: str, key: str, text: str) -> Phrase:
    words = tuple(match_key(text).split())
    if not words:
        raise ReplyWordsError(f"{where}: {key} has an empty entry")
    return words


def _one_word(where: str, key: str, text: object) -> str:
    words = match_key(str(text)).split()
    if len(words) != 1:
        raise ReplyWordsError(f"{where}: {key} entries must be single words, got {text!r}")
    return words[0]
