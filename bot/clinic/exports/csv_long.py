"""Exports staff read in their own tools; this module holds the long CSV and the format registry.

CSV long format: one row per current item response. Rows are streamed from the database in
batches (`yield_per`), so memory stays flat however many there are. Study ids, not names,
identify patients unless the export asks for names. The other formats live in `bot/clinic/exports/`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clinic.exports.cells import safe_cell
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
    """The streamed query behind the long CSV (exposed so a test can see it streams)."""
    # Plain columns, not ORM entities: building an ItemResponse and a SurveyAssignment object
    # per row made a 1,000,000-row export take ~43 s; tuples take a fraction of that.
    query: Any = (
        select(  # type: ignore[call-overload]
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
            ItemResponse.answered_at,
        )
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
    return query.order_by(col(ItemResponse.id)).execution_options(yield_per=BATCH)


def long_columns(flt: ExportFilter) -> tuple[str, ...]:
    columns = (
        LONG_COLUMNS if flt.with_free_text else tuple(c for c in LONG_COLUMNS if c != "raw_text")
    )
    if flt.with_names:
        return ("patient", "name", *columns[1:])
    return columns


def iter_long_rows(db: Engine, flt: ExportFilter = NO_FILTER) -> Iterator[tuple[Any, ...]]:
    """One tuple per current item response, in answer order, fetched `BATCH` rows at a time."""
    with Session(db) as session:
        for (
            study_id,
            name,
            instrument_id,
            instrument_version,
            assignment_id,
            timepoint,
            item_id,
            option_code,
            coded_value,
            raw_text,
            status,
            language,
            translation_status,
            channel,
            parser_version,
            answered_at,
        ) in session.exec(long_query(flt)):
            # Every text cell, not only raw_text: study ids, names and timepoints are typed by
            # people too.
            head = (
                (safe_cell(study_id), safe_cell(name)) if flt.with_names else (safe_cell(study_id),)
            )
            typed = (safe_cell(raw_text),) if flt.with_free_text else ()
            yield (
                *head,
                instrument_id,
                safe_cell(instrument_version),
                assignment_id,
                safe_cell(timepoint),
                safe_cell(item_id),
                "" if option_code is None else option_code,
                "" if coded_value is None else coded_value,
                *typed,
                status,
                language,
                translation_status,
                channel,
                parser_version,
                answered_at.isoformat(),
            )


def export_responses_csv(db: Engine, out: TextIO, flt: ExportFilter = NO_FILTER) -> int:
    """Write the long CSV to `out`; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(long_columns(flt))
    count = 0
    for row in iter_long_rows(db, flt):
        writer.writerow(row)
        count += 1
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
