"""What will be sent in the next hours, and when, once quiet hours and the daily cap have had
their say: the staff console's preview of the coming sends (read only; nothing is written).

The candidates are what the scheduler's pass and the dispatcher will act on: messages already
in the outbox, session and alumni-meeting reminders coming due (the configured offsets, in the
patient's wall time; not for someone who said they can't come), planned surveys opening, and
nudges for unfinished ones. Each patient's candidates are then walked in time order through the
dispatcher's own rules and thresholds (SendRules, the exempt and pausable kinds, the local-time
helpers): a stopped patient gets nothing unsolicited, a paused one no nudges; a message due in
quiet hours moves to the morning; once the day's cap of occasions is used up, the rest move to
the next morning. It is a forecast: a reply or a STOP between now and then changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.db.models import Enrolment, Event, OutboxMessage, Patient, Rsvp, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from bot.schedule.localtime import in_quiet_hours, local_day_bounds, next_local_hour, shift_wall
from bot.schedule.outbox import alumni, participants
from bot.schedule.plan import MAX_NUDGES
from bot.schedule.reminders import CHUNK, REMINDED_KINDS, reminder_key
from bot.service.dispatcher import ALWAYS_SENT_KINDS, PAUSABLE_KINDS, SendRules

WINDOW = timedelta(hours=24)
UNSOLICITED_STATUSES = ("active", "paused", "crisis_hold")


@dataclass(frozen=True)
class Forecast:
    study_id: str
    patient_timezone: str
    kind: str  # reminder | prompt (a survey opening) | nudge | notice | ... (outbox kinds)
    what: str  # "reminder 24 h before week 4", "dvprs visit opens", an outbox row's kind
    due_at: datetime  # when it comes due
    send_at: datetime | None  # when the rules let it go; None: not sent (the reason says why)
    reason: str  # "" or why it moves or does not go


@dataclass
class _Candidate:
    patient: Patient
    kind: str
    what: str
    due_at: datetime
    occasion: str  # messages of one occasion count once towards the cap
    exempt: bool  # a reply or a safety message: never held


def forecast(
    session: Session,
    now: datetime,
    rules: SendRules,
    *,
    reminder_offsets: Sequence[int],
    cohort_id: int | None = None,
    study_id: str | None = None,
    window: timedelta = WINDOW,
    limit: int = 500,
) -> list[Forecast]:
    """The next `window` of sends, in send order, for one cohort, one patient or everyone."""
    end = now + window
    scope = _scope(session, cohort_id, study_id)
    candidates = [
        *_outbox(session, now, end, scope),
        *_reminders(session, now, end, scope, cohort_id, reminder_offsets),
        *_openings(session, now, end, scope),
        *_nudges(session, now, end, scope),
    ]
    by_patient: dict[int, list[_Candidate]] = {}
    for c in candidates:
        by_patient.setdefault(c.patient.id or 0, []).append(c)
    sent = _sent_today(session, set(by_patient), now)
    out: list[Forecast] = []
    for pid, mine in by_patient.items():
        out.extend(_walk(sent.get(pid, []), sorted(mine, key=lambda c: c.due_at), now, end, rules))
    out.sort(key=lambda f: (f.send_at or f.due_at, f.study_id))
    return out[:limit]


def _walk(
    sent: list[tuple[str, datetime]], mine: list[_Candidate], now: datetime, end: datetime,
    rules: SendRules,
) -> list[Forecast]:  # fmt: skip
    patient = mine[0].patient
    zone = patient.timezone
    start, day_end = local_day_bounds(now, zone)
    used = {start: {k.rsplit(":", 1)[0] for k, at in sent if start <= at < day_end}}
    out: list[Forecast] = []
    for c in mine:
        reason = ""
        at = max(c.due_at, now)
        if patient.status == "stopped" and not c.exempt:
            out.append(_made(c, None, "the patient opted out (STOP)"))
            continue
        if patient.status in ("paused", "crisis_hold") and c.kind in PAUSABLE_KINDS:
            out.append(_made(c, None, f"no nudges while {patient.status.replace('_', ' ')}"))
            continue
        if not c.exempt:
            if in_quiet_hours(at, zone, rules.quiet_start, rules.quiet_end):
                at = next_local_hour(at, rules.quiet_end, zone)
                reason = "quiet hours: waits for the morning"
            while at < end:  # past the window it no longer matters which morning
                day, day_end = local_day_bounds(at, zone)
                day_used = used.setdefault(day, set())
                if c.occasion in day_used or len(day_used) < rules.max_unsolicited_per_day:
                    day_used.add(c.occasion)
                    break
                at = next_local_hour(day_end, rules.quiet_end, zone)
                reason = f"daily cap of {rules.max_unsolicited_per_day} reached: next morning"
        if at >= end:
            reason = (reason + "; " if reason else "") + "after the next 24 hours"
        out.append(_made(c, at, reason))
    return out


def _made(c: _Candidate, send_at: datetime | None, reason: str) -> Forecast:
    return Forecast(c.patient.study_id, c.patient.timezone, c.kind, c.what, c.due_at, send_at,
                    reason)  # fmt: skip


def _sent_today(
    session: Session, pids: set[int], now: datetime
) -> dict[int, list[tuple[str, datetime]]]:
    """Unsolicited messages sent in the last 26 hours (today, in any time zone), per patient:
    what the daily cap counts."""
    found: dict[int, list[tuple[str, datetime]]] = {}
    ids = sorted(pids)
    for first in range(0, len(ids), CHUNK):
        for pid, key, at in session.exec(
            select(OutboxMessage.patient_id, OutboxMessage.dedupe_key, OutboxMessage.sent_at).where(
                col(OutboxMessage.patient_id).in_(ids[first : first + CHUNK]),
                # An expression, not the bare column: nearly every row is sent or delivered, and
                # SQLite (no statistics) would walk the status index through all of them instead
                # of the patients' own rows.
                func.coalesce(OutboxMessage.status, "").in_(("sent", "delivered")),
                col(OutboxMessage.in_reply_to).is_(None),
                col(OutboxMessage.kind).not_in(ALWAYS_SENT_KINDS),
                col(OutboxMessage.sent_at) >= now - timedelta(hours=26),
            )
        ).all():
            if pid is not None and at is not None:
                found.setdefault(pid, []).append((key, at))
    return found


def _scope(session: Session, cohort_id: int | None, study_id: str | None) -> set[int] | None:
    """The patients concerned (None: everyone)."""
    if study_id:
        return set(
            pid for pid in session.exec(select(Patient.id).where(Patient.study_id == study_id))
            if pid is not None
        )  # fmt: skip
    if cohort_id is not None:
        return set(
            session.exec(select(Enrolment.patient_id).where(Enrolment.cohort_id == cohort_id))
        )
    return None


def _patients(session: Session, ids: set[int]) -> dict[int, Patient]:
    if not ids:
        return {}
    found = session.exec(select(Patient).where(col(Patient.id).in_(ids))).all()
    return {p.id or 0: p for p in found}


def _outbox(
    session: Session, now: datetime, end: datetime, scope: set[int] | None
) -> list[_Candidate]:
    query = select(OutboxMessage).where(
        col(OutboxMessage.status).in_(("pending", "sending")),
        col(OutboxMessage.not_before) < end,
        col(OutboxMessage.patient_id).is_not(None),
    )
    if scope is not None:
        query = query.where(col(OutboxMessage.patient_id).in_(scope))
    rows = [r for r in session.exec(query).all() if r.expires_at is None or r.expires_at > now]
    patients = _patients(session, {r.patient_id for r in rows if r.patient_id is not None})
    return [
        _Candidate(
            patients[r.patient_id],
            r.kind,
            f"{r.kind} (message {r.id}, queued)",
            r.not_before,
            r.dedupe_key.rsplit(":", 1)[0],
            r.in_reply_to is not None or r.kind in ALWAYS_SENT_KINDS,
        )  # fmt: skip
        for r in rows
        if r.patient_id in patients
    ]


def _reminders(
    session: Session, now: datetime, end: datetime, scope: set[int] | None,
    cohort_id: int | None, offsets: Sequence[int],
) -> list[_Candidate]:  # fmt: skip
    if not offsets:
        return []
    horizon = end + timedelta(minutes=max(offsets) + 24 * 60)
    query = select(Event).where(
        col(Event.kind).in_(REMINDED_KINDS),
        Event.status != "cancelled",
        Event.starts_at > now,
        Event.starts_at <= horizon,
    )
    if cohort_id is not None:
        query = query.where((Event.cohort_id == cohort_id) | (Event.kind == "alumni_meeting"))
    out: list[_Candidate] = []
    for event in session.exec(query).all():
        audience = (
            alumni(session) if event.kind == "alumni_meeting"
            else participants(session, event.cohort_id or 0)
        )  # fmt: skip
        not_coming = set(
            session.exec(
                select(Rsvp.patient_id).where(
                    Rsvp.event_id == event.id, Rsvp.response == "not_coming"
                )
            ).all()
        )
        for patient in audience:
            pid = patient.id or 0
            if (scope is not None and pid not in scope) or pid in not_coming:
                continue
            for offset in offsets:
                due = shift_wall(event.starts_at, -offset, patient.timezone)
                if not now < due < end:
                    continue
                key = reminder_key(event, pid, offset)
                what = f"reminder {_ahead(offset)} before the {event.kind.replace('_', ' ')}"
                out.append(_Candidate(patient, "reminder", what, due, key, False))
    used = _known_keys(session, [c.occasion for c in out])  # already in the outbox: counted there
    return [
        replace(c, occasion=c.occasion.rsplit(":", 1)[0]) for c in out if c.occasion not in used
    ]


def _known_keys(session: Session, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for first in range(0, len(keys), CHUNK):
        known.update(
            session.exec(
                select(OutboxMessage.dedupe_key).where(
                    col(OutboxMessage.dedupe_key).in_(keys[first : first + CHUNK])
                )
            ).all()
        )
    return known


def _openings(
    session: Session, now: datetime, end: datetime, scope: set[int] | None
) -> list[_Candidate]:
    query = (
        select(SurveyAssignment, Patient)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .where(
            col(PlannedSurvey.offered_at).is_(None),
            SurveyAssignment.state == "pending",
            SurveyAssignment.opens_at < end,
            SurveyAssignment.expires_at > now,
        )
    )
    if scope is not None:
        query = query.where(col(SurveyAssignment.patient_id).in_(scope))
    return [
        _Candidate(
            p,
            "prompt",
            f"{a.instrument_id} {a.timepoint} opens",
            max(a.opens_at, now),
            f"offer:{a.id}",
            False,
        )  # fmt: skip
        for a, p in session.exec(query).all()
    ]


def _nudges(
    session: Session, now: datetime, end: datetime, scope: set[int] | None
) -> list[_Candidate]:
    query = (
        select(SurveyAssignment, SurveyPlanEntry, Patient)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .where(
            col(SurveyAssignment.state).in_(("pending", "in_progress")),
            SurveyAssignment.expires_at > now,
            SurveyAssignment.nudges_sent < MAX_NUDGES,
            SurveyAssignment.opens_at < end,
        )
    )
    if scope is not None:
        query = query.where(col(SurveyAssignment.patient_id).in_(scope))
    out: list[_Candidate] = []
    for a, entry, p in session.exec(query).all():
        for n, minutes in enumerate(entry.nudge_minutes[:MAX_NUDGES], start=1):
            due = a.opens_at + timedelta(minutes=minutes)
            if n > a.nudges_sent and now < due < min(end, a.expires_at):
                out.append(_Candidate(p, "nudge", f"nudge {n} for {a.instrument_id} {a.timepoint}",
                                      due, f"nudge:{a.id}:{n}", False))  # fmt: skip
    return out


def _ahead(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"
