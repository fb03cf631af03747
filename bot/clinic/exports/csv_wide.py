"""CSV wide format: one row per completed assignment with every item and every score."""

from __future__ import annotations

from typing import Any, TextIO

from sqlalchemy import Engine

from bot.clinic.exports.cells import safe_value
from bot.clinic.exports.csv_text import CsvWriter
from bot.clinic.exports.records import (
    AssignmentRecord,
    ExportFilter,
    instruments_present,
    iter_completed,
    score_fields,
    score_value,
)
from surveys.model import Instrument

BASE_COLUMNS = (
    "patient",
    "cohort",
    "timepoint",
    "week",
    "session",
    "instrument",
    "instrument_version",
    "assignment_id",
    "language",
    "translation_status",
    "channel",
    "completed_at",
)


def wide_columns(
    instruments: list[Instrument], flt: ExportFilter
) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    """(base columns, item ids, (instrument, scale, field)) for the instruments exported."""
    base = list(BASE_COLUMNS)
    if flt.with_names:
        base.insert(1, "name")
    items: list[str] = []
    scores: list[tuple[str, str, str]] = []
    for instrument in instruments:
        items.extend(i for i in instrument.item_ids if i not in items)
        for scale, name in score_fields(instrument):
            if (instrument.id, scale, name) not in scores:
                scores.append((instrument.id, scale, name))
    return base, items, scores


def base_values(record: AssignmentRecord, flt: ExportFilter) -> list[Any]:
    a = record.assignment
    values: list[Any] = [
        record.study_id,
        record.cohort,
        a.timepoint,
        record.week,
        record.session_number,
        a.instrument_id,
        a.instrument_version,
        a.id,
        a.language,
        a.translation_status,
        record.channel,
        a.completed_at,
    ]
    if flt.with_names:
        values.insert(1, record.name or "")
    return values


def export_wide_csv(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    """Write the wide CSV; returns the number of assignments."""
    base, items, scores = wide_columns(instruments_present(db, flt), flt)
    writer = CsvWriter(out)
    writer.writerow([*base, *items, *(f"{i}.{s}.{f}" for i, s, f in scores)])
    count = 0
    for record in iter_completed(db, flt):
        row = [_cell(v) for v in base_values(record, flt)]
        row += [_cell(record.answers.get(item)) for item in items]
        row += [
            _cell(score_value(record, s, f) if i == record.assignment.instrument_id else None)
            for i, s, f in scores
        ]
        writer.writerow(row)
        count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_value(value)  # every text cell: a name or timepoint may start with "="
