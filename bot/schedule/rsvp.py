"""RSVPs and attendance: "I can't come" replies, staff attendance, missed sessions counted.

A reply like "C" (or a reviewed localised phrase in `bot/schedule/rsvp.yaml`) after a session
reminder records the patient as not coming, cancels that session's remaining reminders, and is
answered once. It runs inside the inbound pipeline, after crisis triage and carrier keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Protocol

import yaml
from sqlmodel import Session, col, select

from bot.conversation.engine import Step
from bot.conversation.i18n import translator
from bot.conversation.messages import Inbound, Outgoing
from bot.conversation.state import ConversationState
from bot.conversation.text_normalize import match_key
from bot.db.models import Alert, Event, OutboxMessage, Patient, Rsvp
from bot.schedule.calendar import cohort_sessions, week_of
from bot.schedule.outbox import participants
from bot.schedule.reminders import cancel_pending_reminders, when_text

MISSED_IN_A_ROW_ALERT = 2


@cache
def not_coming_words() -> frozenset[str]:
    text = resources.files("bot.schedule").joinpath("rsvp.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return frozenset(match_key(str(w)) for w in data["not_coming"])


def is_not_coming(text: str) -> bool:
    return match_key(text) in not_coming_words()


class MessageRows(Protocol):
    """The ORM side of the message being handled, made on first use (the pipeline's rows)."""

    @property
    def session(self) -> Session: ...

    @property
    def patient(self) -> Patient: ...


def handle_rsvp_reply(
    rows: MessageRows, state: ConversationState, inbound: Inbound, now: datetime
) -> Step | None:
    """A pipeline reply hook: the Step answering an "I can't come", or None for other text.
    The ORM session and patient are asked for only once the text is an "I can't come"."""
    if not is_not_coming(inbound.text):
        return None
    session, patient = rows.session, rows.patient
    if patient.id is None:
        return None
    event = _reminded_upcoming_event(session, patient.id, now)
    if event is None:
        return None  # no reminder to answer: let the conversation engine handle the text
    assert event.id is not None
    rsvp = session.exec(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.patient_id == patient.id)
    ).first() or Rsvp(event_id=event.id, patient_id=patient.id)
    rsvp.response = "not_coming"
    rsvp.responded_at = now
    session.add(rsvp)
    cancel_pending_reminders(session, event.id, patient.id)
    tr = translator(state.locale)
    text = tr.gettext("Thank you for letting us know. We will miss you on {when}.").format(
        when=when_text(event.starts_at, patient, tr)
    )
    return Step(state, (), (Outgoing("reply", text),))


def _reminded_upcoming_event(session: Session, patient_id: int, now: datetime) -> Event | None:
    """The soonest event not yet begun that this patient was sent a reminder for."""
    keys = session.exec(
        select(OutboxMessage.dedupe_key)
        .where(
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.kind == "reminder",
            col(OutboxMessage.status).in_(("sent", "delivered")),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(20)
    ).all()
    event_ids = {int(key.split(":")[1]) for key in keys}
    if not event_ids:
        return None
    return session.exec(
        select(Event)
        .where(col(Event.id).in_(event_ids), Event.status != "cancelled", Event.starts_at > now)
        .order_by(col(Event.starts_at))
    ).first()


# ---- attendance -------------------------------------------------------------------------------


def record_attendance(
    session: Session, event: Event, absent_patient_ids: set[int], now: datetime
) -> list[int]:
    """Mark every participant present or absent; returns patients now missing two in a row."""
    assert event.id is not None and event.cohort_id is not None
    flagged: list[int] = []
    for patient in participants(session, event.cohort_id):
        assert patient.id is not None
        rsvp = session.exec(
            select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.patient_id == patient.id)
        ).first() or Rsvp(event_id=event.id, patient_id=patient.id)
        rsvp.attended = patient.id not in absent_patient_ids
        session.add(rsvp)
        session.flush()
        if rsvp.attended:
            _resolve_corrected(session, event.cohort_id, patient.id, now)
        if not rsvp.attended and _missed_in_a_row(session, event, patient.id):
            rule = f"event:{event.id}"
            exists = session.exec(
                select(Alert.id).where(
                    Alert.patient_id == patient.id,
                    Alert.kind == "missed_sessions",
                    Alert.rule_id == rule,
                )
            ).first()
            if exists is None:
                session.add(
                    Alert(
                        patient_id=patient.id, kind="missed_sessions", rule_id=rule, created_at=now
                    )
                )
                flagged.append(patient.id)
    return flagged


def _resolve_corrected(session: Session, cohort_id: int, patient_id: int, now: datetime) -> None:
    """A missed-sessions alert whose misses were corrected (they attended) closes itself."""
    for alert in session.exec(
        select(Alert).where(
            Alert.patient_id == patient_id,
            Alert.kind == "missed_sessions",
            Alert.status == "open",
        )
    ).all():
        event_id = int((alert.rule_id or "event:0").split(":")[1])
        event = session.get(Event, event_id)
        if event is None or event.cohort_id != cohort_id:
            continue
        if not _missed_in_a_row(session, event, patient_id):
            alert.status = "resolved"
            alert.acknowledged_at = now
            alert.acknowledged_by = "attendance corrected"
            alert.resolved_at = now
            alert.resolved_by = "attendance corrected"
            session.add(alert)


def _missed_in_a_row(session: Session, event: Event, patient_id: int) -> bool:
    assert event.cohort_id is not None
    held = [
        s
        for s in cohort_sessions(session, event.cohort_id, include_cancelled=False)
        if s.starts_at <= event.starts_at
    ]
    recent = held[-MISSED_IN_A_ROW_ALERT:]
    if len(recent) < MISSED_IN_A_ROW_ALERT:
        return False
    for s in recent:
        rsvp = session.exec(
            select(Rsvp).where(Rsvp.event_id == s.id, Rsvp.patient_id == patient_id)
        ).first()
        if rsvp is None or rsvp.attended is not False:
            return False
    return True


@dataclass(frozen=True)
class SessionAttendance:
    week: int
    event: Event
    expected: int  # participants minus those who said they can't come
    attended: int | None  # None until staff record it


@dataclass(frozen=True)
class AttendanceReport:
    sessions: list[SessionAttendance]
    missed_by_patient: dict[str, int]  # study id -> sessions missed


def attendance_report(session: Session, cohort_id: int) -> AttendanceReport:
    from bot.db.models import Enrolment

    members = session.exec(
        select(Patient)
        .join(Enrolment, col(Enrolment.patient_id) == col(Patient.id))
        .where(Enrolment.cohort_id == cohort_id)
        .order_by(col(Patient.study_id))
    ).all()
    member_ids = {p.id for p in members}
    missed = {p.study_id: 0 for p in members}
    by_id = {p.id: p.study_id for p in members}
    rows: list[SessionAttendance] = []
    sessions = cohort_sessions(session, cohort_id, include_cancelled=False)
    for index, event in enumerate(sessions, start=1):
        week = week_of(session, event.id or 0) or index
        rsvps = [
            r
            for r in session.exec(select(Rsvp).where(Rsvp.event_id == event.id)).all()
            if r.patient_id in member_ids
        ]
        not_coming = sum(1 for r in rsvps if r.response == "not_coming")
        recorded = [r for r in rsvps if r.attended is not None]
        for r in recorded:
            if r.attended is False:
                missed[by_id[r.patient_id]] += 1
        rows.append(
            SessionAttendance(
                week=week,
                event=event,
                expected=len(members) - not_coming,
                attended=sum(1 for r in recorded if r.attended) if recorded else None,
            )
        )
    return AttendanceReport(sessions=rows, missed_by_patient=missed)
