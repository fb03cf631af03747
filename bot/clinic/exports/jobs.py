"""Exports asked for in the staff console, made in the background by the same writers as
`pathbot export` (csv_long.export_format), kept in the database until they expire.

Asking writes a queued row in the caller's transaction; `run_export` (in a worker thread, after
that transaction commits) makes the file and marks it ready or failed with the reason. A file
still being made when the service stopped is marked failed at the next start, never left
"running" for ever.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select, update

from bot.clinic.exports.csv_long import FORMAT_NAMES, export_format
from bot.clinic.exports.records import ExportFilter
from bot.db.database import session_scope
from bot.db.staff_export_models import StaffExport

log = logging.getLogger(__name__)
KEEP_FOR = timedelta(days=1)  # an export holds patient data: it does not linger
EXTENSIONS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "csv-wide": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": ("json", "application/json"),
    "fhir": ("json", "application/fhir+json"),
    "redcap": ("csv", "text/csv; charset=utf-8"),
    "redcap-dictionary": ("csv", "text/csv; charset=utf-8"),
}
assert set(EXTENSIONS) == set(FORMAT_NAMES), "every export format needs a file type"


@dataclass(frozen=True)
class ExportView:
    """An export as the console lists it (no content)."""

    id: int
    actor: str
    format: str
    filters: dict[str, Any]
    deidentified: bool
    state: str
    file_name: str
    rows: int | None
    size: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime


def request_export(
    session: Session, *, actor: str, fmt: str, flt: ExportFilter, now: datetime
) -> StaffExport:
    if fmt not in EXTENSIONS:
        raise ValueError(f"no export format {fmt!r}")
    job = StaffExport(
        actor=actor, format=fmt, filters=flt.describe(),
        deidentified=not (flt.with_names or flt.with_free_text), created_at=now,
        expires_at=now + KEEP_FOR,
    )  # fmt: skip
    session.add(job)
    session.flush()
    return job


def run_export(db: Engine, export_id: int, flt: ExportFilter, now: Callable[[], datetime]) -> None:
    """Make the file of a queued export; every failure ends with the row marked failed."""
    with session_scope(db) as session:
        job = session.get(StaffExport, export_id)
        if job is None or job.state != "queued":
            return
        job.state = "running"
        session.add(job)
        fmt_name = job.format
    try:
        fmt = export_format(fmt_name)
        if fmt.binary:
            buffer = io.BytesIO()
            rows = fmt.write(db, buffer, flt)
            content = buffer.getvalue()
        else:
            text = io.StringIO(newline="")
            rows = fmt.write(db, text, flt)
            content = text.getvalue().encode("utf-8")
    except Exception as exc:  # noqa: BLE001 - the staff member must see why, not a stuck "running"
        log.warning("export %s (%s) failed: %s", export_id, fmt_name, type(exc).__name__)
        _finish(db, export_id, now(), error=f"{type(exc).__name__}: {exc}"[:500])
        return
    extension, media_type = EXTENSIONS[fmt_name]
    _finish(
        db, export_id, now(), rows=rows, content=content, media_type=media_type,
        file_name=f"pathbot-{fmt_name}-{export_id}.{extension}",
    )  # fmt: skip


def _finish(db: Engine, export_id: int, at: datetime, *, error: str | None = None,
            rows: int | None = None, content: bytes | None = None, media_type: str = "",
            file_name: str = "") -> None:  # fmt: skip
    with session_scope(db) as session:
        job = session.get(StaffExport, export_id)
        if job is None:
            return
        job.state = "failed" if error else "ready"
        job.error, job.rows, job.content = error, rows, content
        job.size = len(content) if content is not None else None
        job.media_type, job.file_name, job.finished_at = media_type, file_name, at
        session.add(job)


def exports_of(
    session: Session, actor: str | None, now: datetime, limit: int = 20
) -> list[ExportView]:
    """The newest exports not yet expired (one person's, or everyone's for None)."""
    query = (
        select(StaffExport)
        .options(defer(StaffExport.content))  # type: ignore[arg-type]  # the files stay in the database
        .where(StaffExport.expires_at > now)
    )
    if actor is not None:
        query = query.where(StaffExport.actor == actor)
    rows = session.exec(query.order_by(col(StaffExport.id).desc()).limit(limit)).all()
    return [
        ExportView(
            e.id or 0,
            e.actor,
            e.format,
            e.filters,
            e.deidentified,
            e.state,
            e.file_name,
            e.rows,
            e.size,
            e.error,
            e.created_at,
            e.finished_at,
            e.expires_at,
        )  # fmt: skip
        for e in rows
    ]


def download(
    session: Session, export_id: int, actor: str | None, now: datetime
) -> StaffExport | None:
    """A ready, unexpired export of `actor` (None: anyone's), with its content."""
    job = session.get(StaffExport, export_id)
    if job is None or job.state != "ready" or job.expires_at <= now:
        return None
    if actor is not None and job.actor != actor:
        return None
    return job


def fail_interrupted(session: Session, now: datetime) -> int:
    """At start-up: exports left queued or running by a stopped service are failed, and said so."""
    result = session.exec(
        update(StaffExport)
        .where(col(StaffExport.state).in_(("queued", "running")))
        .values(state="failed", error="the service stopped before the file was made; ask again",
                finished_at=now)
    )  # fmt: skip
    return int(result.rowcount or 0)


def purge_expired(session: Session, now: datetime) -> int:
    """Drop the content of expired exports (the row stays, for the record)."""
    result = session.exec(
        update(StaffExport)
        .where(col(StaffExport.expires_at) <= now, col(StaffExport.content).is_not(None))
        .values(content=None)
    )
    return int(result.rowcount or 0)
