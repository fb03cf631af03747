"""Scoring case files (tests/cases/scoring/*.yaml), written so a clinician can check them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from surveys.loader import load_all, load_instrument
from surveys.scoring import score

CASES_DIR = Path(__file__).parents[1] / "cases" / "scoring"
TABLES_FILE = CASES_DIR / "promis29_tables.yaml"
MEAN_TOLERANCE = 5e-5  # case files write means to 4 decimals (17/6 -> 2.8333)


def _case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.yaml") if p != TABLES_FILE)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    return data


def _cases() -> list[Any]:
    params = []
    for path in _case_files():
        data = _load(path)
        for n, case in enumerate(data["cases"]):
            params.append(pytest.param(data["instrument"], case, id=f"{path.stem}[{n}]"))
    return params


def check_scale(actual: dict[str, object], expected: dict[str, object], where: str) -> None:
    assert set(actual) == set(expected), f"{where}: got {actual}, expected {expected}"
    for field, want in expected.items():
        if field == "mean":
            assert actual[field] == pytest.approx(want, abs=MEAN_TOLERANCE), where
        else:
            assert actual[field] == want, f"{where}.{field}: got {actual[field]!r}, want {want!r}"


@pytest.mark.parametrize(("instrument_id", "case"), _cases())
def test_case(instrument_id: str, case: dict[str, Any]) -> None:
    result = score(load_instrument(instrument_id), case["answers"]).as_dict()
    scores = result["scores"]
    assert isinstance(scores, dict)
    for scale_id, expected in case["expected"].items():
        assert scale_id in scores, f"no scale {scale_id!r}"
        check_scale(scores[scale_id], expected, f"{case['description']!r}: {scale_id}")


def test_every_instrument_and_every_scale_has_cases() -> None:
    covered: dict[str, set[str]] = {}
    for path in _case_files():
        data = _load(path)
        assert data["instrument"] in load_all(), f"{path.name}: unknown instrument"
        for case in data["cases"]:
            assert case.get("description"), f"{path.name}: a case has no description"
            covered.setdefault(data["instrument"], set()).update(case["expected"])
    for instrument_id, instrument in load_all().items():
        assert instrument_id in covered, f"instrument {instrument_id} has no scoring case file"
        missing = {s.id for s in instrument.scales} - covered[instrument_id]
        assert not missing, f"{instrument_id}: no case checks scale(s) {sorted(missing)}"


def _table_params() -> list[Any]:
    data = _load(TABLES_FILE)
    params = []
    for raw, cells in data["rows"].items():
        for domain, cell in zip(data["columns"], cells, strict=True):
            m = re.fullmatch(r"(\d+\.\d) \((\d+\.\d)†?\)", cell)
            assert m, f"raw {raw} {domain}: cannot read {cell!r}"
            params.append(
                pytest.param(
                    domain,
                    data["items"][domain],
                    raw,
                    float(m[1]),
                    float(m[2]),
                    id=f"{domain}-{raw}",
                )
            )
    return params


def _values_summing_to(raw: int) -> list[int]:
    """Four scored values 1-5 that add up to `raw` (4..20)."""
    values, extra = [1, 1, 1, 1], raw - 4
    for i in range(4):
        step = min(4, extra)
        values[i] += step
        extra -= step
    assert extra == 0 and sum(values) == raw
    return values


@pytest.mark.parametrize(("domain", "item_ids", "raw", "t", "se"), _table_params())
def test_promis_table(domain: str, item_ids: list[str], raw: int, t: float, se: float) -> None:
    answers = dict(zip(item_ids, _values_summing_to(raw), strict=True))
    got = score(load_instrument("promis29"), answers).scores[domain]
    assert (got.status, got.raw, got.t, got.se) == ("complete", raw, t, se)


def test_tables_cover_every_domain_and_raw_score() -> None:
    data = _load(TABLES_FILE)
    assert sorted(data["rows"]) == list(range(4, 21))
    table_domains = {s.id for s in load_instrument("promis29").scales if s.rule == "promis_table"}
    assert set(data["columns"]) == table_domains
