"""Issue 14, point 6: exports researchers expect (REDCap, xlsx with codebook, LOINC, filters)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clinic.exports.csv_long import export_format
from bot.clinic.exports.records import ExportFilter
from bot.service.app import App
from tests.exports_support import (
    add_cohort,
    add_patient,
    complete_survey,
    make_app,
    promis_answers,
)
from tests.plan_support import brs_answers
from tests.support import FakeClock

WHEN = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
REDCAP_COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]  # fmt: skip


@pytest.fixture
def app(sqlite_url: str) -> App:
    built = make_app(sqlite_url, FakeClock(WHEN + timedelta(weeks=20)))
    for study_id in ("X-1", "X-2"):
        add_patient(built, study_id)
    add_cohort(built, "FALL", ["X-1", "X-2"], date(2026, 9, 8))
    for n, study_id in enumerate(("X-1", "X-2")):
        for timepoint, level, weeks in (("baseline", 2 + n, 0), ("post", 3 + n, 13)):
            when = WHEN + timedelta(weeks=weeks)
            complete_survey(built, study_id, "promis29", promis_answers(level), when=when,
                            timepoint=timepoint)  # fmt: skip
            complete_survey(built, study_id, "brs", brs_answers(level), when=when,
                            timepoint=timepoint)  # fmt: skip
    yield built  # type: ignore[misc]
    built.db.dispose()


def test_redcap_wide_export_and_data_dictionary(app: App, tmp_path: Path) -> None:
    from bot.clinic.exports import redcap  # type: ignore[attr-defined]

    data = io.StringIO()
    count = export_format("redcap").write(app.db, data, ExportFilter())
    rows = list(csv.DictReader(io.StringIO(data.getvalue())))
    assert count == len(rows) == 4  # 2 patients x 2 timepoints, every instrument on one row
    assert list(rows[0])[:2] == ["record_id", "redcap_event_name"]
    assert {(r["record_id"], r["redcap_event_name"]) for r in rows} == {
        ("X-1", "baseline_arm_1"), ("X-1", "post_arm_1"),
        ("X-2", "baseline_arm_1"), ("X-2", "post_arm_1"),
    }  # fmt: skip
    dictionary = io.StringIO()
    redcap.write_dictionary(app.db, dictionary, ExportFilter())
    fields = list(csv.reader(io.StringIO(dictionary.getvalue())))
    assert fields[0] == REDCAP_COLUMNS
    names = [f[0] for f in fields[1:]]
    assert names[0] == "record_id"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)
    assert len(names) == len(set(names))
    assert set(rows[0]) - {"redcap_event_name"} <= set(names)  # every data column is defined
    pfa11 = next(f for f in fields if f[0] == "pfa11")
    assert pfa11[3] == "radio" and re.fullmatch(r"(\d+, [^|]+)( \| \d+, [^|]+)+", pfa11[5])


def test_xlsx_has_frozen_header_filters_widths_and_codebook(app: App, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    with path.open("wb") as fh:
        export_format("xlsx").write(app.db, fh, ExportFilter())
    wb = load_workbook(path)
    sheet = wb["promis29"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    assert sheet.column_dimensions["A"].width and sheet.column_dimensions["A"].width > 8
    codebook = wb["codebook"]
    header = [c.value for c in codebook[1]]
    for column in ("instrument", "item_id", "item text", "options", "scored values", "reversed"):
        assert column in header
    brs_2 = next(r for r in codebook.iter_rows(values_only=True) if r[1] == "brs_2")
    assert any(str(v).startswith("yes") for v in brs_2)  # brs_2 is reverse-scored


def test_fhir_carries_loinc_where_loinc_has_a_code(app: App) -> None:
    out = io.StringIO()
    export_format("fhir").write(app.db, out, ExportFilter(instruments=("promis29",)))
    bundle = json.loads(out.getvalue())
    codes: dict[str, set[str]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "Observation":
            continue
        local = next(
            c["code"] for c in resource["code"]["coding"] if c["system"] == "urn:pathbot:score"
        )
        codes.setdefault(local, set()).update(
            c["code"] for c in resource["code"]["coding"] if c["system"] == "http://loinc.org"
        )  # fmt: skip
    assert codes["promis29.physical_function"] == {"71959-1"}
    assert codes["promis29.pain_interference"] == {"71961-7"}
    assert codes["promis29.social_roles"] == set()  # LOINC has no v2.x social roles term found


@pytest.mark.parametrize(
    "flt",
    [ExportFilter(cohort="NOPE"), ExportFilter(patients=("NOPE",)),
     ExportFilter(instruments=("nope",))],
)  # fmt: skip
def test_unknown_filter_is_an_error_not_an_empty_file(app: App, flt: ExportFilter) -> None:
    with pytest.raises(LookupError, match="NOPE|nope"):
        export_format("csv").write(app.db, io.StringIO(), flt)


def test_cli_redcap_writes_the_dictionary_beside_and_refuses_unknown_filters(
    app: App, sqlite_url: str, tmp_path: Path
) -> None:
    from tests.test_cli import pathbot

    out = tmp_path / "pathbot.csv"
    done = pathbot("export", "--format", "redcap", "--out", str(out), "--db", sqlite_url)
    assert done.returncode == 0, done.stderr
    dictionary = tmp_path / "pathbot_dictionary.csv"
    header = dictionary.read_text(encoding="utf-8").splitlines()[0]
    assert next(csv.reader([header])) == REDCAP_COLUMNS
    bad = tmp_path / "bad.csv"
    refused = pathbot("export", "--cohort", "NOPE", "--out", str(bad), "--db", sqlite_url)
    assert refused.returncode == 2 and "no cohort 'NOPE'" in refused.stderr
    assert not bad.exists() and not (tmp_path / "bad.csv.partial").exists()


def test_visit_rows_carry_week_and_session(sqlite_url: str) -> None:
    from tests.plan_support import answer_visit, enrol, make_cohort

    app = make_app(sqlite_url, FakeClock(datetime(2026, 12, 20, tzinfo=UTC)))
    try:
        add_patient(app, "V-1")
        make_cohort(app, "FALL", date(2026, 9, 8), now=datetime(2026, 8, 1, tzinfo=UTC))
        enrol(app, "FALL", ["V-1"], now=datetime(2026, 8, 2, tzinfo=UTC))
        answer_visit(
            app, "V-1", "FALL", 3, {"dvprs_pain": 4}, when=datetime(2026, 9, 22, 18, tzinfo=UTC)
        )
        out = io.StringIO()
        export_format("csv-wide").write(app.db, out, ExportFilter())
        (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert (row["timepoint"], row["week"], row["session"]) == ("visit", "3", "3")
    finally:
        app.db.dispose()
