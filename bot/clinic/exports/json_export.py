"""JSON export: one document listing every completed assignment with its answers and scores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Engine

from bot.clinic.exports.records import SCORE_FIELDS, AssignmentRecord, ExportFilter, iter_completed

FORMAT = "pathbot.export"
FORMAT_VERSION = 1


def record_json(record: AssignmentRecord) -> dict[str, Any]:
    a = record.assignment
    out: dict[str, Any] = {"patient": record.study_id}
    if record.name is not None:
        out["name"] = record.name
    out.update(
        cohort=record.cohort,
        timepoint=a.timepoint,
        instrument=a.instrument_id,
        instrument_version=a.instrument_version,
        assignment_id=a.id,
        language=a.language,
        translation_status=a.translation_status,
        channel=record.channel,
        completed_at=a.completed_at.isoformat() if a.completed_at else None,
        answers=record.answers,
        scores={
            scale: {
                "scoring_revision": row.scoring_revision,
                "status": row.status,
                **{f: getattr(row, f) for f in SCORE_FIELDS if getattr(row, f) is not None},
            }
            for scale, row in record.scores.items()
        },
    )
    return out


def export_json(db: Engine, out: TextIO, flt: ExportFilter) -> int:
    """Stream the document: the envelope, then one assignment at a time."""
    envelope = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "filters": flt.describe(),
    }
    out.write(json.dumps(envelope, ensure_ascii=False)[:-1] + ', "assignments": [')
    count = 0
    for record in iter_completed(db, flt):
        out.write(
            ("\n" if count == 0 else ",\n") + json.dumps(record_json(record), ensure_ascii=False)
        )
        count += 1
    out.write("\n]}\n")
    return count
