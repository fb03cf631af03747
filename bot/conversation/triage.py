"""Rule-based crisis triage of inbound free text (safety-ux §4, CRISIS-02/03/08).

Run on every inbound message before keywords and the survey parser. The rules live in
`bot/conversation/rules/triage/`, one file per language (format: README.md there), owned by the
program's named clinician. Matching is tolerant of how people type (triage_phrases.py: stems,
one-letter typos, spelling folds), with guards for negation, other people, the past and
accidents. The result names the rule that fired and the rules version, never the text. Rules err
toward false positives; they are a floor, not a screen (keyword lists miss people, §4.1).

Text the rules cannot read (mostly letters of a script no rules file covers, or Burmese typed in
the Zawgyi encoding, which is converted only in part) is `readable=False`: the pipeline sends it
to staff as "needs human review" instead of silently to the parser.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from importlib import resources
from typing import Any

import yaml

from bot.conversation import zawgyi
from bot.conversation.text_normalize import (
    match_key,
    normalize_text,
    squeeze_repeats,
    strip_accents,
)
from bot.conversation.triage_phrases import (
    Phrase,
    PhraseError,
    PhraseIndex,
    Spelling,
    Words,
    compile_phrases,
    find,
    find_after,
    find_before,
    rule_word,
    spelling,
)

RULES_DIR = "triage"
META_FILE = "meta.yaml"
TIERS = (0, 1, 2, 3)
# Lower number = more urgent, except 0 = none. Used to pick the most urgent matching rule.
_URGENCY = {1: 3, 2: 2, 3: 1, 0: 0}
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u3002\u061f\u00bf\u00a1]+")
# A message is unreadable when at least this share of its letters (and at least
# _UNREADABLE_MIN_LETTERS of them) are in scripts no rules file covers.
_UNREADABLE_SHARE = 0.5
_UNREADABLE_MIN_LETTERS = 2
GUARD_WINDOW = 3
# What each language's rules find in a message's normalised clauses is remembered for short
# messages: replies repeat ("7", "yes", "three", "my pain is 5 today") and triage reads every
# message in every language. Bounded per language, least recently used dropped; a message longer
# than _MEMO_MAX_CHARS is read afresh (few repeat), so the memo stays small (~10 MB at most).
MEMO_ENTRIES = 2048
_MEMO_MAX_CHARS = 256


@dataclass(frozen=True)
class TriageResult:
    tier: int  # 0 none, 1 imminent, 2 ideation/self-harm, 3 distress needing staff
    rule_id: str | None  # which rule fired (for the alert record; never the text itself)
    rules_version: str
    readable: bool = True  # False: written in a script the rules do not cover -> human review


@dataclass(frozen=True)
class _Guard:
    id: str
    tier: int  # the tier a guarded match is lowered to (3: staff still see it; 0: benign)
    before: tuple[Phrase, ...]
    after: tuple[Phrase, ...]
    window: int


@dataclass(frozen=True)
class _Idiom:
    id: str
    tier: int
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Rule:
    id: str
    tier: int
    phrases: tuple[Phrase, ...]
    guards: tuple[_Guard, ...]
    # A regular expression searched in the whole normalised message instead of phrases (the
    # draft rules of languages without a case corpus yet, carried over as written).
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Language:
    code: str
    spelling: Spelling
    idioms: tuple[_Idiom, ...]
    rules: tuple[_Rule, ...]
    # Idioms matched in the text as typed (NFC, casefolded) BEFORE accents are removed: where
    # only the accents tell a benign word from a crisis word (Vietnamese "từ từ" slowly, "tự tử"
    # suicide). Without accents the crisis reading stands.
    accented_idioms: tuple[_Idiom, ...] = ()
    # A script written without spaces between words (Burmese): pattern rules and idioms are
    # searched in the clause with every space removed.
    unspaced: bool = False
    # Every phrase of the rules, in order, with the number of its rule, and their index: a
    # message is tried only against the phrases it may match (speed; same results).
    phrases: tuple[Phrase, ...] = ()
    phrase_rule: tuple[int, ...] = ()
    index: PhraseIndex = PhraseIndex({}, ())
    memo: Callable[[tuple[str, ...]], tuple[tuple[int, str], ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        memo = lru_cache(maxsize=MEMO_ENTRIES)(partial(_language_hits, self))
        object.__setattr__(self, "memo", memo)

    def hits(self, clauses: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        """(tier, rule id) of every idiom and rule of this language that the clauses match."""
        if sum(len(c) for c in clauses) <= _MEMO_MAX_CHARS:
            return self.memo(clauses)
        return _language_hits(self, clauses)


@dataclass(frozen=True)
class _Rules:
    version: str
    owner: str
    scripts: frozenset[str]
    languages: tuple[_Language, ...]

    @property
    def idioms(self) -> tuple[_Idiom, ...]:
        return tuple(i for lang in self.languages for i in (*lang.accented_idioms, *lang.idioms))

    @property
    def rules(self) -> tuple[_Rule, ...]:
        return tuple(r for lang in self.languages for r in lang.rules)


class TriageRulesError(ValueError):
    pass


def assess(text: str) -> TriageResult:
    """The most urgent tier any rule assigns to `text` (idioms neutralised, guards applied)."""
    rules = load_rules()
    legacy_burmese = zawgyi.looks_zawgyi(text)
    if legacy_burmese:
        text = zawgyi.to_unicode(text)
    text, found = _accented_idioms(text, rules)
    best: tuple[int, str] | None = None
    for clauses in _variants(text):
        for tier, rule_id in [*found, *_hits(clauses, rules)]:
            if best is None or _URGENCY[tier] > _URGENCY[best[0]]:
                best = (tier, rule_id)
    readable = _readable(text, rules.scripts) and not legacy_burmese
    if best is None:
        return TriageResult(0, None, rules.version, readable)
    return TriageResult(best[0], best[1], rules.version, readable)


def rules_version() -> str:
    return load_rules().version


def _accented_idioms(text: str, rules: _Rules) -> tuple[str, list[tuple[int, str]]]:
    found: list[tuple[int, str]] = []
    idioms = [i for lang in rules.languages for i in lang.accented_idioms]
    if not idioms:
        return text, found
    text = unicodedata.normalize("NFC", text).casefold()
    for idiom in idioms:
        text, n = idiom.pattern.subn(" ", text)
        if n and idiom.tier:
            found.append((idiom.tier, idiom.id))
    return text, found


def _variants(text: str) -> list[tuple[str, ...]]:
    """The message as clauses of match keys; runs of 3+ equal letters also tried as 2 and 1."""
    clauses = tuple(c for c in map(match_key, _CLAUSE_BREAK.split(normalize_text(text))) if c)
    out: list[tuple[str, ...]] = []
    for keep in (0, 2, 1):
        variant = clauses if keep == 0 else tuple(squeeze_repeats(c, keep) for c in clauses)
        if variant not in out:
            out.append(variant)
    return out


# A symbol left by match_key (an emoji, U+FFFD from a NUL) is a word of its own: "die😭" is "die"
# and "😭". Letters keep their vowel signs and other combining marks (Devanagari, Myanmar).
_SYMBOL_CATEGORIES = frozenset({"So", "Sk", "Sm", "Co", "Cn"})


@lru_cache(maxsize=4096)
def _words_of(clause: str) -> tuple[str, ...]:
    words: list[str] = []
    for token in clause.split():
        current = ""
        for c in token:
            if c == "\ufffd" or unicodedata.category(c) in _SYMBOL_CATEGORIES:
                if current:
                    words.append(current)
                words.append(c)
                current = ""
            else:
                current += c
        if current:
            words.append(current)
    return tuple(words)


def _hits(clauses: tuple[str, ...], rules: _Rules) -> list[tuple[int, str]]:
    return [hit for lang in rules.languages for hit in lang.hits(clauses)]


def _language_hits(lang: _Language, clauses: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    found: list[tuple[int, str]] = []
    cleaned = []
    for clause in clauses:
        if lang.unspaced:
            clause = "".join(clause.split())
        for idiom in lang.idioms:
            clause, n = idiom.pattern.subn(" ", clause)
            if n and idiom.tier:
                found.append((idiom.tier, idiom.id))
        cleaned.append(clause)
    text = " ".join(" ".join(c.split()) for c in cleaned)
    # Each rule is tried with only its phrases the message may match (PhraseIndex).
    candidates: dict[int, list[Phrase]] = {}
    words = None
    if lang.phrases:
        words = Words.of([_words_of(c) for c in cleaned], lang.spelling)
        for n in lang.index.candidates(words):
            candidates.setdefault(lang.phrase_rule[n], []).append(lang.phrases[n])
    for number, rule in enumerate(lang.rules):
        if rule.pattern is not None:
            tier = rule.tier if rule.pattern.search(text) else 0
        elif number in candidates:
            assert words is not None
            tier = _rule_tier(rule, candidates[number], words)
        else:
            tier = 0
        if tier:
            found.append((tier, rule.id))
    return tuple(found)


def _rule_tier(rule: _Rule, phrases: list[Phrase], words: Words) -> int:
    """The rule's tier at its first unguarded match of one of `phrases` (the rule's phrases
    the message may match); else the lowest guarded tier, else 0."""
    guarded: int | None = None
    for phrase in phrases:
        start = 0
        while (span := find(phrase, words, start)) is not None:
            guard = _guard_for(rule, words, span)
            if guard is None:
                return rule.tier
            if guarded is None or _URGENCY[guard.tier] > _URGENCY[guarded]:
                guarded = guard.tier
            start = span[0] + 1
    return guarded or 0


def _guard_for(rule: _Rule, words: Words, span: tuple[int, int]) -> _Guard | None:
    for guard in rule.guards:
        if any(find_before(p, words, span[0], guard.window) for p in guard.before):
            return guard
        if any(find_after(p, words, span[1], guard.window) for p in guard.after):
            return guard
    return None


def _script(c: str) -> str:
    try:
        name = unicodedata.name(c)
    except ValueError:
        return "UNKNOWN"
    first = name.split(" ")[0]
    return "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL") else first


def _readable(text: str, scripts: frozenset[str]) -> bool:
    letters = [c for c in text if c.isalpha()]
    foreign = sum(_script(c) not in scripts for c in letters)
    return not (foreign >= _UNREADABLE_MIN_LETTERS and foreign >= _UNREADABLE_SHARE * len(letters))


# ---------------------------------------------------------------------------- loading


@cache
def load_rules() -> _Rules:
    """Load and check every file in `bot/conversation/rules/triage/` once."""
    folder = resources.files("bot.conversation").joinpath("rules", RULES_DIR)
    texts = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    return build_rules(texts)


def build_rules(texts: dict[str, str]) -> _Rules:
    """Rules from {file name: YAML text}; the version carries a hash of every file's content."""
    if META_FILE not in texts:
        raise TriageRulesError(f"{RULES_DIR}/{META_FILE}: missing")
    meta = yaml.safe_load(texts[META_FILE])
    where = f"{RULES_DIR}/{META_FILE}"
    if not isinstance(meta, dict):
        raise TriageRulesError(f"{where}: expected a mapping")
    version, owner = meta.get("version"), meta.get("owner")
    if not isinstance(version, str) or not version:
        raise TriageRulesError(f"{where}: version: missing")
    if not isinstance(owner, str) or not owner:
        raise TriageRulesError(f"{where}: owner: missing")
    digest = hashlib.sha256()
    seen: set[str] = set()
    languages: list[_Language] = []
    scripts: set[str] = set()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
        if name == META_FILE:
            continue
        lang, lang_scripts = _language(yaml.safe_load(texts[name]), f"{RULES_DIR}/{name}", seen)
        languages.append(lang)
        scripts |= lang_scripts
    if not languages:
        raise TriageRulesError(f"{RULES_DIR}: no language files")
    return _Rules(
        f"{version}+{digest.hexdigest()[:8]}", owner, frozenset(scripts), tuple(languages)
    )


def _language(data: Any, where: str, seen: set[str]) -> tuple[_Language, set[str]]:
    if not isinstance(data, dict):
        raise TriageRulesError(f"{where}: expected a mapping")
    code = data.get("language")
    if not isinstance(code, str) or not code:
        raise TriageRulesError(f"{where}: language: missing")
    raw_scripts = data.get("scripts", [])
    if not isinstance(raw_scripts, list) or not all(isinstance(s, str) for s in raw_scripts):
        raise TriageRulesError(f"{where}: scripts: expected a list of Unicode script names")
    sp_data = data.get("spelling") or {}
    if not isinstance(sp_data, dict):
        raise TriageRulesError(f"{where}: spelling: expected a mapping")
    folds, suffixes = sp_data.get("folds", []), sp_data.get("suffixes", [])
    if not isinstance(folds, list) or not all(
        isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in folds
    ):
        raise TriageRulesError(f"{where}: spelling.folds: expected [from, to] pairs")
    if not isinstance(suffixes, list) or not all(isinstance(s, str) and s for s in suffixes):
        raise TriageRulesError(f"{where}: spelling.suffixes: expected a list of suffixes")
    prefixes = sp_data.get("prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(s, str) and s for s in prefixes):
        raise TriageRulesError(f"{where}: spelling.prefixes: expected a list of prefixes")
    typos = sp_data.get("typos", True)
    if not isinstance(typos, bool):
        raise TriageRulesError(f"{where}: spelling.typos: expected true or false")
    sp = spelling(folds, suffixes, prefixes, typos)
    unspaced = data.get("unspaced", False)
    if not isinstance(unspaced, bool):
        raise TriageRulesError(f"{where}: unspaced: expected true or false")
    guards = _guards(data.get("guards") or {}, where, sp)
    idioms = tuple(
        _idiom(raw, f"{where}: idioms[{i}]", seen)
        for i, raw in enumerate(_list(data, "idioms", where))
    )
    accented = tuple(
        _idiom(raw, f"{where}: accented_idioms[{i}]", seen, accented=True)
        for i, raw in enumerate(_list(data, "accented_idioms", where))
    )
    rules = tuple(
        _rule(raw, f"{where}: rules[{i}]", seen, sp, guards)
        for i, raw in enumerate(_list(data, "rules", where))
    )
    if unspaced and any(r.pattern is None for r in rules):
        raise TriageRulesError(f"{where}: an unspaced language has pattern rules only")
    phrases = tuple(p for r in rules for p in r.phrases)
    phrase_rule = tuple(n for n, r in enumerate(rules) for _ in r.phrases)
    language = _Language(
        code, sp, idioms, rules, accented, unspaced, phrases, phrase_rule, PhraseIndex.of(phrases)
    )
    return language, {s.upper() for s in raw_scripts}


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise TriageRulesError(f"{where}: {key}: expected a list")
    return value


def _phrases(raw: Any, where: str, sp: Spelling) -> tuple[Phrase, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise TriageRulesError(f"{where}: expected a list of phrases")
    try:
        return tuple(phrase for p in raw for phrase in compile_phrases(p, sp))
    except PhraseError as exc:
        raise TriageRulesError(f"{where}: {exc}") from None


def _tier(raw: Any, where: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw not in TIERS:
        raise TriageRulesError(f"{where}: tier: must be one of {TIERS}")
    return raw


def _guards(raw: Any, where: str, sp: Spelling) -> dict[str, _Guard]:
    if not isinstance(raw, dict):
        raise TriageRulesError(f"{where}: guards: expected a mapping of name -> guard")
    out = {}
    for name, g in raw.items():
        path = f"{where}: guards.{name}"
        if not isinstance(g, dict) or not set(g) <= {"tier", "before", "after", "window"}:
            raise TriageRulesError(f"{path}: expected tier, before, after, window")
        window = g.get("window", GUARD_WINDOW)
        if not isinstance(window, int) or not 0 <= window <= 8:
            raise TriageRulesError(f"{path}: window: 0-8 words")
        before = _phrases(g.get("before", []), f"{path}.before", sp)
        after = _phrases(g.get("after", []), f"{path}.after", sp)
        if not before and not after:
            raise TriageRulesError(f"{path}: needs before or after phrases")
        out[str(name)] = _Guard(str(name), _tier(g.get("tier"), path), before, after, window)
    return out


def _id(raw: dict[str, Any], path: str, seen: set[str]) -> str:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise TriageRulesError(f"{path}: id: missing")
    if rule_id in seen:
        raise TriageRulesError(f"{path}: id: duplicate {rule_id!r}")
    seen.add(rule_id)
    return rule_id


def _pattern(raw: str, accented: bool = False) -> re.Pattern[str]:
    """A rule's regular expression, its letters normalised like the text it searches (accents
    and tashkeel off, one Arabic yeh and kaf), so rules can be written as people spell."""
    if accented:
        return re.compile(unicodedata.normalize("NFC", raw))
    # ASCII is left alone: "\W" and "\S" must not be casefolded.
    letters = (rule_word(c) if c.isalpha() and not c.isascii() else c for c in strip_accents(raw))
    return re.compile("".join(letters))


def _idiom(raw: Any, path: str, seen: set[str], accented: bool = False) -> _Idiom:
    if not isinstance(raw, dict) or not set(raw) <= {"id", "tier", "pattern", "why"}:
        raise TriageRulesError(f"{path}: expected id, tier, pattern")
    rule_id = _id(raw, path, seen)
    pattern = raw.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise TriageRulesError(f"{path} ({rule_id}): pattern: missing")
    try:
        compiled = _pattern(pattern, accented)
    except re.error as exc:
        raise TriageRulesError(f"{path} ({rule_id}): pattern: {exc}") from None
    return _Idiom(rule_id, _tier(raw.get("tier"), f"{path} ({rule_id})"), compiled)


def _rule(raw: Any, path: str, seen: set[str], sp: Spelling, guards: dict[str, _Guard]) -> _Rule:
    keys = {"id", "tier", "phrases", "pattern", "guards", "why"}
    if not isinstance(raw, dict) or not set(raw) <= keys:
        raise TriageRulesError(f"{path}: expected id, tier, phrases (or pattern), guards")
    rule_id = _id(raw, path, seen)
    tier = _tier(raw.get("tier"), f"{path} ({rule_id})")
    if tier == 0:
        raise TriageRulesError(f"{path} ({rule_id}): a rule's tier is 1, 2 or 3")
    if "pattern" in raw:
        if "phrases" in raw or raw.get("guards"):
            raise TriageRulesError(f"{path} ({rule_id}): a pattern rule has no phrases or guards")
        pattern = raw.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise TriageRulesError(f"{path} ({rule_id}): pattern: missing")
        try:
            compiled = _pattern(pattern)
        except re.error as exc:
            raise TriageRulesError(f"{path} ({rule_id}): pattern: {exc}") from None
        return _Rule(rule_id, tier, (), (), compiled)
    phrases = _phrases(raw.get("phrases"), f"{path} ({rule_id}): phrases", sp)
    names = raw.get("guards") or []
    if not isinstance(names, list) or any(n not in guards for n in names):
        raise TriageRulesError(f"{path} ({rule_id}): guards: unknown {names!r}")
    return _Rule(rule_id, tier, phrases, tuple(guards[n] for n in names))
