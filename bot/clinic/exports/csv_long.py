"""Exports staff read in their own tools; this module holds the long CSV and the format registry.

CSV long format: one row per current item response, streamed a batch at a time so memory stays
flat however many there are: PostgreSQL writes the lines itself (COPY, csv_long_copy.py), on
SQLite they are read from the driver's cursor and written here a column at a time. Study ids,
not names, identify patients unless the export asks for names. The other formats live in
`bot/clinic/exports/`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import Engine, type_coerce
from sqlalchemy.types import NullType
from sqlmodel import col, select

from bot.clinic.exports.cells import FORMULA_STARTS, safe_cell
from bot.clinic.exports.csv_text import NEEDS_QUOTES, csv_line, quoted
from bot.clinic.exports.records import ExportFilter, check_filter, patient_scope
from bot.db.models import ItemResponse, Patient, SurveyAssignment

LONG_COLUMNS = (
    "patient",
    "instrument",
    "instrument_version",
    "assignment_id",
    "timepoint",
    "item_id",
    "option_code",
    "value",
    "raw_text",
    "status",
    "language",
    "translation_status",
    "channel",
    "parser_version",
    "answered_at",
)
BATCH = 2000
NO_FILTER = ExportFilter()


def long_query(flt: ExportFilter) -> Any:
    """The query the long CSV is read from on SQLite, a row of plain columns per response."""
    # Plain columns, not ORM entities: building an ItemResponse and a SurveyAssignment object
    # per row made a 1,000,000-row export take ~43 s. answered_at comes as the driver gives it
    # (type_coerce): its usual result processing cost ~7 us a row; `_iso_utc` does the same
    # conversion a column at a time.
    return long_source(
        [
            Patient.study_id,
            Patient.display_name,
            ItemResponse.instrument_id,
            SurveyAssignment.instrument_version,
            ItemResponse.assignment_id,
            SurveyAssignment.timepoint,
            ItemResponse.item_id,
            ItemResponse.option_code,
            ItemResponse.coded_value,
            ItemResponse.raw_text,
            ItemResponse.status,
            ItemResponse.language,
            SurveyAssignment.translation_status,
            ItemResponse.channel,
            ItemResponse.parser_version,
            type_coerce(ItemResponse.answered_at, NullType()),
        ],
        flt,
    )


def long_source(columns: Sequence[Any], flt: ExportFilter) -> Any:
    """`columns` for each current response the filter lets through, in answer order: the one
    definition of the long CSV's rows, whichever database formats them."""
    query: Any = (
        select(*columns)
        .select_from(ItemResponse)
        .join(Patient, col(Patient.id) == ItemResponse.patient_id)
        .join(SurveyAssignment, col(SurveyAssignment.id) == ItemResponse.assignment_id)
        .where(col(ItemResponse.superseded_at).is_(None))
    )
    query = patient_scope(query, flt, col(ItemResponse.patient_id))
    if flt.instruments:
        query = query.where(col(ItemResponse.instrument_id).in_(flt.instruments))
    if flt.since is not None:
        query = query.where(col(ItemResponse.answered_at) >= flt.since)
    if flt.until is not None:
        query = query.where(col(ItemResponse.answered_at) < flt.until)
    return query.order_by(col(ItemResponse.id))


def long_columns(flt: ExportFilter) -> tuple[str, ...]:
    columns = (
        LONG_COLUMNS if flt.with_free_text else tuple(c for c in LONG_COLUMNS if c != "raw_text")
    )
    if flt.with_names:
        return ("patient", "name", *columns[1:])
    return columns


Column = Sequence[Any]
Cells = Callable[[Column], list[str]]


def long_csv_chunks(db: Engine, flt: ExportFilter = NO_FILTER) -> Iterator[tuple[int, str]]:
    """The long CSV's data lines, in answer order: (how many rows, their text) a batch at a time,
    so memory stays flat however many there are.

    PostgreSQL writes the lines itself (bot/clinic/exports/csv_long_copy.py). On SQLite they are
    written here column-wise: each batch of up to `BATCH` rows is turned into columns and each
    column formatted in one pass (`_column_formats`), several times faster than a csv.writer call
    per row. Either way the text is byte for byte what csv.writer(lineterminator="\n") wrote
    (tests/test_csv_long_columns.py), but for a lone "\r", which that left bare, breaking the row
    (bot/clinic/exports/csv_text.py).
    """
    if db.dialect.name == "postgresql":
        from bot.clinic.exports.csv_long_copy import copied_chunks

        return copied_chunks(db, flt, long_source)
    return _formatted_chunks(db, flt)


def _formatted_chunks(db: Engine, flt: ExportFilter) -> Iterator[tuple[int, str]]:
    formats = _column_formats(flt, _datetime_parser(db))
    with contextlib.closing(_row_batches(db, flt)) as batches:
        for rows in batches:
            columns = list(zip(*rows, strict=True))
            cells = [cells_of(columns[i]) for i, cells_of in formats]
            yield len(rows), "\n".join(map(",".join, zip(*cells, strict=True))) + "\n"


def _row_batches(db: Engine, flt: ExportFilter) -> Generator[Sequence[Any], None, None]:
    """The rows, read from the driver's own cursor (SQLite's sqlite3): plain tuples, where a
    SQLAlchemy Row built for each cost ~1 s a million rows. Not `yield_per`: it buffers a row
    ahead in the result, which the cursor would then skip. The sqlite3 cursor steps through the
    rows as they are fetched, so memory stays flat all the same. Read in line, not by a thread
    fetching ahead: sqlite3 lets go of the GIL at every row and each time waits out the
    formatting's switch interval to get it back (1M rows, alternating runs on this 2-core
    machine: 17-20 s with a thread against 14-15.6 s in line)."""
    with db.connect() as conn, contextlib.closing(conn.execute(long_query(flt))) as result:
        cursor = result.cursor
        while batch := cursor.fetchmany(BATCH):
            yield batch


def _column_formats(
    flt: ExportFilter, parse_datetime: Callable[[Any], datetime] | None
) -> list[tuple[int, Cells]]:
    """(index in the query's row, how its cells are written) for each output column, in order.

    Every text cell that people type (study ids, names, versions, timepoints, item ids, the
    patient's words) goes through `safe_cell`, so a spreadsheet never runs it as a formula.
    """
    typed = _quoted_column(safe=True)
    plain = _quoted_column(safe=False)
    head = [(0, typed), (1, typed)] if flt.with_names else [(0, typed)]
    free_text = [(9, typed)] if flt.with_free_text else []
    return [
        *head,
        (2, plain),  # instrument
        (3, typed),  # instrument_version
        (4, _numbers),  # assignment_id
        (5, typed),  # timepoint
        (6, typed),  # item_id
        (7, _numbers),  # option_code
        (8, _numbers),  # value
        *free_text,
        (10, plain),  # status
        (11, plain),  # language
        (12, plain),  # translation_status
        (13, plain),  # channel
        (14, plain),  # parser_version
        (15, lambda column: _iso_utc(column, parse_datetime)),  # answered_at
    ]


def _quoted_column(*, safe: bool) -> Cells:
    def cells(column: Column) -> list[str]:
        # One scan of the batch's cells joined says whether any needs a formula guard or quotes
        # (a match across a real unit separator only sends it down the exact path).
        joined = _CELL_START + _CELL_START.join(column)
        texts = list(column)
        if safe and any(mark in joined for mark in _FORMULA_MARKS):
            texts = [safe_cell(cell) for cell in texts]
        if not any(mark in joined for mark in NEEDS_QUOTES):
            return texts
        return [quoted(cell) if any(m in cell for m in NEEDS_QUOTES) else cell for cell in texts]

    return cells


_CELL_START = "\x1f"
_FORMULA_MARKS = tuple(_CELL_START + start for start in FORMULA_STARTS)


def _numbers(column: Column) -> list[str]:
    return ["" if v is None else str(v) for v in column]


def _datetime_parser(db: Engine) -> Callable[[Any], datetime] | None:
    """How the driver's answered_at becomes a datetime: the dialect's own result processor for
    the column's type (SQLite stores text), or None where the driver gives datetimes."""
    column_type = ItemResponse.__table__.c["answered_at"].type  # type: ignore[attr-defined]
    impl = getattr(column_type, "impl", column_type)  # the UTC type decorator's base type
    processor: Callable[[Any], datetime] | None = impl.dialect_impl(db.dialect).result_processor(
        db.dialect, None
    )
    return processor


def _iso_utc(column: Column, parse: Callable[[Any], datetime] | None) -> list[str]:
    """ISO 8601 in UTC, as the column's type reads it: a time without an offset is UTC."""
    values = [parse(v) for v in column] if parse else column
    return [
        v.isoformat() + "+00:00"
        if v.tzinfo is None
        else v.isoformat()
        if v.utcoffset() == _NO_OFFSET  # in UTC already: the same text astimezone would give
        else v.astimezone(UTC).isoformat()
        for v in values
    ]


_NO_OFFSET = timedelta(0)


def export_responses_csv(db: Engine, out: TextIO, flt: ExportFilter = NO_FILTER) -> int:
    """Write the long CSV to `out`; returns the number of data rows."""
    out.write(csv_line(long_columns(flt)))
    count = 0
    for rows, lines in long_csv_chunks(db, flt):
        out.write(lines)
        count += rows
    return count


@dataclass(frozen=True)
class ExportFormat:
    """One export format: whether it writes bytes, and the function that writes it."""

    binary: bool
    write: Callable[[Engine, Any, ExportFilter], int]
    counts: str  # what the returned number counts, for the command's message


FORMAT_NAMES = ("csv", "csv-wide", "xlsx", "json", "fhir", "redcap", "redcap-dictionary")


def export_format(name: str) -> ExportFormat:
    """One format of `pathbot export --format`; its writer's libraries load only when used.

    Every writer first checks the filter: a cohort, patient or instrument that does not exist
    is an error (UnknownFilter), never an empty file that looks like "no data".
    """
    fmt = _format(name)
    return ExportFormat(fmt.binary, _checked(fmt.write), fmt.counts)


def _checked(write: Callable[[Engine, Any, ExportFilter], int]) -> Callable[..., int]:
    def checked(db: Engine, out: Any, flt: ExportFilter) -> int:
        check_filter(db, flt)
        return write(db, out, flt)

    return checked


def _format(name: str) -> ExportFormat:
    if name == "csv":
        return ExportFormat(False, export_responses_csv, "responses")
    if name == "csv-wide":
        from bot.clinic.exports import csv_wide

        return ExportFormat(False, csv_wide.export_wide_csv, "assignments")
    if name == "xlsx":
        from bot.clinic.exports import xlsx

        return ExportFormat(True, xlsx.export_xlsx, "assignments")
    if name == "json":
        from bot.clinic.exports import json_export

        return ExportFormat(False, json_export.export_json, "assignments")
    if name == "fhir":
        from bot.clinic.exports import fhir

        return ExportFormat(False, fhir.export_fhir, "assignments")
    if name == "redcap":
        from bot.clinic.exports import redcap

        return ExportFormat(False, redcap.export_redcap, "patient-timepoint rows")
    if name == "redcap-dictionary":
        from bot.clinic.exports import redcap

        return ExportFormat(False, redcap.write_dictionary, "fields")
    raise KeyError(name)


def export_formats() -> dict[str, ExportFormat]:
    """Every format `pathbot export --format` accepts."""
    return {name: export_format(name) for name in FORMAT_NAMES}
