"""REDCap-style export: one row per patient x timepoint, and its data dictionary.

The data file has `record_id` (the study id) and `redcap_event_name` (one event per timepoint:
`baseline_arm_1`, `post_arm_1`, `visit_week_3_arm_1`, ...), then for every instrument present its
completion time, language, items and scores, so a longitudinal REDCap project can import it.
The dictionary is REDCap's data-dictionary CSV (the 18 standard columns) describing every column:
items as radio fields with their scored values and English labels, scores as numbers.
Variable names are lower case letters, digits and underscores, as REDCap requires.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Engine

from bot.clinic.exports.cells import safe_cell, safe_value
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

DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
NAME_RX = re.compile(r"^[a-z][a-z0-9_]*$")
DATETIME = "%Y-%m-%d %H:%M:%S"  # REDCap's datetime_seconds_ymd


def variable(name: str) -> str:
    """A REDCap variable name: lower case, [a-z0-9_], starting with a letter."""
    out = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not out or not out[0].isalpha():
        out = f"v_{out}"
    return out


def event_name(record: AssignmentRecord) -> str:
    a = record.assignment
    if a.timepoint == "visit" and record.week is not None:
        return f"visit_week_{record.week}_arm_1"
    if a.timepoint in ("visit", "adhoc"):
        return variable(f"{a.timepoint}_{a.id}_arm_1")
    return variable(f"{a.timepoint}_arm_1")


class _Layout:
    """The columns of the export, in dictionary order, one block per instrument."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self.instruments: dict[str, Instrument] = {}
        for instrument in instruments:  # newest version of each id describes the columns
            self.instruments[instrument.id] = instrument
        self.items: dict[str, list[tuple[str, str]]] = {}  # instrument -> [(item id, column)]
        self.scores: dict[str, list[tuple[str, str, str]]] = {}  # -> [(scale, field, column)]
        used = {"record_id", "redcap_event_name"}
        for iid, instrument in self.instruments.items():
            cols = [
                (item.id, self._unique(variable(item.id), iid, used)) for item in instrument.items
            ]
            self.items[iid] = cols
            self.scores[iid] = [
                (scale, f, self._unique(variable(f"{iid}_{scale}_{f}"), iid, used))
                for scale, f in score_fields(instrument)
            ]

    @staticmethod
    def _unique(name: str, instrument: str, used: set[str]) -> str:
        if name in used:
            name = variable(f"{instrument}_{name}")
        used.add(name)
        return name

    def header(self) -> list[str]:
        out = ["record_id", "redcap_event_name"]
        for iid in self.instruments:
            out += [f"{iid}_completed_at", f"{iid}_language", f"{iid}_assignment_id"]
            out += [c for _, c in self.items[iid]]
            out += [c for _, _, c in self.scores[iid]]
        return out


def export_redcap(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    """Write the data file; returns the number of rows (patient x timepoint)."""
    layout = _Layout(instruments_present(db, flt))
    header = layout.header()
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for record in iter_completed(db, flt):
        a = record.assignment
        iid = a.instrument_id
        row = rows[(record.study_id, event_name(record))]
        row[f"{iid}_completed_at"] = _when(a.completed_at)
        row[f"{iid}_language"] = a.language
        row[f"{iid}_assignment_id"] = a.id
        for item_id, column in layout.items.get(iid, []):
            row[column] = record.answers.get(item_id)
        for scale, f, column in layout.scores.get(iid, []):
            row[column] = score_value(record, scale, f)
    writer = CsvWriter(out)
    writer.writerow(header)
    for (study_id, event), values in sorted(rows.items()):
        cells = [safe_cell(study_id), event]
        cells += ["" if values.get(c) is None else safe_value(values[c]) for c in header[2:]]
        writer.writerow(cells)
    return len(rows)


def write_dictionary(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    """Write REDCap's data dictionary for the export; returns the number of fields."""
    layout = _Layout(instruments_present(db, flt))
    writer = CsvWriter(out)
    writer.writerow(DICTIONARY_COLUMNS)
    fields = [_field("record_id", "patient", "text", "Study id", identifier=False)]
    for iid, instrument in layout.instruments.items():
        title = instrument.title.get("en", iid)
        fields.append(
            _field(
                f"{iid}_completed_at",
                iid,
                "text",
                f"{title}: completed at (UTC)",
                validation="datetime_seconds_ymd",
                header=title,
            )  # fmt: skip
        )
        fields.append(_field(f"{iid}_language", iid, "text", f"{title}: language"))
        fields.append(
            _field(
                f"{iid}_assignment_id",
                iid,
                "text",
                f"{title}: pathbot assignment id",
                validation="integer",
            )  # fmt: skip
        )
        for item_id, column in layout.items[iid]:
            item = instrument.item(item_id)
            choices = " | ".join(
                f"{o.value}, {_label(o.label.get('en', str(o.value)))}"
                for o in sorted(item.options, key=lambda o: o.value)
            )
            fields.append(
                _field(
                    column,
                    iid,
                    "radio",
                    item.text.get("en", item_id),
                    choices=choices,
                    note=f"item {item_id}; stored value = scored value",
                )  # fmt: skip
            )
        for scale, f, column in layout.scores[iid]:
            numeric = f in ("raw", "t", "se", "mean")
            fields.append(
                _field(
                    column,
                    iid,
                    "text",
                    f"{title}: {scale} {f}",
                    validation="number" if numeric else "",
                )  # fmt: skip
            )
    for row in fields:
        writer.writerow(row)
    return len(fields)


def _field(
    name: str,
    form: str,
    kind: str,
    label: str,
    *,
    choices: str = "",
    note: str = "",
    validation: str = "",
    header: str = "",
    identifier: bool = False,
) -> list[str]:
    if not NAME_RX.match(name):
        raise ValueError(f"{name!r} is not a REDCap variable name")
    row = [""] * len(DICTIONARY_COLUMNS)
    row[0], row[1], row[2], row[3], row[4] = name, form, header, kind, safe_cell(label)
    row[5], row[6], row[7] = choices, note, validation
    row[10] = "y" if identifier else ""
    return row


def _label(text: str) -> str:
    # "|" separates choices and ", " separates a choice's value from its label
    return safe_cell(text.replace("|", "/"))


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime(DATETIME)
