"""Scheduled (unsolicited) messages into the outbox, and who a calendar message reaches."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.db.models import Enrolment, Event, OutboxMessage, Patient
from bot.db.store import reachable_among as reachable_among  # re-exported: bot.schedule.reminders
from bot.db.store import reachable_identity as reachable_identity  # and bot.schedule.plan

# Patients in these states get no scheduled messages at all (the dispatcher checks again).
UNREACHABLE_STATUSES = ("stopped",)


def key_exists(session: Session, key: str) -> bool:
    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first()
        is not None
    )


def enqueue_scheduled(
    session: Session,
    *,
    patient: Patient,
    kind: str,
    text: str,
    key: str,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    status: str = "pending",
    error_code: str | None = None,
) -> OutboxMessage | None:
    """One unsolicited message; None when `key` was already used or the patient is unreachable.

    A row with status "dropped" records a message that was due but is not sent (its session had
    already begun), so staff can see it and the key is never materialised again.
    """
    if key_exists(session, key):
        return None
    identity = reachable_identity(session, patient)
    if identity is None and status == "pending":
        return None
    row = OutboxMessage(
        dedupe_key=key,
        patient_id=patient.id,
        channel=identity.channel if identity else "none",
        address=identity.address if identity else "",
        kind=kind,
        body=text,
        status=status,
        error_code=error_code,
        not_before=not_before or now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def participants(session: Session, cohort_id: int) -> list[Patient]:
    """The cohort's current participants (not yet graduated), in enrolment order."""
    return list(
        session.exec(
            select(Patient)
            .join(Enrolment, col(Enrolment.patient_id) == col(Patient.id))
            .where(
                Enrolment.cohort_id == cohort_id,
                Enrolment.role == "participant",
                col(Enrolment.ended_at).is_(None),
            )
            .order_by(col(Enrolment.id))
        ).all()
    )


def alumni(session: Session) -> list[Patient]:
    """Every graduate who has not opted out of alumni messages."""
    return list(
        session.exec(
            select(Patient)
            .where(
                col(Patient.id).in_(
                    select(Enrolment.patient_id).where(Enrolment.role == "alumnus")
                ),
                Patient.alumni_opt_out == False,  # noqa: E712 - SQL comparison
            )
            .order_by(col(Patient.id))
        ).all()
    )


def audience(session: Session, event: Event) -> list[Patient]:
    """Who an event concerns: its cohort's participants, all alumni, or the one patient."""
    if event.kind == "alumni_meeting":
        found = alumni(session)
    elif event.cohort_id is not None:
        found = participants(session, event.cohort_id)
    elif event.patient_id is not None:
        patient = session.get(Patient, event.patient_id)
        found = [patient] if patient else []
    else:
        found = []
    return [p for p in found if p.status not in UNREACHABLE_STATUSES]
