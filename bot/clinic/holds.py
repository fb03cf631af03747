"""A crisis hold's way out: staff release it with a note, as a false alarm or as handled.

A hold starts when triage reads crisis language (tier 1-2): no survey questions or reminders go
to the patient until staff have spoken with them. Releasing it, in one transaction: the patient's
open crisis alerts are resolved with the note, the release is written to each alert's history
and to the audit log, the patient gets a short, kind message and the paused survey resumes where
it stopped (the engine's `clear_crisis_hold`). A patient who opted out meanwhile stays opted out
and gets nothing. The CLI (`pathbot alerts resolve ID --release`) and the staff console both use
`release_hold`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clinic import audit
from bot.clinic.alerts import manage
from bot.conversation.engine import ConversationEngine
from bot.db import store
from bot.db.models import Alert, Patient
from bot.db.staff_models import AlertNote

OUTCOMES = ("false_alarm", "handled")
OUTCOME_WORDS = {"false_alarm": "a false alarm", "handled": "handled"}


class HoldError(ValueError):
    """The hold cannot be released as asked (no hold, no note, unknown outcome)."""


@dataclass(frozen=True)
class Release:
    study_id: str
    outcome: str
    alerts_resolved: tuple[int, ...]
    messages_queued: int  # the kind word and the resumed question (0 when opted out)
    survey_resumed: bool


def release_hold(
    session: Session,
    engine: ConversationEngine,
    *,
    patient_id: int,
    outcome: str,
    note: str,
    actor: str,
    now: datetime,
) -> Release:
    """Release the patient's crisis hold; raises HoldError when there is none to release."""
    note = note.strip()
    if outcome not in OUTCOMES:
        raise HoldError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if not note:
        raise HoldError("a note is required: say what staff did or why it was a false alarm")
    patient = session.get(Patient, patient_id, with_for_update=True)
    if patient is None or patient.id is None:
        raise HoldError(f"no patient #{patient_id}")
    state = store.load_state(session, patient.id)
    if not state.crisis_hold:
        raise HoldError(f"{patient.study_id} is not on hold")
    step = engine.clear_crisis_hold(state)
    identity = store.reachable_identity(session, patient)
    store.apply_events(
        session,
        patient=patient,
        events=step.events,
        channel=identity.channel if identity else "none",
        now=now,
    )
    store.save_state(session, patient.id, step.state, now)
    queued = 0
    if identity is not None and step.outgoing:
        queued = len(
            store.enqueue(
                session,
                patient_id=patient.id,
                channel=identity.channel,
                address=identity.address,
                messages=step.outgoing,
                dedupe_prefix=f"release:{patient.id}:{now.isoformat()}",
                now=now,
            )
        )
    text = f"hold released ({OUTCOME_WORDS[outcome]}): {note}"
    resolved = []
    for alert in _open_crisis_alerts(session, patient.id):
        alert_id = alert.id or 0
        manage.resolve(session, alert_id, note=text, actor=actor, now=now)
        session.add(
            AlertNote(
                alert_id=alert_id,
                actor=actor[:64],
                action="released",
                text=text[: manage.NOTE_MAX],
                at=now,
            )
        )
        resolved.append(alert_id)
    audit.record(
        session,
        actor=actor,
        action="hold.release",
        object_type="patient",
        object_id=patient.id,
        detail={"outcome": outcome, "alerts": ",".join(map(str, resolved))},
        now=now,
    )
    return Release(
        study_id=patient.study_id,
        outcome=outcome,
        alerts_resolved=tuple(resolved),
        messages_queued=queued,
        survey_resumed=step.state.survey is not None and step.state.mode == "active",
    )


def _open_crisis_alerts(session: Session, patient_id: int) -> list[Alert]:
    return list(
        session.exec(
            select(Alert)
            .where(Alert.patient_id == patient_id)
            .where(Alert.kind == "crisis")
            .where(col(Alert.status).in_(manage.UNRESOLVED))
            .order_by(col(Alert.id))
        )
    )
