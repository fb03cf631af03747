"""Rule-based crisis triage of inbound free text (safety-ux §4, CRISIS-02/03/08).

Run on every inbound message before keywords and the survey parser. The rules live in
`bot/conversation/rules/triage.yaml`, owned by the program's named clinician. The result names the
rule that fired and the rules version, never the text. Rules err toward false positives; they
are a floor, not a screen (keyword lists miss people, §4.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bot.conversation.text_normalize import match_key, squeeze_repeats

RULES_FILE = "triage.yaml"
TIERS = (0, 1, 2, 3)
# Lower number = more urgent, except 0 = none. Used to pick the most urgent matching rule.
_URGENCY = {1: 3, 2: 2, 3: 1, 0: 0}


@dataclass(frozen=True)
class TriageResult:
    tier: int  # 0 none, 1 imminent, 2 ideation/self-harm, 3 distress needing staff
    rule_id: str | None  # which rule fired (for the alert record; never the text itself)
    rules_version: str


@dataclass(frozen=True)
class _Rule:
    id: str
    tier: int
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Rules:
    version: str
    idioms: tuple[_Rule, ...]
    rules: tuple[_Rule, ...]


class TriageRulesError(ValueError):
    pass


def assess(text: str) -> TriageResult:
    """The most urgent tier any rule assigns to `text` (idioms neutralised first)."""
    rules = load_rules()
    best: _Rule | None = None
    for variant in _variants(text):
        for rule in _matches(variant, rules):
            if best is None or _URGENCY[rule.tier] > _URGENCY[best.tier]:
                best = rule
    if best is None:
        return TriageResult(0, None, rules.version)
    return TriageResult(best.tier, best.id, rules.version)


def _variants(text: str) -> list[str]:
    key = match_key(text)
    return list(dict.fromkeys((key, squeeze_repeats(key, 2), squeeze_repeats(key, 1))))


def _matches(key: str, rules: _Rules) -> list[_Rule]:
    found: list[_Rule] = []
    for idiom in rules.idioms:
        key, n = idiom.pattern.subn(" ", key)
        if n and idiom.tier:
            found.append(idiom)
    found.extend(rule for rule in rules.rules if rule.pattern.search(key))
    return found


def rules_version() -> str:
    return load_rules().version


@cache
def load_rules() -> _Rules:
    """Load and check `bot/conversation/rules/triage.yaml` once."""
    text = (
        resources.files("bot.conversation")
        .joinpath("rules", RULES_FILE)
        .read_text(encoding="utf-8")
    )
    return _build_rules(yaml.safe_load(text))


def _build_rules(data: Any) -> _Rules:
    where = RULES_FILE
    if not isinstance(data, dict):
        raise TriageRulesError(f"{where}: expected a mapping")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise TriageRulesError(f"{where}: version: missing")
    if not isinstance(data.get("owner"), str):
        raise TriageRulesError(f"{where}: owner: missing")
    seen: set[str] = set()
    idioms = tuple(
        _rule(r, f"{where}: idioms[{i}]", seen) for i, r in enumerate(_list(data, "idioms", where))
    )
    by_language = data.get("rules")
    if not isinstance(by_language, dict) or not by_language:
        raise TriageRulesError(f"{where}: rules: expected a mapping of language -> rules")
    rules: list[_Rule] = []
    for lang, entries in by_language.items():
        path = f"{where}: rules.{lang}"
        if not isinstance(entries, list):
            raise TriageRulesError(f"{path}: expected a list")
        rules.extend(_rule(r, f"{path}[{i}]", seen) for i, r in enumerate(entries))
    return _Rules(version, idioms, tuple(rules))


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise TriageRulesError(f"{where}: {key}: expected a list")
    return value


def _rule(raw: Any, path: str, seen: set[str]) -> _Rule:
    if not isinstance(raw, dict):
        raise TriageRulesError(f"{path}: expected a mapping")
    rule_id, tier, pattern = raw.get("id"), raw.get("tier"), raw.get("pattern")
    if not isinstance(rule_id, str) or not rule_id:
        raise TriageRulesError(f"{path}: id: missing")
    if rule_id in seen:
        raise TriageRulesError(f"{path}: id: duplicate {rule_id!r}")
    seen.add(rule_id)
    if not isinstance(tier, int) or isinstance(tier, bool) or tier not in TIERS:
        raise TriageRulesError(f"{path} ({rule_id}): tier: must be one of {TIERS}")
    if not isinstance(pattern, str) or not pattern:
        raise TriageRulesError(f"{path} ({rule_id}): pattern: missing")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise TriageRulesError(f"{path} ({rule_id}): pattern: {exc}") from None
    return _Rule(rule_id, tier, compiled)
