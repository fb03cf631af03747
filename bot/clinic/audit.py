"""The audit trail: who exported, imported, acknowledged or changed what, and when.

Every staff action that reads out or changes patient data calls `record` inside the same
transaction as the change, so the trail and the data cannot disagree.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Text, and_, cast, or_
from sqlmodel import Session, col, func, select

from bot.db.database import session_scope
from bot.db.models import AuditLog

ACTOR_MAX = 64


def current_actor(explicit: str | None = None) -> str:
    """`--actor` when given, else the operating-system user running the command."""
    if explicit:
        return explicit[:ACTOR_MAX]
    try:
        return getpass.getuser()[:ACTOR_MAX]
    except (OSError, KeyError):  # no user name in a bare container
        return "unknown"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> AuditLog:
    """Add one audit row to the session's transaction."""
    row = AuditLog(
        actor=actor[:ACTOR_MAX],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail or {},
        at=now,
    )
    session.add(row)
    return row


def record_now(db: Engine, **kwargs: Any) -> None:
    """Record one action in its own transaction (for actions that wrote nothing else)."""
    with session_scope(db) as session:
        record(session, **kwargs)


def entries(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> Iterator[AuditLog]:
    """Audit rows, oldest first."""
    query = select(AuditLog).order_by(col(AuditLog.at), col(AuditLog.id))
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    if action is not None:
        query = query.where(col(AuditLog.action).startswith(action))
    if limit is not None:  # the newest `limit` rows, still shown oldest first
        newest = (
            query.with_only_columns(col(AuditLog.id))
            .order_by(None)
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(limit)
        )
        query = (
            select(AuditLog)
            .where(col(AuditLog.id).in_(newest))
            .order_by(col(AuditLog.at), col(AuditLog.id))
        )
    yield from session.exec(query)


@dataclass(frozen=True)
class AuditFilter:
    """The staff console's audit search; empty fields match everything."""

    actor: str = ""
    action: str = ""  # a prefix: "export" finds export.request and export.download
    patient: str = ""  # a study id: actions on the patient, or naming them in their detail
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def search(
    session: Session, flt: AuditFilter, *, offset: int = 0, limit: int = 100
) -> tuple[list[AuditLog], int]:
    """One page of matching rows, newest first, and how many match in all."""
    query = select(AuditLog)
    if flt.actor:
        query = query.where(AuditLog.actor == flt.actor)
    if flt.action:
        query = query.where(col(AuditLog.action).startswith(flt.action))
    if flt.patient:
        named = cast(col(AuditLog.detail), Text).contains(json.dumps(flt.patient))
        on_them = and_(
            col(AuditLog.object_type) == "patient", col(AuditLog.object_id) == flt.patient
        )
        query = query.where(or_(on_them, named))
    if flt.since is not None:
        query = query.where(col(AuditLog.at) >= flt.since)
    if flt.until is not None:
        query = query.where(col(AuditLog.at) < flt.until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total
