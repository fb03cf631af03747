"""An item's option words, and which option a reply made of words means (if exactly one).

Used by the reply parser after numbers. In order, a reply may be:
  1. an option's words exactly (case, accents and punctuation aside);
  2. a variant of them: without the words every option shares ("never" for "Never true"), without
     the lead two options share ("part time" for "Working part time"), the end options without a
     softener ("never" for "Almost never"), both forms of "Jubilado/a";
  3. the start of an option's words, long enough to say which ("hard to ignore" for "Hard to
     ignore, avoid usual activities"; never a generic word such as "nothing" from its end);
  4. a near-exact spelling (one or two typos), only when no other option is nearly as close and
     the reply is not itself made of option words ("desacuerdo" is not a typo of "de acuerdo").
Each must point to exactly one option; anything else is not understood.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from bot.conversation.reply_words import ReplyWords
from bot.conversation.text_normalize import match_key, normalize_text
from surveys.model import Item

LabelMatch = Literal["exact", "variant", "prefix", "near"]

_FUZZY_MIN_LABEL = 5
_FUZZY_LONG_LABEL = 10  # labels this long allow two typos, shorter ones one
_MAX_FUZZY_REPLY = 60
_CLAUSES = re.compile(r"[,;:]")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    code: int
    first_clause: int  # how many words the label's first clause has (for prefixes)


@dataclass(frozen=True)
class LabelIndex:
    exact: dict[str, int]  # label key -> code (keys shared by two codes are left out)
    variants: dict[str, int]
    entries: tuple[_Entry, ...]  # labels and variants with letters only, for prefixes and typos
    vocabulary: frozenset[str]  # every word of every option

    def match_exact(self, key: str) -> int | None:
        return self.exact.get(key)

    def match(self, key: str, words: ReplyWords) -> tuple[int, LabelMatch] | None:
        """The one option `key` (a match_key form, frames already removed) means, if any."""
        if key in self.exact:
            return self.exact[key], "exact"
        if key in self.variants:
            return self.variants[key], "variant"
        code = self._prefix(tuple(key.split()), words)
        if code is not None:
            return code, "prefix"
        code = self._near(key)
        return (code, "near") if code is not None else None

    def _prefix(self, reply: tuple[str, ...], words: ReplyWords) -> int | None:
        n = len(reply)
        if not n or all(w in words.function_words for w in reply):
            return None
        codes = {
            e.code
            for e in self.entries
            if n < len(e.words)
            and e.words[:n] == reply
            and (n >= 3 or n == e.first_clause or (n == 2 and len(e.words) <= 4))
        }
        return codes.pop() if len(codes) == 1 else None

    def _near(self, key: str) -> int | None:
        if _DIGIT.search(key) or not 3 <= len(key) <= _MAX_FUZZY_REPLY:
            return None
        if all(w in self.vocabulary for w in key.split()):
            return None  # made of option words: a real word, not a typo of another option
        within: dict[int, int] = {}  # code -> distance, for labels within their typo limit
        close: dict[int, int] = {}  # code -> distance, for labels at most one edit further
        for e in self.entries:
            label = " ".join(e.words)
            if len(label) < _FUZZY_MIN_LABEL:
                continue
            limit = 2 if len(label) >= _FUZZY_LONG_LABEL else 1
            d = osa_distance(key, label, limit + 1)
            if d <= limit + 1:
                close[e.code] = min(d, close.get(e.code, d))
            if d <= limit:
                within[e.code] = min(d, within.get(e.code, d))
        if not within:
            return None
        code, d = min(within.items(), key=lambda kv: kv[1])
        rivals = [dist for c, dist in close.items() if c != code]
        if rivals and (min(rivals) < d + 1 or min(rivals) < 2):
            return None  # another option is nearly as close
        return code


def build_index(item: Item, language: str, words: ReplyWords) -> LabelIndex:
    """The option words of `item` in `language` and in English (patients mix them)."""
    langs = [language] if language == "en" else [language, "en"]
    texts: list[tuple[str, int]] = [
        (o.label[lang], o.code) for lang in langs for o in item.options if lang in o.label
    ]
    exact: dict[str, set[int]] = defaultdict(set)
    for text, code in texts:
        key = match_key(text)
        if key and _has_letter(key):
            exact[key].add(code)
    exact_map = {k: next(iter(c)) for k, c in exact.items() if len(c) == 1}

    lettered = [
        (text, code) for text, code in texts if _has_letter(text) and not _DIGIT.search(text)
    ]
    labels = [(tuple(match_key(t).split()), code, _first_clause(t)) for t, code in lettered]
    end_codes = {min(item.codes), max(item.codes)} if item.codes else set()
    variants: dict[str, set[int]] = defaultdict(set)
    for label_words, code, _ in labels:
        for variant in _variants(label_words, code, labels, end_codes, words):
            variants[" ".join(variant)].add(code)
    for text, code in lettered:
        for form in _slash_forms(text, words):
            variants[form].add(code)
    variant_map = {
        k: next(iter(c))
        for k, c in variants.items()
        if len(c) == 1 and k and k not in exact  # never a variant that is another option's words
    }
    entries = [_Entry(w, c, fc) for w, c, fc in labels]
    entries += [_Entry(tuple(k.split()), c, 0) for k, c in variant_map.items()]
    vocabulary = frozenset(w for text, _ in texts for w in match_key(text).split())
    return LabelIndex(exact_map, variant_map, tuple(entries), vocabulary)


def _variants(
    label: tuple[str, ...],
    code: int,
    labels: list[tuple[tuple[str, ...], int, int]],
    end_codes: set[int],
    words: ReplyWords,
) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    # Words every option has ("true" in "Never true" .. "Always true").
    word_sets = [set(w) for w, _, _ in labels]
    if len(word_sets) >= 2:
        common = set.intersection(*word_sets)
        core = tuple(w for w in label if w not in common)
        if common and core and core != label:
            out.append(core)
    # A lead shared with another option ("Working full time" / "Working part time"); never one
    # holding a negation or a degree word ("Not working ...", "Strongly agree").
    negation = {p[0] for p in words.negation if len(p) == 1}
    keep = negation | words.modifiers
    shared = 0
    for other, other_code, _ in labels:
        if other_code == code:
            continue
        n = 0
        while n < min(len(label), len(other)) - 1 and label[n] == other[n]:
            n += 1
        shared = max(shared, n)
    for k in range(1, shared + 1):
        if any(w in keep for w in label[:k]):
            break
        out.append(label[k:])
    # The end options without a softener: "never" is past "Almost never".
    if code in end_codes and len(label) > 1 and label[0] in words.softeners:
        out.append(label[1:])
    return out


def _slash_forms(text: str, words: ReplyWords) -> list[str]:
    """'Jubilado/a' -> 'jubilado', 'jubilada' (for the endings the language lists)."""
    plain = normalize_text(text)
    forms: list[str] = []
    for ending in words.slash_endings:
        left, _, right = ending.partition("/")
        pattern = re.compile(rf"(\w+?){re.escape(left)}/{re.escape(right)}\b")
        if pattern.search(plain):
            for end in (left, right):
                forms.append(match_key(pattern.sub(rf"\g<1>{end}", plain)))
    return forms


def _first_clause(text: str) -> int:
    return len(match_key(_CLAUSES.split(text, maxsplit=1)[0]).split())


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def osa_distance(a: str, b: str, cap: int) -> int:
    """Optimal string alignment distance (a swap of two letters is one edit), at most `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return min(prev[-1], cap + 1)
