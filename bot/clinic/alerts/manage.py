"""Staff handling of alerts: list them; acknowledge, assign, comment on and resolve one.

Each step is written to the alert's history (AlertNote) and to the audit log in the caller's
transaction. The console and `pathbot alerts` both use these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case
from sqlmodel import Session, col, func, select

from bot.clinic import audit
from bot.db.models import Alert, Patient
from bot.db.staff_models import AlertNote

NOTE_MAX = 2000


class AlertNotFound(LookupError):
    """No alert has that number."""


@dataclass(frozen=True)
class AlertView:
    id: int
    study_id: str
    kind: str
    tier: int | None
    rule_id: str | None
    status: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    assigned_to: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(frozen=True)
class AlertStep:
    actor: str
    action: str  # acknowledged | assigned | commented | resolved | (others' steps, e.g. released)
    text: str
    at: datetime


def list_alerts(
    session: Session,
    *,
    include_acknowledged: bool = False,
    study_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    assigned_to: str | None = None,
    limit: int | None = None,
) -> list[AlertView]:
    """Alerts oldest first: open ones only, unless `include_acknowledged` or a `status`."""
    query = (
        select(Alert, Patient.study_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .order_by(col(Alert.id))
    )
    if status is not None:
        query = query.where(Alert.status == status)
    elif not include_acknowledged:
        query = query.where(Alert.status == "open")
    if study_id is not None:
        query = query.where(Patient.study_id == study_id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if assigned_to is not None:
        query = query.where(Alert.assigned_to == assigned_to)
    if limit is not None:
        query = query.order_by(None).order_by(col(Alert.id).desc()).limit(limit)
    views = [_view(a, study_id) for a, study_id in session.exec(query)]
    return sorted(views, key=lambda v: v.id)


UNRESOLVED = ("open", "acknowledged")


def unresolved_alerts(
    session: Session,
    *,
    limit: int,
    offset: int = 0,
    kind: str | None = None,
    assigned_to: str | None = None,
) -> tuple[list[AlertView], int]:
    """Alerts still needing someone, crisis first then the oldest, and how many there are."""
    where: list[ColumnElement[bool]] = [col(Alert.status).in_(UNRESOLVED)]
    if kind is not None:
        where.append(col(Alert.kind) == kind)
    if assigned_to is not None:
        where.append(col(Alert.assigned_to) == assigned_to)
    total = session.exec(select(func.count()).select_from(Alert).where(*where)).one()
    query = (
        select(Alert, Patient.study_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .where(*where)
        .order_by(case((col(Alert.kind) == "crisis", 0), else_=1), col(Alert.created_at))
        .offset(offset)
        .limit(limit)
    )
    return [_view(a, study_id) for a, study_id in session.exec(query)], int(total)


def get_alert(session: Session, alert_id: int) -> AlertView:
    found = session.exec(
        select(Alert, Patient.study_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .where(Alert.id == alert_id)
    ).first()
    if found is None:
        raise AlertNotFound(f"no alert #{alert_id}")
    return _view(*found)


def history(session: Session, alert_id: int) -> list[AlertStep]:
    """Every staff step on the alert, oldest first."""
    return [
        AlertStep(n.actor, n.action, n.text, n.at)
        for n in session.exec(
            select(AlertNote)
            .where(AlertNote.alert_id == alert_id)
            .order_by(col(AlertNote.at), col(AlertNote.id))
        )
    ]


def _view(a: Alert, study_id: str) -> AlertView:
    return AlertView(
        id=a.id or 0,
        study_id=study_id,
        kind=a.kind,
        tier=a.tier,
        rule_id=a.rule_id,
        status=a.status,
        created_at=a.created_at,
        acknowledged_at=a.acknowledged_at,
        acknowledged_by=a.acknowledged_by,
        assigned_to=a.assigned_to,
        resolved_at=a.resolved_at,
        resolved_by=a.resolved_by,
    )


def acknowledge(session: Session, alert_id: int, *, actor: str, now: datetime) -> bool:
    """Mark an alert acknowledged; False when it already was (the first acknowledgement stands)."""
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise AlertNotFound(f"no alert #{alert_id}")
    if alert.status in ("acknowledged", "resolved"):
        return False
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by = actor[:64]
    session.add(alert)
    _note(session, alert_id, actor=actor, action="acknowledged", text="", now=now)
    audit.record(
        session,
        actor=actor,
        action="alert.ack",
        object_type="alert",
        object_id=alert_id,
        detail={"kind": alert.kind},
        now=now,
    )
    return True


def assign(session: Session, alert_id: int, *, to: str | None, actor: str, now: datetime) -> bool:
    """Give the alert to a staff member (None: to nobody); False when nothing changed."""
    alert = _locked(session, alert_id)
    if alert.assigned_to == to:
        return False
    alert.assigned_to = to
    session.add(alert)
    _note(session, alert_id, actor=actor, action="assigned", text=to or "(nobody)", now=now)
    _audit(session, alert, "alert.assign", actor, now, {"to": to or ""})
    return True


def comment(session: Session, alert_id: int, *, text: str, actor: str, now: datetime) -> None:
    text = text.strip()
    if not text:
        raise ValueError("write a comment first")
    alert = _locked(session, alert_id)
    _note(session, alert_id, actor=actor, action="commented", text=text[:NOTE_MAX], now=now)
    _audit(session, alert, "alert.comment", actor, now, {})


def resolve(session: Session, alert_id: int, *, note: str, actor: str, now: datetime) -> bool:
    """Close the alert with a note (required); acknowledges it too. False if already resolved.

    Resolving does not release a crisis hold: that is the patient's hold release, its own step.
    """
    note = note.strip()
    if not note:
        raise ValueError("say how it was resolved")
    alert = _locked(session, alert_id)
    if alert.status == "resolved":
        return False
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor[:64]
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by = actor[:64]
    session.add(alert)
    _note(session, alert_id, actor=actor, action="resolved", text=note[:NOTE_MAX], now=now)
    _audit(session, alert, "alert.resolve", actor, now, {})
    return True


def _locked(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise AlertNotFound(f"no alert #{alert_id}")
    return alert


def _note(
    session: Session, alert_id: int, *, actor: str, action: str, text: str, now: datetime
) -> None:
    session.add(AlertNote(alert_id=alert_id, actor=actor[:64], action=action, text=text, at=now))


def _audit(
    session: Session, alert: Alert, action: str, actor: str, now: datetime,
    detail: dict[str, str],
) -> None:  # fmt: skip
    audit.record(
        session, actor=actor, action=action, object_type="alert", object_id=alert.id,
        detail={"kind": alert.kind, **detail}, now=now,
    )  # fmt: skip
