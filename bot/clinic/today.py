"""What needs staff attention today: unresolved alerts (crisis first), surveys due and overdue,
sends that failed, patients on hold. Read by the console's Today page.

Names are read only when the caller may see them (`with_names`): a researcher's page is built
from rows that never held a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import null
from sqlmodel import Session, col, func, select

from bot.clinic.alerts.manage import AlertView, unresolved_alerts
from bot.db.models import Alert, OutboxMessage, Patient, SurveyAssignment

OPEN_STATES = ("pending", "in_progress", "paused")
FAILED_SENDS_SINCE = timedelta(days=7)


@dataclass(frozen=True)
class SurveyDue:
    assignment_id: int
    study_id: str
    name: str | None
    patient_timezone: str
    instrument_id: str
    timepoint: str
    state: str
    due_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class FailedSend:
    outbox_id: int
    study_id: str | None
    name: str | None
    channel: str
    kind: str
    error_code: str | None
    at: datetime


@dataclass(frozen=True)
class HeldPatient:
    study_id: str
    name: str | None
    since: datetime | None  # the newest crisis alert, when there is one


@dataclass(frozen=True)
class Today:
    alerts: list[AlertView]  # the first `limit`: crisis first, then the oldest
    alert_count: int
    due: list[SurveyDue]
    due_count: int
    overdue: list[SurveyDue]
    overdue_count: int
    failed: list[FailedSend]
    failed_count: int
    on_hold: list[HeldPatient]


def today(
    session: Session, *, now: datetime, timezone: str, with_names: bool, limit: int = 25
) -> Today:
    end_of_day = _end_of_local_day(now, timezone)
    alerts, alert_count = unresolved_alerts(session, limit=limit)
    due = [col(SurveyAssignment.due_at) >= now, col(SurveyAssignment.due_at) < end_of_day]
    overdue = [col(SurveyAssignment.due_at) < now, col(SurveyAssignment.expires_at) > now]
    failed_q = (
        select(OutboxMessage, Patient.study_id, _name(with_names))
        .outerjoin(Patient, col(Patient.id) == col(OutboxMessage.patient_id))
        .where(
            OutboxMessage.status == "failed",
            col(OutboxMessage.created_at) >= now - FAILED_SENDS_SINCE,
        )
    )
    held = session.exec(
        select(Patient.id, Patient.study_id, _name(with_names))
        .where(Patient.status == "crisis_hold")
        .order_by(col(Patient.study_id))
    ).all()
    crisis_since = _crisis_since(session, [pid for pid, _, _ in held if pid is not None])
    return Today(
        alerts=alerts,
        alert_count=alert_count,
        due=_first_surveys(session, with_names, due, limit),
        due_count=_survey_count(session, due),
        overdue=_first_surveys(session, with_names, overdue, limit),
        overdue_count=_survey_count(session, overdue),
        failed=[
            FailedSend(
                outbox_id=row.id or 0,
                study_id=study_id,
                name=name,
                channel=row.channel,
                kind=row.kind,
                error_code=row.error_code,
                at=row.sent_at or row.created_at,
            )
            for row, study_id, name in session.exec(
                failed_q.order_by(col(OutboxMessage.created_at).desc()).limit(limit)
            )
        ],
        failed_count=_count(session, failed_q),
        on_hold=[
            HeldPatient(study_id, name, crisis_since.get(pid or 0)) for pid, study_id, name in held
        ],
    )


def _crisis_since(session: Session, patient_ids: list[int]) -> dict[int, datetime]:
    """The newest crisis alert of each held patient."""
    if not patient_ids:
        return {}
    rows = session.exec(
        select(Alert.patient_id, func.max(Alert.created_at))
        .where(col(Alert.patient_id).in_(patient_ids), Alert.kind == "crisis")
        .group_by(col(Alert.patient_id))
    ).all()
    return {pid: at for pid, at in rows if at is not None}


def _name(with_names: bool) -> Any:
    """The patient's name column, or a NULL in its place: a name never leaves the database."""
    return Patient.display_name if with_names else null().label("display_name")


def _first_surveys(
    session: Session, with_names: bool, where: list[Any], limit: int
) -> list[SurveyDue]:
    """The `limit` earliest-due open surveys. One query per open state, each walking the
    (state, due_at) index in order, then merged: a single IN over the states would sort them all.
    """
    rows: list[SurveyDue] = []
    for state in OPEN_STATES:
        query = (
            select(SurveyAssignment, Patient.study_id, _name(with_names), Patient.timezone)
            .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
            .where(SurveyAssignment.state == state, *where)
            .order_by(col(SurveyAssignment.due_at))
            .limit(limit)
        )
        rows.extend(_survey_rows(session, query))
    return sorted(rows, key=lambda r: r.due_at)[:limit]


def _survey_count(session: Session, where: list[Any]) -> int:
    """Counted on the assignments alone (index on state, due_at): no join needed."""
    return int(
        session.exec(
            select(func.count(col(SurveyAssignment.id))).where(
                col(SurveyAssignment.state).in_(OPEN_STATES), *where
            )
        ).one()
    )


def _survey_rows(session: Session, query: Any) -> list[SurveyDue]:
    return [
        SurveyDue(
            assignment_id=a.id or 0,
            study_id=study_id,
            name=name,
            patient_timezone=tz,
            instrument_id=a.instrument_id,
            timepoint=a.timepoint,
            state=a.state,
            due_at=a.due_at,
            expires_at=a.expires_at,
        )
        for a, study_id, name, tz in session.exec(query)
    ]


def _count(session: Session, query: Any) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def _end_of_local_day(instant: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    day = instant.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
