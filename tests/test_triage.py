"""Crisis triage: the regression set in tests/cases/triage.yaml (CRISIS-08)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.triage import TriageResult, assess, load_rules

CASES_FILE = Path(__file__).parent / "cases" / "triage.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[f"t{c['tier']}:{c['text']!r}" for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = assess(case["text"])
    assert result.tier == case["tier"], (result.rule_id, case.get("description"))
    assert (result.rule_id is None) == (result.tier == 0)


def test_case_file_is_well_formed() -> None:
    for case in CASES:
        assert set(case) <= {"description", "text", "tier"}, case
        assert case["tier"] in (0, 1, 2, 3), case


def test_regression_set_size() -> None:
    tiers = [c["tier"] for c in CASES]
    assert sum(t > 0 for t in tiers) >= 40
    assert tiers.count(0) >= 25
    for tier in (1, 2, 3):
        assert tiers.count(tier) >= 8, tier


def test_result_never_holds_the_text() -> None:
    text = "I want to end it tonight"
    result = assess(text)
    assert isinstance(result, TriageResult)
    assert result.rules_version == load_rules().version
    assert text not in repr(result)
    assert all(text not in str(v) for v in vars(result).values())


def test_most_urgent_rule_wins() -> None:
    result = assess("withdrawal is bad and I want to die and I took all my pills")
    assert result.tier == 1


def test_rule_ids_are_unique_and_tiers_valid() -> None:
    rules = load_rules()
    ids = [r.id for r in (*rules.idioms, *rules.rules)]
    assert len(ids) == len(set(ids))
    assert {r.tier for r in rules.rules} <= {1, 2, 3}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200) | st.text(min_size=1_000, max_size=10_000))
def test_never_raises(text: str) -> None:
    result = assess(text)
    assert isinstance(result, TriageResult)
    assert type(result.tier) is int and result.tier in (0, 1, 2, 3)
    assert result.rule_id is None or isinstance(result.rule_id, str)
    assert isinstance(result.rules_version, str)


@pytest.mark.parametrize(
    "text",
    ["a" * 10_000, "kill " * 2_000, "\x00\u200f" * 5_000, "took all " * 1_100, "su" * 5_000],
)
def test_huge_inputs(text: str) -> None:
    assert isinstance(assess(text), TriageResult)


FORBIDDEN_IMPORTS = {"telegram", "twilio", "sqlmodel", "sqlalchemy", "datetime", "time", "httpx"}


@pytest.mark.parametrize(
    "path",
    [
        "bot/conversation/triage.py",
        "bot/conversation/triage_phrases.py",
    ],
)
def test_pure_module_imports(path: str) -> None:
    """No channel, database or clock imports: these modules are pure functions of the text."""
    tree = ast.parse((Path(__file__).parent.parent / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not {n.split(".")[0] for n in names} & FORBIDDEN_IMPORTS, (path, names)
