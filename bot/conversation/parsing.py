"""Lenient reply parser for numbered survey items (safety-ux Appendix C, UX-04/UX-05).

Returns the option *code* the patient chose (the number shown to them), never the scored value;
the engine maps code -> value. Never coerces: anything ambiguous is a failure to re-prompt on.

Order: exact option label -> numbers (digits of any script, keycaps, number words) -> fuzzy label.
Crisis triage and keyword classification run before this (CRISIS-02), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.conversation.text_normalize import match_key, normalize_text
from surveys.model import Item

PARSER_VERSION = "1"

ParseFailure = Literal["empty", "several_numbers", "out_of_range", "decimal", "not_understood"]


@dataclass(frozen=True)
class ParsedReply:
    code: int | None  # the option code chosen, None on failure
    failure: ParseFailure | None
    normalized: str  # the normalised text (for the record)


# Number words accepted from every language (a patient may answer in either). Keys are in
# match_key form (no accents). "un"/"una"/"une" are articles in sentences ("hoy un 6"), so they
# count as 1 only when they are the whole reply.
NUMBER_WORDS: dict[str, dict[str, int]] = {
    "en": {
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    },
    "es": {
        "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
        "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    },
    "fr": {
        "zero": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
        "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    },
}  # fmt: skip
_ALL_NUMBER_WORDS: dict[str, int] = {
    w: n for table in NUMBER_WORDS.values() for w, n in table.items()
}
_STANDALONE_ONE = frozenset({"un", "una", "une"})

MAX_SENTENCE_WORDS = 8  # a number inside a longer message is not taken as an answer
MAX_REPLY_CHARS = 200  # longer messages are never an answer (and are not worth scanning)
_FUZZY_MIN_LABEL = 5
_FUZZY_MAX_DISTANCE = 2
_MAX_DIGITS = 4  # longer digit runs are out of range without converting them

_WORD = re.compile(r"[^\W\d_]+")
# Possessive quantifiers and the look-behind keep these linear on long digit runs.
_DENOMINATOR = re.compile(r"(?<!\d)(\d++)\s*+(?:/|out of|of|de|sur|sobre|en)\s*+(\d++)")
_DECIMAL = re.compile(r"\d[.,]\d")
_NUMBER = re.compile(r"\d+")
_MINUS = "-\u2212\u2013"


def parse_reply(text: str, item: Item, language: str) -> ParsedReply:
    """Parse a patient's reply to `item` shown in `language`."""
    normalized = normalize_text(text)
    key = match_key(normalized)
    if not key:
        return ParsedReply(None, "empty", normalized)

    if len(key) > MAX_REPLY_CHARS:
        return ParsedReply(None, "not_understood", normalized)
    code = _exact_label(key, item, language)
    if code is not None:
        return ParsedReply(code, None, normalized)

    numeric = _parse_number(normalized, key, item)
    if numeric is not None:
        return ParsedReply(numeric[0], numeric[1], normalized)

    code = _fuzzy_label(key, item, language)
    if code is not None:
        return ParsedReply(code, None, normalized)
    return ParsedReply(None, "not_understood", normalized)


# Normalising every option label took most of the engine's time per answer (~200 us for
# DVPRS's long anchors), yet labels never change: keep them per item and language. Keyed by
# id() because items hold dicts (unhashable); the entry keeps the item alive, so an id is never
# reused while cached. Bounded, since tests build many throwaway items.
_LABEL_KEYS: dict[tuple[int, str], tuple[Item, list[list[tuple[str, int]]]]] = {}
_LABEL_KEYS_MAX = 4096


def _label_keys(item: Item, language: str) -> list[list[tuple[str, int]]]:
    """(label key, code) per option, patient's language first, then English."""
    cached = _LABEL_KEYS.get((id(item), language))
    if cached is not None and cached[0] is item:
        return cached[1]
    langs = [language] if language == "en" else [language, "en"]
    keys = [
        [(match_key(o.label[lang]), o.code) for o in item.options if lang in o.label]
        for lang in langs
    ]
    if len(_LABEL_KEYS) >= _LABEL_KEYS_MAX:
        _LABEL_KEYS.clear()
    _LABEL_KEYS[(id(item), language)] = (item, keys)
    return keys


def _exact_label(key: str, item: Item, language: str) -> int | None:
    for labels in _label_keys(item, language):
        # Purely numeric labels ("0".."10") are left to the number rules ("-1" is not "1").
        codes = {code for label, code in labels if _has_letter(label) and label == key}
        if len(codes) == 1:
            return codes.pop()
    return None


def _fuzzy_label(key: str, item: Item, language: str) -> int | None:
    if len(key) < 3 or len(key) > 60:
        return None
    codes: set[int] = set()
    for labels in _label_keys(item, language):
        for label, code in labels:
            if len(label) >= _FUZZY_MIN_LABEL and _within_distance(key, label, _FUZZY_MAX_DISTANCE):
                codes.add(code)
    return codes.pop() if len(codes) == 1 else None


def _words_to_digits(normalized: str) -> str:
    words = _WORD.findall(normalized)
    if len(words) == 1 and words[0] in _STANDALONE_ONE and not _NUMBER.search(normalized):
        return "1"

    def repl(m: re.Match[str]) -> str:
        n = _ALL_NUMBER_WORDS.get(m.group(0))
        return m.group(0) if n is None else str(n)

    return _WORD.sub(repl, normalized)


def _parse_number(
    normalized: str, key: str, item: Item
) -> tuple[int | None, ParseFailure | None] | None:
    """(code, None) or (None, failure) when the reply is numeric; None when it has no number."""
    text = _words_to_digits(normalized)
    if not _NUMBER.search(text):
        return None
    top = max(item.codes) if item.codes else None

    if len(key.split()) > MAX_SENTENCE_WORDS:
        return (None, "not_understood")
    # "3/10", "3 out of 10", "3 de 10": one number, if the denominator is this scale's maximum.
    # "3/10" on a 1-5 item is not coerced to 3: the patient may be using another scale.
    wrong_scale = False

    def drop_denominator(m: re.Match[str]) -> str:
        nonlocal wrong_scale
        if (m.group(2).lstrip("0") or "0") == str(top):
            return m.group(1)
        wrong_scale = True
        return m.group(0)

    text = _DENOMINATOR.sub(drop_denominator, text)
    if _DECIMAL.search(text):
        return (None, "decimal")
    numbers = list(_NUMBER.finditer(text))
    if wrong_scale and len(numbers) == 2:
        return (None, "out_of_range")
    if len(numbers) > 1:
        return (None, "several_numbers")
    m = numbers[0]
    start = m.start()
    negative = start > 0 and text[start - 1] in _MINUS and (start == 1 or text[start - 2].isspace())
    digits = m.group(0).lstrip("0") or "0"
    if negative or len(digits) > _MAX_DIGITS:
        return (None, "out_of_range")
    value = int(digits)
    if value not in item.codes:
        return (None, "out_of_range")
    return (value, None)


def _has_letter(text: str) -> bool:
    return _WORD.search(text) is not None


def _within_distance(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance(a, b) <= limit, stopping early."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit
