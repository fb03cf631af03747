"""The instrument loader: shipped files load, broken files are refused with the exact path."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from surveys.errors import InstrumentError
from surveys.loader import (
    CLINIC_DIR_ENV,
    MAX_FILE_BYTES,
    SHIPPED_DIR,
    load_all,
    load_file,
    load_instrument,
)

SHIPPED = ["brs", "cpaq8", "dvprs", "healthcare_use", "promis29", "satisfaction", "scs_sf"]


def _option(code: int, value: int) -> dict[str, Any]:
    return {"code": code, "value": value, "label": {"en": f"E{code}", "es": f"S{code}"}}


GOOD: dict[str, Any] = {
    "format_version": 1,
    "id": "clinic_test",
    "version": "1.0",
    "scoring_revision": "1",
    "title": {"en": "Test", "es": "Prueba"},
    "instructions": {"en": "Answer.", "es": "Responda."},
    "translations": {
        "en": {"status": "validated", "source": "the clinic"},
        "es": {"status": "unvalidated", "source": "staff translation"},
    },
    "unvalidated_policy": "mark",
    "copyright": "none",
    "items": [
        {
            "id": "q1",
            "text": {"en": "One?", "es": "¿Uno?"},
            "context": {"en": "Today", "es": "Hoy"},
            "options": [_option(1, 1), _option(2, 2), _option(3, 3)],
        },
        {
            "id": "q2",
            "text": {"en": "Two?", "es": "¿Dos?"},
            "options": [_option(1, 1), _option(2, 2), _option(3, 3)],
        },
    ],
    "scoring": {
        "scales": [
            {
                "id": "total",
                "rule": "sum",
                "items": ["q1", "q2"],
                "reverse": {"items": ["q2"], "from": 4},
            },
        ]
    },
}


def _write(tmp_path: Path, data: Any, name: str = "clinic_test.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def test_the_good_example_loads(tmp_path: Path) -> None:
    instrument = load_file(_write(tmp_path, GOOD))
    assert instrument.id == "clinic_test"
    assert instrument.item("q1").context == {"en": "Today", "es": "Hoy"}
    assert instrument.usable_language("es") is not None
    assert instrument.source_file == "clinic_test.yaml"


BROKEN = [
    (
        "missing option value",
        lambda d: d["items"][1]["options"][2].pop("value"),
        "clinic_test.yaml: items[1].options[2]: no value",
    ),
    (
        "duplicate item id",
        lambda d: d["items"][1].update(id="q1"),
        "clinic_test.yaml: items[1].id: duplicate item id 'q1' (also items[0])",
    ),
    (
        "duplicate option code",
        lambda d: d["items"][0]["options"][1].update(code=1),
        "clinic_test.yaml: items[0].options[1].code: duplicate option code 1",
    ),
    (
        "option label missing a declared language",
        lambda d: d["items"][0]["options"][1]["label"].pop("es"),
        "clinic_test.yaml: items[0].options[1].label: no es text",
    ),
    (
        "item text missing a declared language",
        lambda d: d["items"][1]["text"].pop("es"),
        "clinic_test.yaml: items[1].text: no es text",
    ),
    (
        "context missing a declared language",
        lambda d: d["items"][0]["context"].pop("es"),
        "clinic_test.yaml: items[0].context: no es text",
    ),
    (
        "instructions missing a declared language",
        lambda d: d["instructions"].pop("es"),
        "clinic_test.yaml: instructions: no es text",
    ),
    (
        "text in an undeclared language",
        lambda d: d["title"].update(fr="Essai"),
        "clinic_test.yaml: title: text in 'fr', which is not declared in translations",
    ),
    (
        "no English",
        lambda d: d["translations"].pop("en"),
        "clinic_test.yaml: translations: no en (English is required)",
    ),
    (
        "validated without a source",
        lambda d: d["translations"]["es"].update(status="validated", source=""),
        "clinic_test.yaml: translations.es: no source (a validated translation must name it)",
    ),
    (
        "newer format version",
        lambda d: d.update(format_version=3),
        "clinic_test.yaml: format_version: written for format version 3; this pathbot reads up "
        "to 1; upgrade pathbot",
    ),
    (
        "scoring rule naming an unknown item",
        lambda d: d["scoring"]["scales"][0]["items"].append("q9"),
        "clinic_test.yaml: scoring.scales[0].items[2]: unknown item 'q9'",
    ),
    (
        "unknown rule",
        lambda d: d["scoring"]["scales"][0].update(rule="median"),
        "clinic_test.yaml: scoring.scales[0].rule: unknown rule 'median'",
    ),
    (
        "reverse range that does not fit the values",
        lambda d: d["scoring"]["scales"][0]["reverse"].update({"from": 6}),
        "clinic_test.yaml: scoring.scales[0].reverse.from: 6 - value does not map the values of "
        "q2 ([1, 2, 3]) onto themselves",
    ),
    (
        "reverse left empty",
        lambda d: d["scoring"]["scales"][0].update(reverse=None),
        "clinic_test.yaml: scoring.scales[0].reverse: expected a mapping, got None",
    ),
    (
        "typo in a key",
        lambda d: d["items"][0].update(optons=[]),
        "clinic_test.yaml: items[0]: unknown key 'optons'",
    ),
    (
        "version not quoted",
        lambda d: d.update(version=1.0),
        "clinic_test.yaml: version: expected text, got 1.0 (quote it)",
    ),
]


@pytest.mark.parametrize(("change", "message"), [pytest.param(c, m, id=i) for i, c, m in BROKEN])
def test_broken_file_is_refused_with_exact_path(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(InstrumentError) as e:
        load_file(_write(tmp_path, _broken(change)))
    assert str(e.value).startswith(message), str(e.value)


def test_item_not_scored_by_any_scale(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["scoring"]["scales"][0] = {"id": "total", "rule": "sum", "items": ["q1"]}

    with pytest.raises(
        InstrumentError,
        match=r"^clinic_test\.yaml: items\[1\]: item 'q2' is "
        r"not scored by any scale$",
    ):
        load_file(_write(tmp_path, _broken(change)))


def test_promis_table_must_cover_every_raw_score(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        # raw sums of q1 + q2 run 2..6; row 5 is left out
        table = {2: [30.0, 4.0], 3: [40.0, 3.0], 4: [50.0, 3.0], 6: [70.0, 4.0]}
        d["scoring"]["scales"][0] = {
            "id": "domain",
            "rule": "promis_table",
            "items": ["q1", "q2"],
            "table": table,
        }

    with pytest.raises(InstrumentError) as e:
        load_file(_write(tmp_path, _broken(change)))
    assert str(e.value) == (
        "clinic_test.yaml: scoring.scales[0].table: no row for raw 5 (rows must cover 2..6)"
    )


def test_bad_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    text = "format_version: 1\nid: x\ntitle: {en: [unclosed\nversion: '1'\n"
    with pytest.raises(InstrumentError, match=r"^broken\.yaml: line \d+: YAML syntax error"):
        load_file(_write(tmp_path, text, "broken.yaml"))


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    text = yaml.safe_dump(GOOD, allow_unicode=True).replace(
        "scoring_revision: '1'\n", "scoring_revision: '1'\nscoring_revision: '2'\n"
    )
    with pytest.raises(InstrumentError) as e:
        load_file(_write(tmp_path, text))
    assert str(e.value).startswith("clinic_test.yaml: line ")
    assert str(e.value).endswith(": duplicate key 'scoring_revision'")


def test_file_size_cap(tmp_path: Path) -> None:
    path = _write(tmp_path, "# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(InstrumentError, match=r"^clinic_test\.yaml: larger than"):
        load_file(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(
        InstrumentError,
        match=r"^clinic_test\.yaml: \(top level\): expected a "
        r"mapping",
    ):
        load_file(_write(tmp_path, "- just\n- a list\n"))


def test_shipped_instruments_load() -> None:
    assert sorted(load_all()) == SHIPPED
    for name in SHIPPED:
        assert (SHIPPED_DIR / f"{name}.yaml").is_file(), "one file per instrument, named by id"
        assert load_instrument(name).source_file == f"{name}.yaml"


def test_unknown_instrument_and_version() -> None:
    with pytest.raises(InstrumentError, match=r"^unknown instrument 'phq9' \(known: brs, "):
        load_instrument("phq9")
    with pytest.raises(
        InstrumentError,
        match=r"^instrument 'promis29' has no version '9\.9' "
        r"\(known: 2\.1\)$",
    ):
        load_instrument("promis29", "9.9")
    assert load_instrument("promis29", "2.1").version == "2.1"


def test_clinic_directory_adds_instruments_and_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, GOOD)
    newer = copy.deepcopy(GOOD)
    newer["version"] = "1.10"  # newer than 1.9 and 1.0, though it sorts first as text
    _write(tmp_path, newer, "clinic_test-1.10.yaml")
    older = copy.deepcopy(GOOD)
    older["version"] = "1.9"
    _write(tmp_path, older, "clinic_test-1.9.yaml")
    monkeypatch.setenv(CLINIC_DIR_ENV, str(tmp_path))
    assert load_all()["clinic_test"].version == "1.10"
    assert load_instrument("clinic_test").version == "1.10"
    assert load_instrument("clinic_test", "1.0").version == "1.0"
    assert "promis29" in load_all()


def test_clinic_file_may_not_redefine_a_shipped_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clash = copy.deepcopy(GOOD)
    clash["id"] = "brs"
    _write(tmp_path, clash, "my_brs.yaml")
    monkeypatch.setenv(CLINIC_DIR_ENV, str(tmp_path))
    with pytest.raises(
        InstrumentError,
        match=r"^my_brs\.yaml: instrument brs version 1\.0 is "
        r"already defined in brs\.yaml$",
    ):
        load_all()


def test_broken_clinic_file_stops_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, _broken(lambda d: d["items"][0]["options"][0].pop("value")))
    monkeypatch.setenv(CLINIC_DIR_ENV, str(tmp_path))
    with pytest.raises(
        InstrumentError,
        match=r"^clinic_test\.yaml: items\[0\]\.options\[0\]: "
        r"no value$",
    ):
        load_instrument("brs")


def test_clinic_directory_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLINIC_DIR_ENV, str(tmp_path / "nope"))
    with pytest.raises(InstrumentError, match="not a directory"):
        load_all()


def test_keying_as_answered_allows_a_deliberately_unreversed_scale(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["scoring"]["scales"].append(
            {"id": "q2_raw", "rule": "mean", "items": ["q2"], "keying": "as_answered"}
        )

    instrument = load_file(_write(tmp_path, _broken(change)))
    assert [s.id for s in instrument.scales] == ["total", "q2_raw"]


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"id": "q2_raw", "rule": "mean", "items": ["q2"]}, "reverse-keyed in some scales"),
        (
            {"id": "q2_raw", "rule": "mean", "items": ["q2"], "keying": "raw"},
            "scoring.scales[1].keying: unknown keying 'raw'",
        ),
        (
            {
                "id": "q2_raw",
                "rule": "mean",
                "items": ["q2"],
                "keying": "as_answered",
                "reverse": {"items": ["q2"], "from": 4},
            },
            "cannot be combined with reverse",
        ),
    ],
)
def test_mixed_keying_needs_an_explicit_declaration(
    tmp_path: Path, scale: dict[str, Any], message: str
) -> None:
    def change(d: dict[str, Any]) -> None:
        d["scoring"]["scales"].append(scale)

    with pytest.raises(InstrumentError, match=re.escape(message)):
        load_file(_write(tmp_path, _broken(change)))
