"""Staff handling of alerts: list them, acknowledge one (recorded in the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clinic import audit
from bot.db.models import Alert, Patient


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


def list_alerts(session: Session, *, include_acknowledged: bool = False) -> list[AlertView]:
    query = (
        select(Alert, Patient.study_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .order_by(col(Alert.id))
    )
    if not include_acknowledged:
        query = query.where(Alert.status == "open")
    return [
        AlertView(
            id=a.id or 0,
            study_id=study_id,
            kind=a.kind,
            tier=a.tier,
            rule_id=a.rule_id,
            status=a.status,
            created_at=a.created_at,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=a.acknowledged_by,
        )
        for a, study_id in session.exec(query)
    ]


def acknowledge(session: Session, alert_id: int, *, actor: str, now: datetime) -> bool:
    """Mark an alert acknowledged; False when it already was (the first acknowledgement stands)."""
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise AlertNotFound(f"no alert #{alert_id}")
    if alert.status == "acknowledged":
        return False
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by = actor[:64]
    session.add(alert)
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
