"""`pathbot import template INSTRUMENT`: a ready CSV for entering one paper form.

One row per item with the item id filled in, and two columns the importer ignores: the item's
English text and its allowed values as "scored value=label". Staff fill in patient, timepoint,
value and answered_at.
"""

from __future__ import annotations

import io

from bot.clinic.exports.csv_text import CsvWriter
from surveys.loader import load_instrument

COLUMNS = (
    "patient",
    "instrument",
    "instrument_version",
    "timepoint",
    "cohort",
    "item_id",
    "value",
    "status",
    "answered_at",
    "item_text",  # ignored on import
    "allowed_values",  # ignored on import
)


def template_csv(instrument_id: str, version: str | None = None) -> str:
    instrument = load_instrument(instrument_id, version)
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(COLUMNS)
    for item in instrument.items:
        allowed = " | ".join(
            f"{o.value}={o.label.get('en', str(o.value))}"
            for o in sorted(item.options, key=lambda o: o.value)
        )
        writer.writerow(
            [
                "",
                instrument.id,
                instrument.version,
                "baseline",
                "",
                item.id,
                "",
                "",
                "",
                item.text.get("en", item.id),
                allowed,
            ]
        )
    return out.getvalue()
