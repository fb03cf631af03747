"""Precision-first reply parser for numbered survey items (issue 13; safety-ux Appendix C).

A reply is stored only when its meaning for the item is unambiguous: a bare number or option
code, an option's words (exactly, nearly, or enough of them to say which), a number word, or a
short phrase whose only number is plainly the answer ("like a 6", "7/10", "mi dolor es 6 hoy").
Everything else is a failure the engine re-prompts on: letters typed for digits ("l0"),
negation ("not a 10"), comparison ("less than 5"), ranges and several numbers, times ("at
two"), durations ("2 hours"), ordinals ("2nd"), doses ("2 pills"), numbers beyond the scale
("nine hundred") and half points in every form ("6.5", "6,5", "6½", "6 and a half").

Returns the option *code* (the number shown to the patient), never the scored value; the engine
maps code -> value. `how` says whether the reply was a bare number, an option's exact words, or
anything else, which the engine reads back to the patient. The words of each language are data
(bot/conversation/languages/); crisis triage and commands run before this (CRISIS-02).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.conversation.labels import LabelIndex, build_index
from bot.conversation.reply_words import Phrase, ReplyWords, words_for
from bot.conversation.text_normalize import match_key, normalize_text
from surveys.model import Item

PARSER_VERSION = "2"

ParseFailure = Literal[
    "empty",  # nothing but spaces or punctuation
    "several_numbers",  # two numbers or two options, a range
    "out_of_range",  # a number that is no option (or a part of a larger number)
    "decimal",  # a half point or any fraction
    "wrong_scale",  # "7/10" on a 1-5 item
    "negation",  # "not a 10"
    "comparison",  # "less than 5"
    "not_a_rating",  # a time, duration, dose, ordinal or count
    "not_understood",
]
How = Literal["number", "label", "interpreted"]


@dataclass(frozen=True)
class ParsedReply:
    code: int | None  # the option code chosen, None on failure
    failure: ParseFailure | None
    normalized: str  # the normalised text (for the record)
    # "number": a bare number; "label": an option's exact words; "interpreted": anything else
    # (read back to the patient so a misreading can be undone)
    how: How | None = None

    @property
    def read_back(self) -> bool:
        return self.code is not None and self.how == "interpreted"


MAX_REPLY_CHARS = 200  # longer messages are never an answer (and are not worth scanning)
MAX_NUMBER_REPLY_WORDS = 12  # a number inside a longer message is not taken as an answer
MAX_OPEN_TOP = 99  # "4 or more": numbers up to this select it
_MAX_DIGITS = 4

_BARE = re.compile(r"#?\s*(\d+)\s*[.!]*")
# Vowel signs and other combining marks (Devanagari, Myanmar, ...) belong to their word: "\w"
# alone would cut "सात" (seven) into pieces.
_MARKS = "".join(
    re.escape(chr(c)) for c in range(0x0300, 0x10000) if unicodedata.category(chr(c))[0] == "M"
)
_TOKEN = re.compile(
    rf"\d+(?:[.,]\d+)*|[^\W\d_](?:[^\W\d_]|[{_MARKS}])*|[,;!?.:/+<>\u2044-]|[\u2212\u2013]"
)
_SEPARATORS = frozenset(",;!?.:")  # ":" between digits is a clock time, found first
_MINUS = frozenset("-\u2212\u2013")
_ORDINAL_MARKS = str.maketrans({"\u00ba": "o", "\u00aa": "a"})  # º ª (NFKC turns them into o a)


def parse_reply(text: str, item: Item, language: str) -> ParsedReply:
    """Parse a patient's reply to `item` shown in `language`."""
    normalized = normalize_text(text.translate(_ORDINAL_MARKS))
    key = match_key(normalized)
    if not key:
        return ParsedReply(None, "empty", normalized)
    if len(key) > MAX_REPLY_CHARS:
        return ParsedReply(None, "not_understood", normalized)
    words = words_for(language)
    index = label_index(item, language)
    exact = index.match_exact(key)
    if exact is not None:
        return ParsedReply(exact, None, normalized, "label")
    bare = _BARE.fullmatch(normalized)
    if bare is not None:
        digits = bare.group(1)
        value = int(digits[-_MAX_DIGITS - 1 :])  # longer runs are out of range anyway
        code, failure = _code_for(value, digits, item)
        if code is None:
            return ParsedReply(None, failure, normalized)
        # "5" on a "4 or more" item stores 4: read back like any interpretation
        return ParsedReply(code, None, normalized, "number" if code == value else "interpreted")
    code, failure = _Reply(normalized, item, language, words, index).parse()
    return ParsedReply(code, failure, normalized, "interpreted" if code is not None else None)


# Building an item's option words took most of the parser's time per answer, yet they never
# change: keep them per item and language. Keyed by id() because items hold dicts (unhashable);
# the entry keeps the item alive, so an id is never reused while cached. Bounded, since tests
# build many throwaway items.
@dataclass(frozen=True)
class _ItemFacts:
    labels: LabelIndex
    open_top: tuple[int, int] | None  # (code, n) of a "4 or more" option
    count_question: bool  # the item asks "how many times"


_FACTS: dict[tuple[int, str], tuple[Item, _ItemFacts]] = {}
_FACTS_MAX = 4096


def _facts(item: Item, language: str) -> _ItemFacts:
    cached = _FACTS.get((id(item), language))
    if cached is not None and cached[0] is item:
        return cached[1]
    words = words_for(language)
    facts = _ItemFacts(
        build_index(item, language, words),
        _open_top(item),
        _is_count_question(item, language, words),
    )
    if len(_FACTS) >= _FACTS_MAX:
        _FACTS.clear()
    _FACTS[(id(item), language)] = (item, facts)
    return facts


def label_index(item: Item, language: str) -> LabelIndex:
    return _facts(item, language).labels


def open_top(item: Item) -> tuple[int, int] | None:
    """(code, n) of an option like "4 or more" / "4 o más" (any language's words), else None."""
    return _facts(item, "en").open_top


def _code_for(value: int, digits: str, item: Item) -> tuple[int | None, ParseFailure | None]:
    """The option code for a number the patient gave, or why there is none."""
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        return None, "out_of_range"
    if value in item.codes:
        return value, None
    top = open_top(item)
    if top is not None and top[1] < value <= MAX_OPEN_TOP:
        return top[0], None
    return None, "out_of_range"


def _open_top(item: Item) -> tuple[int, int] | None:
    for option in item.options:
        for label in option.label.values():
            words = match_key(label).split()
            if len(words) >= 2 and words[0].isdigit():
                tail = tuple(words[1:])
                if any(tail in words_for(lang).or_more for lang in option.label):
                    return option.code, int(words[0])
    return None


@dataclass
class _Token:
    kind: Literal["num", "word", "sep", "sym"]
    text: str
    start: int
    end: int
    value: int | None = None  # numbers and number words
    weak: bool = False  # "one", "un": a number only when nothing else is
    count: bool = False  # "once", "twice"
    removed: bool = False  # part of a quantity, a hedge or an article


class _Reply:
    """One reply that is not a bare number nor an option's exact words."""

    def __init__(
        self, normalized: str, item: Item, language: str, words: ReplyWords, index: LabelIndex
    ) -> None:
        self.item = item
        self.language = language
        self.w = words
        self.index = index
        self.text = normalized.replace("'", "")
        self.tokens = [
            _Token(_kind(m.group(0)), m.group(0), m.start(), m.end())
            for m in _TOKEN.finditer(self.text)
        ]
        self.count_question = _facts(item, language).count_question

    def parse(self) -> tuple[int | None, ParseFailure | None]:
        failure = self._symbols()
        if failure is not None:
            return None, failure
        failure = self._mark_numbers()
        if failure is not None:
            return None, failure
        numbers = [t for t in self.tokens if t.value is not None]
        if not numbers:
            return self._words_only()
        if sum(1 for t in self.tokens if t.kind == "word") > MAX_NUMBER_REPLY_WORDS:
            return None, "not_understood"
        self._remove(self.w.hedges)
        bound = self._open_top_bound()
        if bound is not None:
            return bound
        if any(self._has(self.w.fractions, t) for t in self.tokens if not t.removed):
            return None, "decimal"
        quantities = self._remove_quantities()
        self._drop_articles()
        candidates = [t for t in self.tokens if t.value is not None and not t.removed]
        if not candidates:
            if quantities:
                code, _ = self._words_only()  # "retired 2 years ago" is still "retired"
                return (code, None) if code is not None else (None, "not_a_rating")
            return None, "not_understood"
        if len(candidates) > 1:
            return None, "several_numbers"
        return self._single(candidates[0])

    # ---- steps ----------------------------------------------------------------------------

    def _symbols(self) -> ParseFailure | None:
        """Fractions, decimals, clock times, letters stuck to digits, denominators."""
        toks = self.tokens
        if any(t.text == "\u2044" for t in toks):  # "6½" reads as "61⁄2" once normalised
            return "decimal"
        for i, t in enumerate(toks):
            if t.kind != "num":
                continue
            if "." in t.text or "," in t.text:
                failure = self._decimal(t)
                if failure is not None:
                    return failure
            after = toks[i + 1] if i + 1 < len(toks) else None
            before = toks[i - 1] if i else None
            if after is not None and after.text == ":" and _next_is_num(toks, i + 1):
                return "not_a_rating"  # 2:30
            if before is not None and before.kind == "word" and before.end == t.start:
                return "not_understood"  # "l0", "q5": letters typed for digits
            if after is not None and after.kind == "word" and after.start == t.end:
                failure = self._suffix(t, after)
                if failure is not None:
                    return failure
        return self._denominators()

    def _decimal(self, t: _Token) -> ParseFailure | None:
        whole, *fractions = re.split(r"[.,]", t.text)
        if len(fractions) == 1 and len(fractions[0]) <= 2 and set(fractions[0]) == {"0"}:
            t.text = whole  # "6.0", "6,0": a whole number
            return None
        if len(fractions) > 1 or len(fractions[0]) == 3:
            return "out_of_range"  # 1,000 or 1.000.000: thousands
        return "decimal"

    def _suffix(self, t: _Token, after: _Token) -> ParseFailure | None:
        """Letters written straight after a number: '5ish', '2nd', '800mg', '2pm', '1O'."""
        suffix = after.text
        if suffix in self.w.number_suffixes:
            after.removed = True
            return None
        if suffix in self.w.ordinal_suffixes:
            return "not_a_rating"
        unit = (suffix,)
        if any(unit in group for group in self._unit_groups()) or unit in self.w.time_after:
            return None  # a unit: judged with the other quantities
        return "not_understood"

    def _denominators(self) -> ParseFailure | None:
        """'7/10', '7 out of 10', '3 de 5': the number on the item's own scale, or a failure."""
        toks = self.tokens
        top = max(self.item.codes) if self.item.codes else None
        i = 0
        while i < len(toks):
            t = toks[i]
            numerator = self._numeric(t)
            if numerator is None:
                i += 1
                continue
            span = 1 if i + 1 < len(toks) and toks[i + 1].text == "/" else 0
            if not span:
                span = self._phrase_at(i + 1, self.w.denominators)
            j = i + 1 + span
            denominator = self._numeric(toks[j]) if span and j < len(toks) else None
            if denominator is not None:
                if denominator == top:
                    for k in range(i + 1, j + 1):
                        toks[k].removed = True
                elif numerator < denominator <= 4:
                    return "decimal"  # 1/2, 3/4: fractions
                else:
                    return "wrong_scale"
                i = j + 1
                continue
            i += 1
        self.tokens = [t for t in toks if not t.removed]
        return None

    def _numeric(self, t: _Token) -> int | None:
        """The number a digit run or a number word stands for ("three out of ten")."""
        if t.kind == "num" and len(t.text.lstrip("0")) <= _MAX_DIGITS:
            return int(t.text)
        return self.w.numbers.get(t.text) if t.kind == "word" else None

    def _mark_numbers(self) -> ParseFailure | None:
        w = self.w
        for i, t in enumerate(self.tokens):
            if t.kind == "num":
                t.value = int(t.text[-_MAX_DIGITS - 1 :])
                if len(t.text.lstrip("0")) > _MAX_DIGITS:
                    return "out_of_range"
                before = self.tokens[i - 1] if i else None
                prior = self.tokens[i - 2] if i > 1 else None
                if (
                    before is not None
                    and before.text in _MINUS
                    and (prior is None or prior.kind == "sep")
                ):
                    return "out_of_range"  # -1
            elif t.kind == "word":
                if t.text in w.numbers:
                    t.value, t.weak = w.numbers[t.text], t.text in w.weak_numbers
                elif t.text in w.count_words:
                    t.value, t.count = w.count_words[t.text], True
                elif w.is_large_number(t.text):
                    return "out_of_range"  # "nine hundred", "veinte", "sixty five"
        return None

    def _open_top_bound(self) -> tuple[int | None, ParseFailure | None] | None:
        """'4+', '4 or more', 'at least 4', 'more than 3': an open top option, or a bound."""
        toks = [t for t in self.tokens if not t.removed]
        for i, t in enumerate(toks):
            if t.value is None:
                continue
            low: int | None = None
            if i + 1 < len(toks) and toks[i + 1].text == "+":
                low = t.value
            elif _ends_with(toks, i, self.w.at_least):
                low = t.value
            elif _ends_with(toks, i, self.w.more_than):
                low = t.value + 1
            elif _starts_with(toks, i + 1, self.w.or_more):
                low = t.value
            if low is None:
                continue
            top = open_top(self.item)
            if top is not None and low >= top[1] and sum(x.value is not None for x in toks) == 1:
                return top[0], None
            return None, "comparison"
        return None

    def _remove_quantities(self) -> bool:
        """Mark numbers that count hours, pills, times or clock times; True if any."""
        toks = self.tokens
        found = False
        for i, t in enumerate(toks):
            if t.value is None or t.removed:
                continue
            after = self._unit_after(i)
            if after is not None:
                n, counted = after
                if counted and self.count_question:
                    for k in range(i + 1, i + 1 + n):
                        toks[k].removed = True  # "2 times" on a "how many times" question
                    t.count = False
                    continue
                for k in range(i, i + 1 + n):
                    toks[k].removed = True
                self._remove_time_words(i)
                found = True
                continue
            if t.count and not self.count_question:
                t.removed = found = True  # "twice" is no rating
                continue
            if t.count:
                t.count = False
                continue
            before = self._phrase_before(i, self.w.time_before)
            if before:
                for k in range(i - before, i + 1):
                    toks[k].removed = True
                self._remove_time_words(i)
                found = True
        return found

    def _unit_after(self, i: int) -> tuple[int, bool] | None:
        """(words, is a count unit) when a unit or time word follows token i."""
        for group, counted in (
            (self.w.count_units, True),
            (self.w.duration_units, False),
            (self.w.dose_units, False),
            (self.w.time_after, False),
        ):
            n = self._phrase_at(i + 1, group)
            if n:
                return n, counted
        return None

    def _remove_time_words(self, i: int) -> None:
        """'2 years ago', 'hace 3 días': the time words around a quantity go with it."""
        toks = self.tokens
        j = i + 1
        while j < len(toks) and toks[j].removed:
            j += 1
        n = self._phrase_at(j, self.w.time_after)
        for k in range(j, j + n):
            toks[k].removed = True
        n = self._phrase_before(i, self.w.time_before)
        for k in range(i - n, i):
            toks[k].removed = True

    def _drop_articles(self) -> None:
        """'un 6', 'hoy un 6': a weak number word right before a number is an article."""
        live = [t for t in self.tokens if not t.removed]
        for a, b in zip(live, live[1:], strict=False):
            if a.weak and b.value is not None:
                a.removed = True
                a.value = None

    def _single(self, number: _Token) -> tuple[int | None, ParseFailure | None]:
        """One number: it is the answer only where its clause says nothing else about it."""
        clause, others = self._clauses_around(number)
        words = [t for t in clause if t.kind == "word" and not t.removed]
        if any(self._has(self.w.negation, t) for t in words):
            return None, "negation"
        if any(self._has(self.w.comparison, t) for t in words) or any(
            t.text in "<>" for t in clause
        ):
            return None, "comparison"
        pos = clause.index(number)
        lead = [t for t in clause[:pos] if not t.removed or t.weak]
        if lead and (lead[-1].kind != "word" or lead[-1].text not in self.w.lead_in):
            return None, "not_understood"
        rest = tuple(t.text for t in clause[pos + 1 :] if not t.removed and t.kind == "word")
        if any(t.kind == "sym" and not t.removed for t in clause[pos + 1 :]):
            return None, "not_understood"
        if not _consumed(rest, self.w.trailing):
            return None, "not_understood"
        assert number.value is not None
        code, failure = _code_for(number.value, str(number.value), self.item)
        if code is None:
            return None, failure
        for other in others:  # "never, 3": another clause naming another option
            named = self._label_of(other)
            if named is not None and named != code:
                return None, "several_numbers"
        return code, None

    def _words_only(self) -> tuple[int | None, ParseFailure | None]:
        """No number: an option's words (with frames such as "I'd say" removed), or nothing."""
        kept = [t.text for t in self.tokens if t.kind == "word" and not t.removed]
        if self.count_question and 0 in self.item.codes and tuple(kept) in self.w.count_zero:
            return 0, None  # "never" to "how many times...?"
        code = self._label_of(kept)
        if code is not None:
            return code, None
        return None, "not_understood"

    def _label_of(self, kept: Sequence[str] | Sequence[_Token]) -> int | None:
        words = [k if isinstance(k, str) else k.text for k in kept if _is_word(k)]
        stripped = _strip_frames(tuple(words), self.w.answer_lead, self.w.trailing)
        candidates = [" ".join(c) for c in dict.fromkeys((tuple(words), stripped)) if c]
        for key in candidates:  # the cheap look-ups first, for both forms
            code = self.index.exact.get(key, self.index.variants.get(key))
            if code is not None:
                return code
        for key in candidates:
            found = self.index.match(key, self.w)
            if found is not None:
                return found[0]
        return None

    # ---- helpers --------------------------------------------------------------------------

    def _unit_groups(self) -> tuple[frozenset[Phrase], ...]:
        return (self.w.count_units, self.w.duration_units, self.w.dose_units)

    def _has(self, phrases: frozenset[Phrase], t: _Token) -> bool:
        i = self.tokens.index(t)
        return self._phrase_at(i, phrases) > 0

    def _phrase_at(self, i: int, phrases: frozenset[Phrase]) -> int:
        """How many word tokens from i form the longest phrase of `phrases` (0 if none)."""
        toks = self.tokens
        if i >= len(toks) or toks[i].kind != "word":
            return 0
        for phrase in _by_first_word(phrases).get(toks[i].text, ()):  # longest first
            n = len(phrase)
            if i + n <= len(toks) and all(
                toks[i + k].kind == "word" and toks[i + k].text == phrase[k] for k in range(1, n)
            ):
                return n
        return 0

    def _phrase_before(self, i: int, phrases: frozenset[Phrase]) -> int:
        """How many word tokens right before i form the longest phrase of `phrases`."""
        toks = self.tokens
        if i < 1 or toks[i - 1].kind != "word":
            return 0
        for phrase in _by_last_word(phrases).get(toks[i - 1].text, ()):  # longest first
            n = len(phrase)
            if i - n >= 0 and all(
                toks[i - n + k].kind == "word" and toks[i - n + k].text == phrase[k]
                for k in range(n)
            ):
                return n
        return 0

    def _remove(self, phrases: frozenset[Phrase]) -> None:
        i = 0
        while i < len(self.tokens):
            n = self._phrase_at(i, phrases)
            for k in range(i, i + n):
                self.tokens[k].removed = True
            i += max(n, 1)

    def _clauses_around(self, number: _Token) -> tuple[list[_Token], list[list[_Token]]]:
        clauses: list[list[_Token]] = [[]]
        for t in self.tokens:
            if t.kind == "sep":
                clauses.append([])
            else:
                clauses[-1].append(t)
        mine = next(c for c in clauses if number in c)
        return mine, [c for c in clauses if c is not mine and c]


@lru_cache(maxsize=256)
def _by_first_word(phrases: frozenset[Phrase]) -> dict[str, tuple[Phrase, ...]]:
    """Phrases grouped by their first word, longest first (a frozenset caches its hash)."""
    grouped: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase[0], []).append(phrase)
    return {w: tuple(sorted(ps, key=len, reverse=True)) for w, ps in grouped.items()}


@lru_cache(maxsize=256)
def _by_last_word(phrases: frozenset[Phrase]) -> dict[str, tuple[Phrase, ...]]:
    grouped: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase[-1], []).append(phrase)
    return {w: tuple(sorted(ps, key=len, reverse=True)) for w, ps in grouped.items()}


def _kind(text: str) -> Literal["num", "word", "sep", "sym"]:
    if text[0].isdigit():
        return "num"
    if text in _SEPARATORS:
        return "sep"
    if text[0].isalpha():
        return "word"
    return "sym"


def _is_word(k: str | _Token) -> bool:
    return isinstance(k, str) or (k.kind == "word" and not k.removed and k.value is None)


def _next_is_num(tokens: list[_Token], i: int) -> bool:
    """Whether a number follows token i with no space ("2:30")."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return nxt is not None and nxt.kind == "num" and nxt.start == tokens[i].end


def _ends_with(tokens: list[_Token], i: int, phrases: frozenset[Phrase]) -> bool:
    """Whether the words right before token i are one of `phrases`."""
    for phrase in phrases:
        n = len(phrase)
        if i - n >= 0 and tuple(t.text for t in tokens[i - n : i]) == phrase:
            return True
    return False


def _starts_with(tokens: list[_Token], i: int, phrases: frozenset[Phrase]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        if tuple(t.text for t in tokens[i : i + n]) == phrase:
            return True
    return False


def _consumed(rest: tuple[str, ...], phrases: frozenset[Phrase]) -> bool:
    """Whether `rest` is made entirely of `phrases`, one after another (longest first)."""
    i = 0
    grouped = _by_first_word(phrases)
    while i < len(rest):
        for phrase in grouped.get(rest[i], ()):
            if rest[i : i + len(phrase)] == phrase:
                i += len(phrase)
                break
        else:
            return False
    return True


def _strip_frames(
    words: tuple[str, ...], lead: frozenset[Phrase], trailing: frozenset[Phrase]
) -> tuple[str, ...]:
    """Remove "I'd say", "I guess", "estoy"... from the ends of an answer in words."""
    changed = True
    while changed and words:
        changed = False
        for phrase in _by_first_word(lead).get(words[0], ()):
            if len(phrase) < len(words) and words[: len(phrase)] == phrase:
                words, changed = words[len(phrase) :], True
                break
        for phrase in _by_last_word(trailing).get(words[-1], ()):
            if len(phrase) < len(words) and words[-len(phrase) :] == phrase:
                words, changed = words[: -len(phrase)], True
                break
    return words


def _is_count_question(item: Item, language: str, words: ReplyWords) -> bool:
    """Whether the item asks "how many times" (so "2 times" or "twice" is its answer)."""
    for lang in dict.fromkeys((language, "en")):
        stem = match_key(item.text.get(lang, ""))
        padded = f" {stem} "
        if any(f" {' '.join(p)} " in padded for p in words.count_questions):
            return True
    return False
