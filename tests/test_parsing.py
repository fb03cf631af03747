"""Reply parser: clinician-readable cases in tests/cases/parsing.yaml, plus properties."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.parsing import PARSER_VERSION, ParsedReply, ParseFailure, parse_reply
from surveys.model import Item, Option

CASES_FILE = Path(__file__).parent / "cases" / "parsing.yaml"


def _item(item_id: str, labels: list[dict[str, str]], first_code: int, reverse: bool) -> Item:
    n = len(labels)
    options = tuple(
        Option(
            code=first_code + i,
            value=(first_code + n - 1 - i) if reverse else first_code + i,
            label=label,
        )
        for i, label in enumerate(labels)
    )
    return Item(id=item_id, text={"en": "?", "es": "?"}, options=options)


ITEMS: dict[str, Item] = {
    "likert5": _item(
        "likert5",
        [
            {"en": "Never", "es": "Nunca"},
            {"en": "Rarely", "es": "Casi nunca"},
            {"en": "Sometimes", "es": "A veces"},
            {"en": "Often", "es": "Casi siempre"},
            {"en": "Always", "es": "Siempre"},
        ],
        first_code=1,
        reverse=True,  # code 1 scores 5: the parser must still return the code
    ),
    "promis5": _item(
        "promis5",
        [
            {"en": "Not at all", "es": "Nada"},
            {"en": "A little bit", "es": "Un poco"},
            {"en": "Somewhat", "es": "Algo"},
            {"en": "Quite a bit", "es": "Bastante"},
            {"en": "Very much", "es": "Muchísimo"},
        ],
        first_code=1,
        reverse=False,
    ),
    "pain10": _item("pain10", [{"en": str(i)} for i in range(11)], first_code=0, reverse=False),
    "days6": _item(
        "days6",
        [{"en": "1 day" if i == 1 else f"{i} days", "es": f"{i} días"} for i in range(7)],
        first_code=0,
        reverse=False,
    ),
}


def _load_cases() -> list[dict[str, Any]]:
    cases = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    return cases


CASES = _load_cases()


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['item']}:{case['text']!r}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    item = ITEMS[case["item"]]
    result = parse_reply(case["text"], item, case.get("language", "en"))
    assert isinstance(result, ParsedReply)
    if "code" in case:
        assert (result.code, result.failure) == (case["code"], None), case.get("description")
        if "how" in case:
            assert result.how == case["how"], case.get("description")
    else:
        assert (result.code, result.failure) == (None, case["failure"]), case.get("description")


def test_case_file_is_well_formed() -> None:
    failures = set(get_args(ParseFailure))
    for case in CASES:
        assert set(case) <= {"description", "item", "text", "language", "code", "failure", "how"}
        assert case["item"] in ITEMS, case
        assert ("code" in case) != ("failure" in case), case
        if "failure" in case:
            assert case["failure"] in failures, case


def test_every_item_and_failure_has_cases() -> None:
    assert {c["item"] for c in CASES} == set(ITEMS)
    assert {c["failure"] for c in CASES if "failure" in c} == set(get_args(ParseFailure))


def test_normalized_is_recorded() -> None:
    result = parse_reply("\u200f ٣ ", ITEMS["likert5"], "en")
    assert result.normalized == "3"
    assert parse_reply("Quite a BIT!", ITEMS["promis5"], "en").normalized == "quite a bit!"


def test_returns_code_not_value() -> None:
    option = ITEMS["likert5"].option_by_code(1)
    assert option is not None and option.value == 5
    assert parse_reply("1", ITEMS["likert5"], "en").code == 1


def test_parser_version_is_a_string() -> None:
    assert isinstance(PARSER_VERSION, str) and PARSER_VERSION


# Long and awkward inputs on top of hypothesis' own: control characters, digits of every kind,
# 10k characters, more digits than int() accepts by default.
HUGE = [
    "9" * 10_000,
    "3 " * 5_000,
    "\x00\u200f\u20e3\ufe0f" * 2_500,
    "three " * 1_700,
    "a" * 10_000,
    "٣" * 10_000,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=200)
    | st.text(min_size=1_000, max_size=10_000, alphabet="0123456789 ,.-/abc"),
    item_name=st.sampled_from(sorted(ITEMS)),
    language=st.sampled_from(["en", "es", "fr", "ne", "xx"]),
)
def test_never_raises(text: str, item_name: str, language: str) -> None:
    _check_types(parse_reply(text, ITEMS[item_name], language), ITEMS[item_name])


@pytest.mark.parametrize("text", HUGE, ids=range(len(HUGE)))
def test_huge_inputs(text: str) -> None:
    for item in ITEMS.values():
        _check_types(parse_reply(text, item, "en"), item)


def _check_types(result: ParsedReply, item: Item) -> None:
    assert isinstance(result, ParsedReply)
    assert isinstance(result.normalized, str)
    if result.code is None:
        assert result.failure in get_args(ParseFailure)
    else:
        assert type(result.code) is int and result.failure is None
        assert result.code in item.codes


FORBIDDEN_IMPORTS = {"telegram", "twilio", "sqlmodel", "sqlalchemy", "datetime", "time", "httpx"}


@pytest.mark.parametrize(
    "path",
    [
        "bot/conversation/parsing.py",
        "bot/conversation/text_normalize.py",
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
