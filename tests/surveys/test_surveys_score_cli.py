"""`pathbot score`: JSON in, JSON out; bad input gives exit 2, one stderr line, empty stdout."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from surveys.loader import load_all
from surveys.score_cli import main

CASES_DIR = Path(__file__).parents[1] / "cases" / "scoring"


def run(argv: list[str], stdin_text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin_text), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _first_case(instrument_id: str) -> dict[str, Any]:
    data = yaml.safe_load((CASES_DIR / f"{instrument_id}.yaml").read_text(encoding="utf-8"))
    case: dict[str, Any] = data["cases"][0]
    return case


@pytest.mark.parametrize("instrument_id", sorted(load_all()))
def test_scores_each_instrument(instrument_id: str) -> None:
    case = _first_case(instrument_id)
    code, out, err = run([instrument_id], json.dumps(case["answers"]))
    assert (code, err) == (0, "")
    result = json.loads(out)
    instrument = load_all()[instrument_id]
    assert result["instrument"] == instrument_id
    assert result["version"] == instrument.version
    assert result["scoring_revision"] == instrument.scoring_revision
    assert list(result["scores"]) == [s.id for s in instrument.scales]
    for scale_id, expected in case["expected"].items():
        assert result["scores"][scale_id]["status"] == expected["status"]


def test_promis_output_and_version_option() -> None:
    answers = {"PFA11": 5, "PFA21": 5, "PFA23": 5, "PFA53": 5, "Global07": None}
    code, out, _ = run(["promis29", "--version", "2.1"], json.dumps(answers))
    assert code == 0
    scores = json.loads(out)["scores"]
    assert scores["physical_function"] == {"raw": 20, "t": 57.0, "se": 6.6, "status": "complete"}
    assert scores["pain_intensity"] == {"status": "incomplete"}  # null = skipped


BAD = [
    ("not json", ["brs"], "{brs_1: 3", "answers are not valid JSON"),
    ("not an object", ["brs"], "[3, 3, 3]", "answers must be a JSON object"),
    ("unknown instrument", ["phq9"], "{}", "unknown instrument 'phq9'"),
    ("unknown version", ["brs", "--version", "7"], "{}", "instrument 'brs' has no version '7'"),
    ("unknown item", ["brs"], '{"brs_7": 3}', "brs: unknown item 'brs_7'"),
    ("text value", ["brs"], '{"brs_1": "3"}', 'brs_1: "3" is not a whole number or null'),
    ("fraction", ["brs"], '{"brs_1": 2.5}', "brs_1: 2.5 is not a whole number or null"),
    ("boolean", ["brs"], '{"brs_1": true}', "brs_1: true is not a whole number or null"),
    (
        "out of range",
        ["brs"],
        '{"brs_1": 6}',
        "brs_1: 6 is not one of its scored values (1, 2, 3, 4, 5)",
    ),
    ("typed code, not scored value", ["promis29"], '{"Global07": 11}', "Global07: 11 is not"),
    ("item twice", ["brs"], '{"brs_1": 3, "brs_1": 4}', "item 'brs_1' is given twice"),
    ("no instrument", [], "{}", "the following arguments are required: instrument"),
    ("unknown option", ["brs", "--format", "x"], "{}", "unrecognized arguments"),
]


@pytest.mark.parametrize(
    ("argv", "stdin_text", "message"), [pytest.param(a, s, m, id=i) for i, a, s, m in BAD]
)
def test_bad_input(argv: list[str], stdin_text: str, message: str) -> None:
    code, out, err = run(argv, stdin_text)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith("pathbot score: error: ")
    assert message in err, err
