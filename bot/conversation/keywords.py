"""Patient commands and carrier keywords (STOP, HELP, SKIP, ...), in every supported language.

`classify` is language-independent: any supported language's words work for every patient, so a
Spanish speaker on an English profile who texts PARAR is stopped (SMS-12). The words live in
`bot/conversation/rules/keywords.yaml` so they can be reviewed. Only whole messages (optionally
with polite filler, or a short listed sentence) are keywords: "the pain won't stop" is not STOP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bot.conversation.text_normalize import match_key

RULES_FILE = "keywords.yaml"
_MAX_KEY_CHARS = 120  # longer messages are free text, never a keyword
_MAX_LANGUAGE_ARG_WORDS = 2


class Command(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    SKIP = "skip"
    BACK = "back"
    PAUSE = "pause"
    RESUME = "resume"
    LANGUAGE = "language"
    CALL = "call"


@dataclass(frozen=True)
class Keyword:
    command: Command
    argument: str | None = None  # LANGUAGE only: BCP-47 code, or the raw (normalised) word


@dataclass(frozen=True)
class _Rules:
    version: str
    filler: tuple[tuple[str, ...], ...]  # token sequences
    words: dict[str, Command]
    patterns: tuple[tuple[re.Pattern[str], Command], ...]
    language_words: frozenset[str]
    language_names: dict[str, str]  # normalised name -> code


class KeywordRulesError(ValueError):
    pass


def classify(text: str) -> Keyword | None:
    """The command `text` expresses, or None when it is not a keyword message."""
    key = match_key(text)
    if not key or len(key) > _MAX_KEY_CHARS:
        return None
    rules = load_rules()
    for candidate in _candidates(key, rules):
        found = _language(candidate, rules) or _command(candidate, rules)
        if found is not None:
            return found
    return None


def _candidates(key: str, rules: _Rules) -> list[str]:
    tokens = key.split()
    stripped = _strip_filler(tokens, rules.filler)
    out = [key]
    if stripped and stripped != tokens:
        out.append(" ".join(stripped))
    # "STOP STOP STOP" -> "stop"
    if stripped and len(set(stripped)) == 1 and len(stripped) > 1:
        out.append(stripped[0])
    return out


def _strip_filler(tokens: list[str], filler: tuple[tuple[str, ...], ...]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for f in filler:
            n = len(f)
            if len(tokens) > n and tuple(tokens[:n]) == f:
                tokens, changed = tokens[n:], True
            elif len(tokens) > n and tuple(tokens[-n:]) == f:
                tokens, changed = tokens[:-n], True
    return tokens


def _command(candidate: str, rules: _Rules) -> Keyword | None:
    command = rules.words.get(candidate)
    if command is not None:
        return Keyword(command)
    for pattern, cmd in rules.patterns:
        if pattern.fullmatch(candidate):
            return Keyword(cmd)
    return None


def _language(candidate: str, rules: _Rules) -> Keyword | None:
    # The LANGUAGE word may be two words ("ngôn ngữ"): the longest one the message starts with.
    words = sorted(
        (w for w in rules.language_words if candidate == w or candidate.startswith(w + " ")),
        key=len,
    )
    if not words:
        return None
    rest = candidate[len(words[-1]) :].strip()
    if not rest:
        return Keyword(Command.LANGUAGE)
    code = rules.language_names.get(rest)
    if code is not None:
        return Keyword(Command.LANGUAGE, code)
    if len(rest.split()) > _MAX_LANGUAGE_ARG_WORDS:
        return None  # "language is too hard to read" is a sentence, not a command
    return Keyword(Command.LANGUAGE, rest)


def language_names() -> dict[str, str]:
    """Every name a language is known by (normalised) -> its code: "espanol" -> "es"."""
    return dict(load_rules().language_names)


def rules_version() -> str:
    return load_rules().version


@cache
def load_rules() -> _Rules:
    """Load and check `bot/conversation/rules/keywords.yaml` once."""
    text = (
        resources.files("bot.conversation")
        .joinpath("rules", RULES_FILE)
        .read_text(encoding="utf-8")
    )
    return _build_rules(yaml.safe_load(text))


def _build_rules(data: Any) -> _Rules:
    where = RULES_FILE
    if not isinstance(data, dict):
        raise KeywordRulesError(f"{where}: expected a mapping")
    version = str(data.get("version", ""))
    if not version:
        raise KeywordRulesError(f"{where}: version: missing")
    filler = tuple(tuple(match_key(f).split()) for f in _str_list(data, "filler", where))
    commands = data.get("commands")
    if not isinstance(commands, dict):
        raise KeywordRulesError(f"{where}: commands: expected a mapping")
    words: dict[str, Command] = {}
    patterns: list[tuple[re.Pattern[str], Command]] = []
    for name, spec in commands.items():
        path = f"{where}: commands.{name}"
        try:
            command = Command(str(name))
        except ValueError:
            raise KeywordRulesError(f"{path}: unknown command") from None
        if not isinstance(spec, dict):
            raise KeywordRulesError(f"{path}: expected a mapping")
        for i, word in enumerate(_str_list(spec, "words", path)):
            k = match_key(word)
            if not k:
                raise KeywordRulesError(f"{path}.words[{i}]: empty after normalising")
            if words.get(k, command) != command:
                raise KeywordRulesError(f"{path}.words[{i}]: {k!r} is already {words[k]}")
            words[k] = command
        for i, pat in enumerate(_str_list(spec, "patterns", path)):
            try:
                patterns.append((re.compile(pat), command))
            except re.error as exc:
                raise KeywordRulesError(f"{path}.patterns[{i}]: {exc}") from None
    lang = data.get("language")
    if not isinstance(lang, dict) or not isinstance(lang.get("names"), dict):
        raise KeywordRulesError(f"{where}: language: expected words and names")
    language_words = frozenset(match_key(w) for w in _str_list(lang, "words", f"{where}: language"))
    names: dict[str, str] = {}
    for code, spellings in lang["names"].items():
        path = f"{where}: language.names.{code}"
        if not isinstance(spellings, list):
            raise KeywordRulesError(f"{path}: expected a list")
        for s in spellings:
            names[match_key(str(s))] = str(code)
    return _Rules(version, filler, words, tuple(patterns), language_words, names)


def _str_list(spec: dict[str, Any], key: str, path: str) -> list[str]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KeywordRulesError(f"{path}.{key}: expected a list of strings")
    return value
