"""Excel export: a sheet per instrument, one row per completed assignment, dates as dates.

The workbook is written in openpyxl's write-only mode, which streams rows to temporary files
instead of holding every cell in memory. Excel has no time zones, so times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import Engine

from bot.clinic.exports.csv_wide import base_values, wide_columns
from bot.clinic.exports.records import (
    ExportFilter,
    instruments_present,
    iter_completed,
    score_value,
)

DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


def export_xlsx(db: Engine, out: IO[bytes], flt: ExportFilter) -> int:
    """Write the workbook to `out`; returns the number of assignments."""
    wb = Workbook(write_only=True)
    sheets: dict[str, Any] = {}
    layouts: dict[str, tuple[list[str], list[tuple[str, str, str]]]] = {}
    instruments = instruments_present(db, flt)
    for instrument in instruments:
        if instrument.id in sheets:
            continue
        same = [i for i in instruments if i.id == instrument.id]  # every version present
        base, items, scores = wide_columns(same, flt)
        sheet = wb.create_sheet(title=instrument.id[:31])
        sheet.append([*(_utc(c) for c in base), *items, *(f"{s}.{f}" for _, s, f in scores)])
        sheets[instrument.id] = sheet
        layouts[instrument.id] = (items, scores)
    if not sheets:
        wb.create_sheet(title="no data").append(["no completed assignments match the filters"])
    count = 0
    for record in iter_completed(db, flt):
        instrument_id = record.assignment.instrument_id
        items, scores = layouts[instrument_id]
        row: list[Any] = [_excel(v) for v in base_values(record, flt)]
        row += [record.answers.get(i) for i in items]
        row += [score_value(record, s, f) for _, s, f in scores]
        sheet = sheets[instrument_id]
        sheet.append([_dated(sheet, v) for v in row])
        count += 1
    wb.save(out)
    return count


def _utc(column: str) -> str:
    return f"{column} (UTC)" if column.endswith("_at") else column


def _excel(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _dated(sheet: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value
