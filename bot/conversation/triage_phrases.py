"""Tolerant phrase matching for crisis triage: how patients type, not an ever-longer list.

A phrase is a short pattern of word slots written in a rules file, e.g.

    "want|wanna [to] kill|unalive myself"

and it matches a run of message words where every slot matches one word (or, for `...`, a gap).
A word in a slot matches a message word when, after the language's spelling folds ("k" -> "qu"
in Spanish, "v" -> "b"), they are

- equal, or
- equal after stemming (the language's suffixes stripped, a final double letter undoubled:
  "killin" / "killing" / "kil" all stem to "kil"), or
- one edit apart (Damerau: a dropped, added, changed or swapped letter), for words of at least
  4 letters ("myslef", "kull", "hopless"). At most ONE such typo per phrase match: two
  typos in a short phrase is where false alarms live ("fill my shelf").

Slot syntax (words separated by spaces):
    a|b|c     any of the words
    [a|b]     optional slot
    =word     this word exactly (no stemming, no typo tolerance), for short or risky words
    re:RX     a regular expression that must match the whole (folded) word, e.g. re:\\d{3,5}mg
    ...       a gap of 0 to 3 words of anything
    (a b|c)   a group: any of the word sequences "a b" or "c"
    [a b|c]   an optional group (a bracket holding one word is an optional slot)

Groups are expanded when compiled: one source phrase may become several phrases.

Pure: no I/O, no clock; the rules file loader (triage.py) compiles phrases once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.conversation.text_normalize import normalize_text

GAP_MAX = 3
FUZZY_MIN_LEN = 4
MIN_STEM = 3
_PIECES = re.compile(r"\[[^\]]*\]|\([^)]*\)|\S+")


class PhraseError(ValueError):
    pass


@dataclass(frozen=True)
class Spelling:
    """One language's spelling tolerance: folds (applied to both sides), stem suffixes, and
    prefixes (attached conjunctions and articles: Arabic "و"/"ال") stripped before the suffix."""

    folds: tuple[tuple[str, str], ...] = ()
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    # False where one letter apart is another everyday word (Vietnamese syllables without their
    # tone marks: "nhay" jump / "nhan" receive): every word is then matched exactly.
    typos: bool = True

    def fold(self, word: str) -> str:
        for old, new in self.folds:
            word = word.replace(old, new)
        return word

    def stem(self, word: str) -> str:
        for prefix in self.prefixes:  # longest first (sorted when built)
            if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM:
                word = word[len(prefix) :]
                break
        for suffix in self.suffixes:  # longest first (sorted when built)
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                word = word[: -len(suffix)]
                break
        if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1].isalpha():
            word = word[:-1]
        return word


def spelling(
    folds: Sequence[Sequence[str]] = (),
    suffixes: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    typos: bool = True,
) -> Spelling:
    # Rules are written as people spell (accents, hamza, any yeh): normalised like the messages.
    return Spelling(
        tuple((rule_word(str(a)), rule_word(str(b))) for a, b in folds),
        tuple(sorted((rule_word(str(s)) for s in suffixes), key=len, reverse=True)),
        tuple(sorted((rule_word(str(p)) for p in prefixes), key=len, reverse=True)),
        typos,
    )


def rule_word(word: str) -> str:
    """A rule's word in the form messages are matched in (text_normalize.match_key's letters)."""
    return normalize_text(word).replace("'", "")


@dataclass(frozen=True)
class _Word:
    folded: str
    stem: str
    exact_only: bool
    keys: frozenset[str]  # the message index keys where a match (or a one-letter typo) can be


@dataclass(frozen=True)
class _Slot:
    words: tuple[_Word, ...] = ()
    regex: re.Pattern[str] | None = None
    optional: bool = False
    gap: bool = False


@dataclass(frozen=True)
class Phrase:
    source: str
    slots: tuple[_Slot, ...]
    # The first required word slot, and how many words before it the phrase can start: matching
    # is tried only near the words that match the anchor (a message of 2,000 words stays fast).
    anchor: int | None
    lead: int
    # Index keys one of which a message must hold for the phrase to match (None: any message).
    anchor_keys: frozenset[str] | None


def compile_phrases(source: str, sp: Spelling) -> list[Phrase]:
    """Every phrase `source` stands for, its groups expanded."""
    expansions = [""]
    for piece in _PIECES.findall(source):
        if piece[0] in "([" and (" " in piece or piece[0] == "("):
            options = [alt.strip() for alt in piece[1:-1].split("|")]
            if all(o and " " not in o for o in options):  # single words: one slot
                options = ["|".join(options)]
                if piece[0] == "[":
                    options = [f"[{options[0]}]"]
            elif piece[0] == "[":
                options.append("")
        else:
            options = [piece]
        expansions = [f"{e} {o}".strip() for e in expansions for o in options]
        if len(expansions) > 256:
            raise PhraseError(f"{source!r}: too many combinations; split the phrase")
    return [compile_phrase(e, sp, source) for e in expansions]


def compile_phrase(text: str, sp: Spelling, source: str | None = None) -> Phrase:
    source = source or text
    slots: list[_Slot] = []
    for raw in text.split():
        if raw == "...":
            slots.append(_Slot(gap=True))
            continue
        optional = raw.startswith("[") and raw.endswith("]")
        body = raw[1:-1] if optional else raw
        if body.startswith("re:"):
            try:
                slots.append(_Slot(regex=re.compile(body[3:]), optional=optional))
            except re.error as exc:
                raise PhraseError(f"{source!r}: {exc}") from None
            continue
        words = []
        for alt in body.split("|"):
            exact = alt.startswith("=") or not sp.typos
            alt = alt.lstrip("=")
            if not alt or not re.fullmatch(r"[^\s|\[\]=]+", alt):
                raise PhraseError(f"{source!r}: bad word {alt!r}")
            folded = sp.fold(rule_word(alt))
            words.append(_word(folded, folded if exact else sp.stem(folded), exact))
        slots.append(_word_slot(tuple(words), optional))
    if not any(not s.gap and not s.optional for s in slots):
        raise PhraseError(f"{source!r}: needs at least one required word")
    if slots[0].gap or slots[-1].gap:
        raise PhraseError(f"{source!r}: a gap cannot start or end a phrase")
    anchor = next(
        (k for k, sl in enumerate(slots) if sl.words and not sl.optional and not sl.gap), None
    )
    lead = sum(GAP_MAX if sl.gap else 1 for sl in slots[:anchor]) if anchor is not None else 0
    anchor_keys = _anchor_keys(slots[anchor].words) if anchor is not None else None
    return Phrase(source, tuple(slots), anchor, lead, anchor_keys)


# The rules' 2,500 phrases hold ~16,000 words but only ~2,600 distinct ones ("myself" in every
# phrase about self-harm, each group expansion repeating the rest of its phrase). Equal words,
# slots and anchor key sets are built once and shared: a word's index keys (its one-letter
# deletions) made the rules weigh 20 MB, every running server's largest piece of data. Sharing
# changes nothing but memory: all three are immutable and compare by value. Bounded, as tests
# build many rule sets.
@lru_cache(maxsize=1 << 14)
def _word(folded: str, stem: str, exact: bool) -> _Word:
    keys = {folded, stem}
    if not exact:
        keys |= _one_letter_deletions(folded) | _one_letter_deletions(stem)
    return _Word(folded, stem, exact, frozenset(keys))


@lru_cache(maxsize=1 << 14)
def _word_slot(words: tuple[_Word, ...], optional: bool) -> _Slot:
    return _Slot(words=words, optional=optional)


@lru_cache(maxsize=1 << 12)
def _anchor_keys(words: tuple[_Word, ...]) -> frozenset[str]:
    return words[0].keys if len(words) == 1 else frozenset[str]().union(*(w.keys for w in words))


@dataclass
class Words:
    """A message's words for one language's spelling: folded, stemmed, with clause numbers."""

    folded: list[str]
    stems: list[str]
    clause: list[int]
    _fuzzy_cache: dict[tuple[str, str], bool] = field(default_factory=dict)
    _index: dict[str, list[int]] = field(default_factory=dict)
    _positions: dict[_Word, list[int]] = field(default_factory=dict)
    _keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, clauses: Sequence[Sequence[str]], sp: Spelling) -> Words:
        # A long message repeats its words (2,000 words, a few dozen distinct): each distinct
        # word is folded, stemmed and indexed once, with every position it is at.
        distinct: dict[str, tuple[str, str, list[int]]] = {}
        folded: list[str] = []
        stems: list[str] = []
        clause: list[int] = []
        for n, clause_words in enumerate(clauses):
            for w in clause_words:
                entry = distinct.get(w)
                if entry is None:
                    token = sp.fold(w)
                    entry = distinct[w] = (token, sp.stem(token), [])
                entry[2].append(len(folded))
                folded.append(entry[0])
                stems.append(entry[1])
                clause.append(n)
        out = cls(folded, stems, clause)
        for token, stem, at in distinct.values():
            for key in {token, stem} | _deletions(token) | _deletions(stem):
                out._index.setdefault(key, []).extend(at)  # order is not used (positions)
        out._keys = frozenset(out._index)
        return out

    def positions(self, word: _Word) -> list[int]:
        """Every index where `word` matches (one-edit candidates found by shared deletions)."""
        found = self._positions.get(word)
        if found is None:
            candidates = {i for key in word.keys for i in self._index.get(key, ())}
            found = sorted(i for i in candidates if self.word_match(word, i))
            self._positions[word] = found
        return found

    def __len__(self) -> int:
        return len(self.folded)

    @property
    def keys(self) -> frozenset[str]:
        """Every index key of the message's words (each word, its stem, their one-letter
        deletions): a phrase whose anchor holds none of them cannot match."""
        return self._keys

    def holds_any(self, keys: frozenset[str]) -> bool:
        return not keys.isdisjoint(self._keys)  # a frozenset each: the smaller is iterated

    def word_match(self, word: _Word, i: int) -> int:
        """0 no match, 1 exact or stem match, 2 a one-edit typo."""
        token = self.folded[i]
        if token == word.folded:
            return 1
        if word.exact_only:
            return 0
        if self.stems[i] == word.stem:
            return 1
        if len(word.folded) < FUZZY_MIN_LEN or len(token) < FUZZY_MIN_LEN - 1:
            return 0
        key = (word.folded, token)
        hit = self._fuzzy_cache.get(key)
        if hit is None:
            # a typo keeps the first letter: "kull" is "kill", "will" is not
            hit = token[0] == word.folded[0] and (
                _one_edit(word.folded, token)
                or (
                    min(len(word.stem), len(self.stems[i])) >= FUZZY_MIN_LEN
                    and _one_edit(word.stem, self.stems[i])
                )
            )
            self._fuzzy_cache[key] = hit
        return 2 if hit else 0


@dataclass(frozen=True)
class PhraseIndex:
    """A list of phrases by the index keys their anchors hold, so that a message is tried only
    against the phrases it may match. `find` turns the others away at once too, but asking each
    of a language's hundreds of phrases cost more than the matching itself; here the message's
    few keys are looked up instead. Which phrases come back is exactly those for which `find`
    does not return None at its first check, in the order given."""

    by_key: dict[str, tuple[int, ...]]
    unanchored: tuple[int, ...]  # phrases without an anchor: a candidate for every message

    @classmethod
    def of(cls, phrases: Sequence[Phrase]) -> PhraseIndex:
        by_key: dict[str, list[int]] = {}
        unanchored: list[int] = []
        for n, phrase in enumerate(phrases):
            if phrase.anchor_keys is None:
                unanchored.append(n)
                continue
            for key in phrase.anchor_keys:
                by_key.setdefault(key, []).append(n)
        return cls({k: tuple(v) for k, v in by_key.items()}, tuple(unanchored))

    def candidates(self, words: Words) -> list[int]:
        """The numbers of the phrases `words` may match, in ascending order."""
        found = set(self.unanchored)
        for key in words.keys:
            hit = self.by_key.get(key)
            if hit is not None:
                found.update(hit)
        return sorted(found)


def find(phrase: Phrase, words: Words, start: int = 0) -> tuple[int, int] | None:
    """The first (start, end) word span at or after `start` where `phrase` matches, or None."""
    if phrase.anchor_keys is not None and not words.holds_any(phrase.anchor_keys):
        return None
    if phrase.anchor is None:
        starts: Sequence[int] = range(start, len(words))
    else:
        slot = phrase.slots[phrase.anchor]
        hits = {i for w in slot.words for i in words.positions(w)}
        starts = sorted(
            {s for p in hits for s in range(max(start, p - phrase.lead), p + 1) if s >= start}
        )
    for i in starts:
        end = _match_at(phrase.slots, 0, words, i, typos=0, clause=words.clause[i])
        if end is not None:
            return (i, end)
    return None


def find_before(phrase: Phrase, words: Words, at: int, window: int) -> bool:
    """Whether `phrase` ends within `window` words before word `at`, in the same clause."""
    lo = max(0, at - window - len(phrase.slots) * (GAP_MAX + 1))
    for i in range(lo, at):
        if words.clause[i] != words.clause[at]:
            continue
        end = _match_at(phrase.slots, 0, words, i, typos=0, clause=words.clause[i])
        if end is not None and at - window <= end <= at:
            return True
    return False


def find_after(phrase: Phrase, words: Words, at: int, window: int) -> bool:
    """Whether `phrase` starts within `window` words after word `at`, in the same clause."""
    if at >= len(words):
        return False
    clause = words.clause[at - 1] if at > 0 else words.clause[0]
    for i in range(at, min(len(words), at + window + 1)):
        if words.clause[i] != clause:
            break
        if _match_at(phrase.slots, 0, words, i, typos=0, clause=clause) is not None:
            return True
    return False


def _match_at(
    slots: Sequence[_Slot], k: int, words: Words, i: int, typos: int, clause: int
) -> int | None:
    """End index (exclusive) when slots[k:] match from word i, else None (backtracking)."""
    if k == len(slots):
        return i
    slot = slots[k]
    if slot.gap:
        for skip in range(GAP_MAX + 1):
            j = i + skip
            if j > len(words) or (skip and words.clause[j - 1] != clause):
                break
            end = _match_at(slots, k + 1, words, j, typos, clause)
            if end is not None:
                return end
        return None
    if slot.optional:
        end = _match_at(slots, k + 1, words, i, typos, clause)
        if end is not None:
            return end
    if i >= len(words) or words.clause[i] != clause:
        return None
    if slot.regex is not None:
        if slot.regex.fullmatch(words.folded[i]):
            return _match_at(slots, k + 1, words, i + 1, typos, clause)
        return None
    best = 0
    for word in slot.words:
        hit = words.word_match(word, i)
        if hit == 1:
            best = 1
            break
        best = best or hit
    if best == 0 or (best == 2 and typos >= 1):
        return None
    return _match_at(slots, k + 1, words, i + 1, typos + (best == 2), clause)


def _one_edit(a: str, b: str) -> bool:
    """Damerau distance exactly 1 (one insert, delete, substitution or adjacent swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [n for n in range(len(a)) if a[n] != b[n]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if len(a) > len(b):
        a, b = b, a
    n = 0
    while n < len(a) and a[n] == b[n]:
        n += 1
    return a[n:] == b[n + 1 :]


_DELETION_MAX_LEN = 24  # longer "words" (pasted junk) are only matched exactly


def _one_letter_deletions(word: str) -> frozenset[str]:
    """Every string one letter shorter than `word` (symmetric-delete typo candidates)."""
    if len(word) < FUZZY_MIN_LEN - 1 or len(word) > _DELETION_MAX_LEN:
        return frozenset()
    return frozenset(word[:n] + word[n + 1 :] for n in range(len(word)))


# Messages repeat their words, and each message is read in every language (the same words 14
# times): cached for them. ~1 KB an entry: 4,096 keep the everyday words ("7", "yes", "pain")
# and bound what free text adds to a server (65,536 grew it by 70 MB on novel words, for no
# speed measured). A rule's words are not put in the cache: their keys hold the deletions.
_deletions = lru_cache(maxsize=1 << 12)(_one_letter_deletions)
