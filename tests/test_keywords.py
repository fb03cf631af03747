"""Keyword classifier: clinician-readable cases in tests/cases/keywords.yaml."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.keywords import Command, Keyword, classify, load_rules

CASES_FILE = Path(__file__).parent / "cases" / "keywords.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[repr(c["text"]) for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = classify(case["text"])
    if case["command"] is None:
        assert result is None, case.get("description")
        return
    assert result == Keyword(Command(case["command"]), case.get("argument")), case.get(
        "description"
    )


def test_case_file_is_well_formed() -> None:
    for case in CASES:
        assert set(case) <= {"description", "text", "command", "argument"}, case
        assert isinstance(case["text"], str), case
        assert case["command"] is None or case["command"] in set(Command), case


def test_every_command_has_cases_and_negatives() -> None:
    commands = {c["command"] for c in CASES}
    assert commands == {*Command, None}
    assert sum(c["command"] is None for c in CASES) >= 20


def test_rules_load_with_a_version() -> None:
    # The loader refuses a word listed under two commands.
    rules = load_rules()
    assert rules.words and rules.version


def test_every_rules_word_classifies_as_its_command() -> None:
    for word, command in load_rules().words.items():
        assert classify(word) == Keyword(command), word
        assert classify(word.upper() + "!") == Keyword(command), word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200) | st.text(min_size=1_000, max_size=10_000))
def test_never_raises(text: str) -> None:
    result = classify(text)
    assert result is None or (
        isinstance(result, Keyword)
        and isinstance(result.command, Command)
        and (result.argument is None or isinstance(result.argument, str))
    )


@pytest.mark.parametrize("text", ["stop " * 2_000, "\x00" * 10_000, "language " + "x" * 9_990])
def test_huge_inputs(text: str) -> None:
    assert classify(text) is None


FORBIDDEN_IMPORTS = {"telegram", "twilio", "sqlmodel", "sqlalchemy", "datetime", "time", "httpx"}


@pytest.mark.parametrize(
    "path",
    [
        "bot/conversation/keywords.py",
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
