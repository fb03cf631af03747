"""Translation packs (issue 19, point 5): a clinic's licensed translation is checked against the
instrument, with the file and path of every mistake, before any patient can be asked in it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from surveys.errors import InstrumentError
from surveys.loader import clear_cache, load_instrument, load_versions_without_packs
from surveys.packs import MAX_ERRORS_PER_FILE, PACKS_DIR_ENV, check_directory
from surveys.scoring import score
from surveys.yaml_file import MAX_FILE_BYTES
from tests.packs.make_fake_packs import BATTERY, HERE, fake_pack, render

PACKS = HERE


@pytest.fixture(autouse=True)
def _fresh_loader() -> Any:
    clear_cache()
    yield
    clear_cache()


def _promis() -> dict[str, Any]:
    return fake_pack(load_versions_without_packs()[("promis29", "2.1")])


def _write(directory: Path, data: Any, name: str = "promis29.es.yaml") -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _errors(directory: Path) -> list[str]:
    return check_directory(directory, load_versions_without_packs())[1]


def test_the_fake_packs_are_marked_fake_and_match_the_instruments() -> None:
    """The packs in tests/packs are filler (every text "[TEST] ..."), regenerated from the
    instruments, so they cannot pass for a translation nor drift from the instrument files."""
    for instrument_id in BATTERY:
        path = PACKS / f"{instrument_id}.es.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# FAKE TEST PACK")
        assert text == render(load_versions_without_packs()[_newest(instrument_id)])
        data = yaml.safe_load(text)
        strings = _all_strings(data, skip=("instrument", "version", "language", "id"))
        assert strings and all(s.startswith("[TEST] ") for s in strings)


def _newest(instrument_id: str) -> tuple[str, str]:
    clear_cache()
    return (instrument_id, load_instrument(instrument_id).version)


def _all_strings(value: Any, skip: tuple[str, ...]) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _all_strings(v, skip)]
    if isinstance(value, list):
        return [s for v in value for s in _all_strings(v, skip)]
    return [value] if isinstance(value, str) else []


def test_without_packs_the_battery_is_refused_in_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PACKS_DIR_ENV, raising=False)
    for instrument_id in BATTERY:
        assert load_instrument(instrument_id).usable_language("es") is None


def test_a_pack_offers_the_instrument_with_its_provenance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PACKS_DIR_ENV, str(PACKS))
    for instrument_id in BATTERY:
        instrument = load_instrument(instrument_id)
        translation = instrument.usable_language("es")
        assert translation is not None and translation.status == "validated"
        assert translation.pack == str(PACKS / f"{instrument_id}.es.yaml")
        assert translation.licence and translation.validation and translation.source
        # every text the patient could see is the pack's; English is untouched
        assert instrument.title["es"].startswith("[TEST]")
        assert instrument.instructions["es"].startswith("[TEST]")
        for item in instrument.items:
            assert item.text["es"] == f"[TEST] pregunta {item.id}"
            assert not item.context or item.context["es"] == "[TEST] contexto"
            assert [o.label["es"] for o in item.options] == [
                f"[TEST] respuesta {o.code}" for o in item.options
            ]
        base = load_versions_without_packs()[(instrument.id, instrument.version)]
        assert [it.text["en"] for it in instrument.items] == [it.text["en"] for it in base.items]
        assert [[(o.code, o.value) for o in it.options] for it in instrument.items] == [
            [(o.code, o.value) for o in it.options] for it in base.items
        ]


def test_scores_do_not_depend_on_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    for instrument_id in BATTERY:
        monkeypatch.delenv(PACKS_DIR_ENV, raising=False)
        clear_cache()
        plain = load_instrument(instrument_id)
        answers = {it.id: it.options[len(it.options) // 2].value for it in plain.items}
        monkeypatch.setenv(PACKS_DIR_ENV, str(PACKS))
        clear_cache()
        packed = load_instrument(instrument_id)
        assert score(packed, answers) == score(plain, answers)


Change = Callable[[dict[str, Any]], None]


def _pop(key: str) -> Change:
    return lambda d: d.pop(key)


def _set(*path_and_value: Any) -> Change:
    *path, value = path_and_value

    def change(d: dict[str, Any]) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _del_item(index: int) -> Change:
    return lambda d: d["items"].pop(index)


BROKEN: list[tuple[str, Change, str]] = [
    ("no licence", _pop("licence"), "{f}: (top level): no licence"),
    ("license spelt", lambda d: d.update(license=d.pop("licence")),
     "{f}: (top level): unknown key 'license' (spelled licence)\n"
     "{f}: (top level): no licence"),
    ("empty source", _set("source", " "), "{f}: source: empty text"),
    ("no validation", _pop("validation"), "{f}: (top level): no validation"),
    ("wrong version", _set("version", "2.0"),
     "{f}: version: promis29 has no version '2.0' here (this pathbot has 2.1); "
     "the pack must translate exactly that version"),
    ("unknown instrument", _set("instrument", "promis43"),
     "{f}: instrument: unknown instrument 'promis43' (known: brs, cpaq8, dvprs, "
     "healthcare_use, promis29, satisfaction, scs_sf)"),
    ("English replaced", _set("language", "en"),
     "{f}: language: promis29 2.1 already has validated en text in promis29.yaml; "
     "a pack may add a language or replace an unvalidated one"),
    ("bad language", _set("language", "Spanish"),
     "{f}: language: 'Spanish' is not a language tag like es, ne or fa-AF"),
    ("newer format", _set("pack_format", 2),
     "{f}: pack_format: written for pack format 2; this pathbot reads up to 1; upgrade pathbot"),
    ("missing item", _del_item(4),
     "{f}: items: no EDANX01 (every item of the instrument must be translated)"),
    ("unknown item", _set("items", 4, "id", "EDANX99"),
     "{f}: items[4].id: promis29 2.1 has no item 'EDANX99'\n"
     "{f}: items: no EDANX01 (every item of the instrument must be translated)"),
    ("scored value differs", _set("items", 4, "options", 2, "value", 4),
     "{f}: items[4].options[2].value: 4, but the instrument scores code 3 as 3"),
    ("reversed option order", _set("items", 0, "options", 0, "code", 5),
     "{f}: items[0].options[0].code: 5, but the instrument's option here is code 1"),
    ("option missing", lambda d: d["items"][4]["options"].pop(),
     "{f}: items[4].options: 4 options, but EDANX01 has 5"),
    ("empty label", _set("items", 4, "options", 2, "label", ""),
     "{f}: items[4].options[2].label: empty text"),
    ("no stem", lambda d: d["items"][3].pop("text"), "{f}: items[3]: no text"),
    ("no context", lambda d: d["items"][4].pop("context"), "{f}: items[4]: no context"),
    ("context the form lacks", _set("items", 0, "context", "[TEST] x"),
     "{f}: items[0].context: PFA11 has no context in the instrument"),
    ("no title", _pop("title"), "{f}: (top level): no title"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), [(c, m) for _, c, m in BROKEN],
                         ids=[n for n, _, _ in BROKEN])  # fmt: skip
def test_a_broken_pack_is_refused_with_the_exact_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Change, message: str
) -> None:
    data = copy.deepcopy(_promis())
    change(data)
    path = _write(tmp_path / "packs", data)
    expected = message.format(f=path).split("\n")
    assert _errors(tmp_path / "packs") == expected
    # at start-up (the loader, as `pathbot run` calls it) the same lines stop loading
    monkeypatch.setenv(PACKS_DIR_ENV, str(tmp_path / "packs"))
    with pytest.raises(InstrumentError) as caught:
        load_instrument("dvprs")  # any instrument: a broken pack stops them all
    assert str(caught.value).split("\n")[-len(expected) :] == expected


def test_every_mistake_is_listed_one_line_each(tmp_path: Path) -> None:
    data = _promis()
    data.pop("licence")
    data["items"][4]["options"][2]["value"] = 4
    data["items"][7]["text"] = ""
    path = _write(tmp_path / "packs", data)
    assert _errors(tmp_path / "packs") == [
        f"{path}: (top level): no licence",
        f"{path}: items[4].options[2].value: 4, but the instrument scores code 3 as 3",
        f"{path}: items[7].text: empty text",
    ]


def test_a_pack_for_the_wrong_instrument_lists_a_bounded_number_of_errors(tmp_path: Path) -> None:
    data = _promis()
    data["items"] = [{"id": f"X{i}", "text": "[TEST] x", "options": []} for i in range(200)]
    _write(tmp_path / "packs", data)
    assert len(_errors(tmp_path / "packs")) == MAX_ERRORS_PER_FILE


def test_items_may_come_in_any_order_but_not_twice(tmp_path: Path) -> None:
    data = _promis()
    data["items"].reverse()
    _write(tmp_path / "packs", data)
    assert _errors(tmp_path / "packs") == []
    data["items"].append(copy.deepcopy(data["items"][0]))
    path = _write(tmp_path / "packs", data)
    assert _errors(tmp_path / "packs") == [
        f"{path}: items[29].id: Global07 is translated twice (also items[0])"
    ]


def test_two_packs_for_the_same_language_are_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "packs", _promis(), "a_promis29.es.yaml")
    second = _write(tmp_path / "packs", _promis(), "b_promis29.es.yaml")
    assert _errors(tmp_path / "packs") == [
        f"{second}: promis29 2.1 in es is already translated by {first}"
    ]


def test_a_pack_replaces_an_unvalidated_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """BRS declares an uncited Spanish text that policy refuses; the licensed pack replaces it."""
    monkeypatch.delenv(PACKS_DIR_ENV, raising=False)
    assert load_instrument("brs").translations["es"].status == "unvalidated"
    monkeypatch.setenv(PACKS_DIR_ENV, str(PACKS))
    clear_cache()
    brs = load_instrument("brs")
    assert brs.translations["es"].status == "validated"
    assert brs.items[0].text["es"] == "[TEST] pregunta brs_1"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "{d}: no pack files"),  # handled by the CLI; here: nothing, no error
        (lambda d: (d / "x.yml").write_text("{}"), "{d}/x.yml: pack files end in .yaml; rename it"),
        (
            lambda d: (d / "big.es.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1)),
            "{d}/big.es.yaml: larger than 524288 bytes; not a translation pack",
        ),
        (
            lambda d: (d / "bad.es.yaml").write_text("items: [\n"),
            "{d}/bad.es.yaml: line 2: YAML syntax error: expected the node content, but found "
            "'<stream end>'",
        ),
        (
            lambda d: (d / "list.es.yaml").write_text("- 1\n"),
            "{d}/list.es.yaml: (top level): expected a mapping, got [1]",
        ),
    ],
    ids=["empty", "yml", "too big", "syntax", "not a mapping"],
)
def test_files_that_are_not_packs(
    tmp_path: Path, setup: Callable[[Path], object], message: str
) -> None:
    directory = tmp_path / "packs"
    directory.mkdir()
    setup(directory)
    errors = _errors(directory)
    if "no pack files" in message:
        assert errors == []
    else:
        assert errors == [message.format(d=directory)]


def test_the_packs_directory_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(PACKS_DIR_ENV, str(missing))
    with pytest.raises(InstrumentError, match=f"^{PACKS_DIR_ENV}={missing}: not a directory$"):
        load_instrument("brs")
