"""The long CSV written a column at a time is byte for byte what the row-at-a-time writer it
replaced wrote (a frozen copy below), over hostile cells, every filter and several batches, on
both databases. The frozen copy writes its rows with CsvWriter, csv.writer's format with a lone
"\r" quoted (tests/test_csv_text.py): the one change made to the format since."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.clinic.exports import csv_long_copy
from bot.clinic.exports.cells import safe_cell
from bot.clinic.exports.csv_long import (
    BATCH,
    export_responses_csv,
    long_columns,
    long_csv_chunks,
)
from bot.clinic.exports.csv_text import CsvWriter
from bot.clinic.exports.records import ExportFilter, patient_scope
from bot.db import store
from bot.db.database import make_engine, session_scope, upgrade
from bot.db.models import ItemResponse, Patient, SurveyAssignment

T0 = datetime(2026, 9, 7, 15, 0, tzinfo=UTC)
HOSTILE = [
    "plain",
    "",
    "comma, inside",
    'a "quoted" word',
    '"',
    "line\nbreak",
    "windows\r\nline",
    '=HYPERLINK("http://x")',
    "+1",
    "-1+1",
    "@SUM(A1)",
    "\tTab first",
    "\rCR first",
    "pain\r5",
    "end\r",
    " spaces around ",
    "ünïcödé 痛み ألم",
    'emoji 😀, and "quotes"',
    "semi;colon",
    "'already quoted",
    # what PostgreSQL's COPY escapes in its text format, which the export must undo exactly
    "back\\slash, \\n no newline\\",
    "tab\tinside",
    "bell\x07 bs\x08 vt\x0b ff\x0c esc\x1b",
    "\\",
]


# ---- the row-at-a-time writer, frozen as it was before the column-wise one ----------------


def _old_query(flt: ExportFilter) -> Any:
    query: Any = (
        select(  # type: ignore[call-overload]
            Patient.study_id, Patient.display_name, ItemResponse.instrument_id,
            SurveyAssignment.instrument_version, ItemResponse.assignment_id,
            SurveyAssignment.timepoint, ItemResponse.item_id, ItemResponse.option_code,
            ItemResponse.coded_value, ItemResponse.raw_text, ItemResponse.status,
            ItemResponse.language, SurveyAssignment.translation_status, ItemResponse.channel,
            ItemResponse.parser_version, ItemResponse.answered_at,
        )
        .select_from(ItemResponse)
        .join(Patient, col(Patient.id) == ItemResponse.patient_id)
        .join(SurveyAssignment, col(SurveyAssignment.id) == ItemResponse.assignment_id)
        .where(col(ItemResponse.superseded_at).is_(None))
    )  # fmt: skip
    query = patient_scope(query, flt, col(ItemResponse.patient_id))
    if flt.instruments:
        query = query.where(col(ItemResponse.instrument_id).in_(flt.instruments))
    if flt.since is not None:
        query = query.where(col(ItemResponse.answered_at) >= flt.since)
    if flt.until is not None:
        query = query.where(col(ItemResponse.answered_at) < flt.until)
    return query.order_by(col(ItemResponse.id)).execution_options(yield_per=BATCH)


def _old_rows(db: Engine, flt: ExportFilter) -> Iterator[tuple[Any, ...]]:
    with Session(db) as session:
        for (
            study_id, name, instrument_id, instrument_version, assignment_id, timepoint,
            item_id, option_code, coded_value, raw_text, status, language, translation_status,
            channel, parser_version, answered_at,
        ) in session.exec(_old_query(flt)):  # fmt: skip
            head = (
                (safe_cell(study_id), safe_cell(name)) if flt.with_names else (safe_cell(study_id),)
            )
            typed = (safe_cell(raw_text),) if flt.with_free_text else ()
            yield (
                *head, instrument_id, safe_cell(instrument_version), assignment_id,
                safe_cell(timepoint), safe_cell(item_id),
                "" if option_code is None else option_code,
                "" if coded_value is None else coded_value,
                *typed, status, language, translation_status, channel, parser_version,
                answered_at.isoformat(),
            )  # fmt: skip


def old_export(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    writer = CsvWriter(out)
    writer.writerow(long_columns(flt))
    count = 0
    for row in _old_rows(db, flt):
        writer.writerow(row)
        count += 1
    return count


# ---- data ---------------------------------------------------------------------------------


def seed(url: str, responses: int) -> Engine:
    """Patients, assignments and responses whose every text cell cycles through HOSTILE."""
    upgrade(url)
    db = make_engine(url)
    patients = []
    with session_scope(db) as session:
        for n, text in enumerate(HOSTILE):
            patient = store.add_patient(
                session, study_id=f"{text[:40]}#{n}", display_name=text, now=T0
            )
            patients.append(patient.id or 0)
    with db.begin() as conn:
        assignments = conn.execute(
            insert(SurveyAssignment).returning(
                SurveyAssignment.id,  # type: ignore[arg-type]
                sort_by_parameter_order=True,
            ),
            [
                {"patient_id": pid, "instrument_id": "dvprs", "instrument_version": text,
                 "timepoint": text or "baseline", "language": "en",
                 "translation_status": "validated", "opens_at": T0, "due_at": T0,
                 "expires_at": T0, "state": "completed", "nudges_sent": 0, "completed_at": T0}
                for pid, text in zip(patients, HOSTILE, strict=True)
            ],
        ).scalars().all()  # fmt: skip
        rows = []
        for n in range(responses):
            k = n % len(HOSTILE)
            rows.append(
                {"assignment_id": assignments[k], "patient_id": patients[k],
                 "instrument_id": ("dvprs", "promis29")[n % 2],
                 "item_id": HOSTILE[(n + 3) % len(HOSTILE)][:60] or "dvprs_pain",
                 "raw_text": HOSTILE[(n + 7) % len(HOSTILE)] * (1 + n % 3),
                 "option_code": None if n % 5 == 0 else n % 11 - 1,
                 "coded_value": None if n % 7 == 0 else n % 13,
                 "status": ("answered", "skipped")[n % 9 == 0], "parser_version": "1",
                 "language": ("en", "es", "ar")[n % 3], "channel": ("sms", "telegram")[n % 2],
                 # whole seconds and microseconds, across a day boundary
                 "answered_at": T0 + timedelta(hours=n % 30, microseconds=(n * 7919) % 3),
                 "superseded_at": T0 if n % 17 == 0 else None}
            )  # fmt: skip
        conn.execute(insert(ItemResponse), rows)
    return db


FILTERS = [
    ExportFilter(),
    ExportFilter(with_names=True),
    ExportFilter(with_free_text=False),
    ExportFilter(instruments=("promis29",), with_names=True),
    ExportFilter(since=T0 + timedelta(hours=3), until=T0 + timedelta(hours=20)),
]


@pytest.fixture
def hostile_db(db_url: str) -> Iterator[Engine]:
    db = seed(db_url, 2 * BATCH + 123)  # three batches, the last one short
    yield db
    db.dispose()


@pytest.mark.parametrize("flt", FILTERS, ids=["all", "names", "no-free-text", "promis29", "window"])
def test_the_column_wise_writer_writes_what_the_row_wise_one_did(
    hostile_db: Engine, flt: ExportFilter
) -> None:
    old, new = io.StringIO(newline=""), io.StringIO(newline="")
    old_count = old_export(hostile_db, old, flt)
    new_count = export_responses_csv(hostile_db, new, flt)
    assert new_count == old_count > 0
    assert new.getvalue() == old.getvalue()


def test_an_empty_export_is_the_header_alone(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    db = make_engine(sqlite_url)
    old, new = io.StringIO(newline=""), io.StringIO(newline="")
    assert old_export(db, old, ExportFilter()) == export_responses_csv(db, new) == 0
    assert new.getvalue() == old.getvalue() == ",".join(long_columns(ExportFilter())) + "\n"
    db.dispose()


def test_every_row_reads_back_whole(hostile_db: Engine) -> None:
    """Read back by a csv reader, as a spreadsheet would: as many rows as written, each with its
    columns, a patient's "\r" and "\n" inside their cell."""
    flt = ExportFilter(with_names=True)
    out = io.StringIO(newline="")
    count = export_responses_csv(hostile_db, out, flt)
    header, *rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert header == list(long_columns(flt)) and len(rows) == count
    assert {len(row) for row in rows} == {len(header)}
    texts = {row[header.index("raw_text")] for row in rows}
    for typed in ("pain\r5", "end\r", "line\nbreak", "back\\slash, \\n", "tab\tinside", "vt\x0b"):
        assert any(typed in cell for cell in texts), typed


def test_a_reader_that_stops_early_gives_its_connection_back(
    hostile_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_long_copy, "CHUNK_BYTES", 16 * 1024)  # PostgreSQL's chunks: several
    whole = io.StringIO()
    total = export_responses_csv(hostile_db, whole)
    chunks = long_csv_chunks(hostile_db)
    rows, lines = next(chunks)
    assert 0 < rows < total  # stopped part way
    chunks.close()  # on PostgreSQL, the COPY still running is cancelled
    assert hostile_db.pool.checkedout() == 0  # its connection went back
    # A cursor left open warns when it is collected, and pytest fails the test on it; collect
    # now, so this test fails on it every time, not by chance.
    gc.collect()
    # The connection it gave back is in a good state: the next export is whole, and the part
    # read was its beginning.
    again = io.StringIO()
    assert export_responses_csv(hostile_db, again) == total
    assert again.getvalue() == whole.getvalue()
    assert whole.getvalue().split("\n", 1)[1].startswith(lines)


def test_a_database_error_while_fetching_reaches_the_caller(sqlite_url: str) -> None:
    db = seed(sqlite_url, 10)
    with db.begin() as conn:
        conn.execute(text("DROP TABLE itemresponse"))
    with pytest.raises(OperationalError, match="itemresponse"):
        export_responses_csv(db, io.StringIO())
    db.dispose()
