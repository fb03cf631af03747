"""Exports staff read in their own tools. CSV long format: one row per current item response.

Rows are streamed from the database in batches, so memory stays flat however many there are.
Study ids, not names, identify patients.
"""

from __future__ import annotations

import csv
from typing import TextIO

from sqlalchemy import Engine
from sqlmodel import Session, col, select

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


def export_responses_csv(db: Engine, out: TextIO) -> int:
    """Write the long CSV to `out`; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    query = (
        select(ItemResponse, Patient.study_id, SurveyAssignment)
        .join(Patient, col(Patient.id) == ItemResponse.patient_id)
        .join(SurveyAssignment, col(SurveyAssignment.id) == ItemResponse.assignment_id)
        .where(col(ItemResponse.superseded_at).is_(None))
        .order_by(col(ItemResponse.id))
        .execution_options(yield_per=BATCH)
    )
    count = 0
    with Session(db) as session:
        for response, study_id, assignment in session.exec(query):
            writer.writerow(
                (
                    study_id,
                    response.instrument_id,
                    assignment.instrument_version,
                    response.assignment_id,
                    assignment.timepoint,
                    response.item_id,
                    "" if response.option_code is None else response.option_code,
                    "" if response.coded_value is None else response.coded_value,
                    _safe_cell(response.raw_text),
                    response.status,
                    response.language,
                    assignment.translation_status,
                    response.channel,
                    response.parser_version,
                    response.answered_at.isoformat(),
                )
            )
            count += 1
    return count


def _safe_cell(text: str) -> str:
    """Patient text could start with = + - @ and run as a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
