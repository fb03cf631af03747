"""Excel export: a sheet per instrument, one row per completed assignment, dates as dates, and a
codebook sheet (item text, options, scored values, reversals).

Each data sheet has its header row frozen, filters on every column and column widths that fit
the header. The workbook is written in openpyxl's write-only mode, which streams rows to
temporary files instead of holding every cell in memory. Excel has no time zones, so times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from bot.clinic.exports.cells import safe_row, safe_value
from bot.clinic.exports.csv_wide import base_values, wide_columns
from bot.clinic.exports.records import (
    ExportFilter,
    instruments_present,
    iter_completed,
    score_value,
)
from surveys.model import Instrument, Item

DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
CODEBOOK_COLUMNS = (
    "instrument",
    "item_id",
    "version",
    "item text",
    "options",
    "scored values",
    "reversed",
    "scales",
)
MIN_WIDTH, MAX_WIDTH = 9, 40


def export_xlsx(db: Engine, out: IO[bytes], flt: ExportFilter) -> int:
    """Write the workbook to `out`; returns the number of assignments."""
    wb = Workbook(write_only=True)
    sheets: dict[str, Any] = {}
    layouts: dict[str, tuple[list[str], list[tuple[str, str, str]]]] = {}
    rows_in: dict[str, int] = {}
    instruments = instruments_present(db, flt)
    for instrument in instruments:
        if instrument.id in sheets:
            continue
        same = [i for i in instruments if i.id == instrument.id]  # every version present
        base, items, scores = wide_columns(same, flt)
        header = [*(_utc(c) for c in base), *items, *(f"{s}.{f}" for _, s, f in scores)]
        sheet = wb.create_sheet(title=instrument.id[:31])
        sheet.freeze_panes = "A2"  # the header stays in view
        for n, name in enumerate(header, start=1):
            width = min(MAX_WIDTH, max(MIN_WIDTH, len(name) + 2))
            sheet.column_dimensions[get_column_letter(n)].width = width
        sheet.append(safe_row(header))
        sheets[instrument.id] = sheet
        layouts[instrument.id] = (items, scores)
        rows_in[instrument.id] = 1
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
        # openpyxl stores any text starting with "=" as a formula: every text cell is made safe.
        sheet.append([_dated(sheet, safe_value(v)) for v in row])
        rows_in[instrument_id] += 1
        count += 1
    for instrument_id, sheet in sheets.items():
        items, scores = layouts[instrument_id]
        columns = len(base_values_header(flt)) + len(items) + len(scores)
        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows_in[instrument_id]}"
    _codebook(wb, instruments)
    wb.save(out)
    return count


def base_values_header(flt: ExportFilter) -> list[str]:
    base, _, _ = wide_columns([], flt)
    return base


def _codebook(wb: Workbook, instruments: list[Instrument]) -> None:
    sheet = wb.create_sheet(title="codebook")
    sheet.freeze_panes = "A2"
    for n, width in enumerate((12, 16, 9, 60, 60, 16, 30, 30), start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.append(list(CODEBOOK_COLUMNS))
    rows = 1
    for instrument in instruments:
        for item in instrument.items:
            options = sorted(item.options, key=lambda o: o.code)
            sheet.append(
                safe_row(
                    [
                        instrument.id,
                        item.id,
                        instrument.version,
                        item.text.get("en", item.id),
                        "; ".join(f"{o.code} = {o.label.get('en', o.code)}" for o in options),
                        ", ".join(str(o.value) for o in options),
                        _reversal(instrument, item),
                        ", ".join(s.id for s in instrument.scales if item.id in s.items),
                    ]
                )
            )
            rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(CODEBOOK_COLUMNS))}{rows}"


def _reversal(instrument: Instrument, item: Item) -> str:
    """How the item is reverse-scored, if it is: by a scale rule, or on the form itself."""
    rules = [s for s in instrument.scales if item.id in s.reverse and s.reverse_from is not None]
    if rules:
        rule = rules[0]
        return f"yes: scored {rule.reverse_from} - value ({', '.join(s.id for s in rules)})"
    codes = sorted(item.options, key=lambda o: o.code)
    values = [o.value for o in codes]
    if len(values) > 1 and values == sorted(values, reverse=True) and values != sorted(values):
        return "yes: on the form (option codes run opposite to the scored values)"
    return "no"


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
