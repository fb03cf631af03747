"""Every export format read back by its own reader; filters; names only on request; streaming."""

from __future__ import annotations

import csv
import inspect
import io
import json
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import event

from bot.clinic.exports import records
from bot.clinic.exports.csv_long import (
    export_formats,
    export_responses_csv,
    long_csv_chunks,
)
from bot.clinic.exports.csv_wide import export_wide_csv
from bot.clinic.exports.fhir import export_fhir
from bot.clinic.exports.json_export import export_json
from bot.clinic.exports.records import ExportFilter, iter_completed
from bot.clinic.exports.xlsx import export_xlsx
from bot.service.app import App
from surveys.loader import load_instrument
from surveys.scoring import score
from tests.exports_support import (
    add_cohort,
    add_patient,
    complete_survey,
    dvprs_answers,
    make_app,
    promis_answers,
)
from tests.support import FakeClock

T0 = datetime(2026, 9, 7, 15, 0, tzinfo=UTC)
NO_FILTER = ExportFilter()


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> App:
    built = make_app(sqlite_url, clock)
    _seed(built)
    yield built  # type: ignore[misc]
    built.db.dispose()


def _seed(app: App) -> None:
    add_patient(app, "S-001", name="Ada Lovelace")
    add_patient(app, "S-002", name="Grace Hopper", locale="es")
    add_patient(app, "S-003", name="Not In Cohort")
    add_cohort(app, "spring", ["S-001", "S-002"], date(2026, 9, 7))
    complete_survey(app, "S-001", "dvprs", dvprs_answers(7), when=T0, timepoint="baseline")
    complete_survey(app, "S-001", "promis29", promis_answers(2), when=T0, timepoint="baseline")
    skipped = dvprs_answers(5) | {"dvprs_mood": None}
    complete_survey(app, "S-002", "dvprs", skipped, when=T0 + timedelta(days=1))
    complete_survey(app, "S-003", "brs", {f"brs_{i}": 3 for i in range(1, 7)}, when=T0)
    complete_survey(app, "S-001", "dvprs", dvprs_answers(4), when=T0 + timedelta(days=70))


def _text(write: object, app: App, flt: ExportFilter = NO_FILTER) -> tuple[int, str]:
    out = io.StringIO()
    count = write(app.db, out, flt)  # type: ignore[operator]
    return count, out.getvalue()


def test_long_csv_keeps_its_columns_and_filters(app: App) -> None:
    count, text = _text(export_responses_csv, app)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 5 + 29 + 5 + 6 + 5
    assert list(rows[0])[:3] == ["patient", "instrument", "instrument_version"]
    assert "name" not in rows[0] and "Ada" not in text
    _, text = _text(
        export_responses_csv, app, ExportFilter(cohort="spring", instruments=("dvprs",))
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["patient"] for r in rows} == {"S-001", "S-002"} and len(rows) == 15
    since = ExportFilter(since=T0 + timedelta(days=60))
    _, text = _text(export_responses_csv, app, since)
    assert [r["value"] for r in csv.DictReader(io.StringIO(text))] == ["4", "3", "3", "3", "3"]
    _, text = _text(export_responses_csv, app, ExportFilter(patients=("S-002",), with_names=True))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["name"] for r in rows} == {"Grace Hopper"}
    assert [r["status"] for r in rows].count("skipped") == 1


def test_wide_csv_scores_equal_the_scorer(app: App) -> None:
    count, text = _text(export_wide_csv, app)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 5
    for row in rows:
        instrument = load_instrument(row["instrument"], row["instrument_version"])
        answers = {i: (int(row[i]) if row[i] else None) for i in instrument.item_ids}
        expected = score(instrument, answers)
        for scale_id, scale in expected.scores.items():
            for field, value in scale.as_dict().items():
                cell = row[f"{instrument.id}.{scale_id}.{field}"]
                if isinstance(value, int | float):
                    assert float(cell) == value, (scale_id, field)
                else:
                    assert cell == value, (scale_id, field)
    by_patient = {r["patient"]: r for r in rows if r["instrument"] == "dvprs"}
    assert by_patient["S-002"]["dvprs.interference.status"] == "incomplete"
    assert by_patient["S-002"]["dvprs.interference.mean"] == ""
    assert by_patient["S-002"]["cohort"] == "spring" and by_patient["S-002"]["dvprs_mood"] == ""


def test_xlsx_has_a_sheet_per_instrument_and_real_dates(app: App) -> None:
    out = io.BytesIO()
    assert export_xlsx(app.db, out, NO_FILTER) == 5
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert sorted(wb.sheetnames) == ["brs", "codebook", "dvprs", "promis29"]
    sheet = wb["dvprs"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["patient", "cohort", "timepoint"] and "completed_at (UTC)" in header
    assert "pain_intensity.band" in header and "dvprs_pain" in header
    data = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert len(data) == 3
    first = data[0]
    assert isinstance(first["completed_at (UTC)"], datetime)
    assert first["completed_at (UTC)"] == T0.replace(tzinfo=None)
    assert first["dvprs_pain"] == 7 and first["pain_intensity.band"] == "severe"
    promis = wb["promis29"]
    p_header = [c.value for c in promis[1]]
    p_row = dict(zip(p_header, (c.value for c in next(promis.iter_rows(2))), strict=True))
    assert (
        p_row["physical_function.t"]
        == score(load_instrument("promis29"), promis_answers(2)).scores["physical_function"].t
    )


def test_json_export_is_one_document(app: App) -> None:
    count, text = _text(export_json, app, ExportFilter(instruments=("dvprs",), with_names=True))
    doc = json.loads(text)
    assert count == len(doc["assignments"]) == 3
    first = doc["assignments"][0]
    assert first["patient"] == "S-001" and first["name"] == "Ada Lovelace"
    assert first["answers"]["dvprs_pain"] == 7
    assert first["scores"]["pain_intensity"] == {
        "scoring_revision": "1",
        "status": "complete",
        "raw": 7.0,
        "band": "severe",
        "descriptor": "Focus of attention, prevents doing daily activities",
    }
    assert doc["filters"]["instruments"] == ["dvprs"]


def test_fhir_bundle_validates_as_r4(app: App) -> None:
    count, text = _text(export_fhir, app)
    bundle = Bundle.model_validate(json.loads(text))  # the whole Bundle, with every resource
    kinds = [e.resource.__resource_type__ for e in bundle.entry]  # type: ignore[union-attr]
    assert kinds.count("Questionnaire") == 3
    assert kinds.count("QuestionnaireResponse") == count == 5
    # one Observation per stored score: dvprs 2 scales x3, promis29 10, brs 1
    assert kinds.count("Observation") == 2 * 3 + 10 + 1
    raw = json.loads(text)["entry"]
    responses = [
        e["resource"] for e in raw if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert responses[0]["subject"]["identifier"]["value"] == "S-001"
    assert "display" not in responses[0]["subject"]
    skipped = next(r for r in responses if r["subject"]["identifier"]["value"] == "S-002")
    assert "dvprs_mood" not in {i["linkId"] for i in skipped["item"]}
    observations = [e["resource"] for e in raw if e["resource"]["resourceType"] == "Observation"]
    pf = next(
        o for o in observations if o["code"]["coding"][0]["code"] == "promis29.physical_function"
    )
    expected = score(load_instrument("promis29"), promis_answers(2)).scores["physical_function"]
    assert pf["valueQuantity"]["value"] == expected.t
    assert pf["component"][0]["valueQuantity"]["value"] == expected.se
    incomplete = [o for o in observations if "dataAbsentReason" in o]
    assert len(incomplete) == 1  # S-002's interference
    qr_urls = {
        e["fullUrl"] for e in raw if e["resource"]["resourceType"] == "QuestionnaireResponse"
    }
    assert all(o["derivedFrom"][0]["reference"] in qr_urls for o in observations)


def test_every_format_is_registered() -> None:
    assert set(export_formats()) == {
        "csv", "csv-wide", "xlsx", "json", "fhir", "redcap", "redcap-dictionary"
    }  # fmt: skip


def test_long_export_streams(app: App) -> None:
    """Flat memory, checked structurally: a generator of batches (the size of the batches,
    and that they stream from the database, are tests/test_csv_long_columns.py's)."""
    chunks = long_csv_chunks(app.db)
    assert inspect.isgenerator(chunks)
    rows, text = next(chunks)
    assert text.startswith("S-001,") and text.count("\n") == rows
    chunks.close()


def test_per_assignment_formats_read_in_pages(app: App) -> None:
    """Taking the first record runs one page of queries, whatever the number of assignments."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(app.db, "before_cursor_execute", count)
    try:
        stream = iter_completed(app.db, NO_FILTER, batch=2)
        first = next(stream)
        assert first.assignment.instrument_id == "dvprs"
        page_queries = len([s for s in statements if "FROM surveyassignment" in s])
        assert page_queries == 1
        rest = list(stream)
        assert len(rest) == 4
        assert len([s for s in statements if "FROM surveyassignment" in s]) == 4  # 3 pages + end
    finally:
        event.remove(app.db, "before_cursor_execute", count)
    assert records.BATCH >= 100


def test_exports_on_postgres_and_sqlite(db_url: str, clock: FakeClock) -> None:
    app = make_app(db_url, clock)
    try:
        _seed(app)
        for name, fmt in export_formats().items():
            out: io.IOBase = io.BytesIO() if fmt.binary else io.StringIO()
            count = fmt.write(app.db, out, ExportFilter(cohort="spring"))
            if name == "redcap-dictionary":
                assert count > 29, name  # record_id and every item and score column
            else:
                # the REDCap file has a row per patient and timepoint: two forms share one
                expected = {"csv": 5 + 29 + 5 + 5, "redcap": 3}.get(name, 4)
                assert count == expected, name
    finally:
        app.db.dispose()
