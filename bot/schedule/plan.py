"""The survey plan: which instruments each cohort's patients answer, when, and what follows.

Default plan (DESIGN.md §2, safety-ux UX-08/UX-09): the baseline battery opens a week before the
first session, split into sittings of at most about 15 items (bot/schedule/battery.py: PROMIS-29
in two parts cut between domains, CPAQ-8 + BRS, SCS-SF) that follow each other a couple of
hours apart or when the patient replies NEXT (bot/schedule/sittings.py); the same battery before
the last session; the DVPRS at every session (at a configurable offset from its start); optional
alumni follow-ups months after graduation, split the same way. Every assignment has an opening, a
due time and an expiry; an unfinished one gets at most two nudges; an expired one is recorded as
missed with an alert for staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.conversation.clinic_texts import ProgramInfo
from bot.conversation.engine import ConversationEngine, Step
from bot.conversation.i18n import translator
from bot.conversation.state import ConversationState, PendingSurvey
from bot.db import store
from bot.db.models import Alert, Cohort, Event, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from bot.schedule.battery import DEFAULT_BATTERY, MAX_SITTING_ITEMS, split_battery
from bot.schedule.calendar import cohort_sessions
from bot.schedule.localtime import shift_wall
from bot.schedule.outbox import enqueue_scheduled, reachable_identity
from surveys.loader import load_instrument

DAY = 24 * 60
MAX_NUDGES = 2  # UX-09: a third reminder adds little and raises opt-outs
OPEN_STATES = ("pending", "in_progress", "paused")


@dataclass(frozen=True)
class PlanOptions:
    """What staff may change per cohort when creating it."""

    dvprs_offset_minutes: int = 0  # from each session's start; negative = before it
    alumni_followup_months: tuple[int, ...] = ()  # e.g. (3, 6)
    alumni_followup_instruments: tuple[str, ...] = ("promis29",)
    battery: tuple[str, ...] = field(default=DEFAULT_BATTERY)  # pre and post, in asking order
    max_sitting_items: int = MAX_SITTING_ITEMS


def create_plan(session: Session, cohort: Cohort, options: PlanOptions) -> list[SurveyPlanEntry]:
    cohort_id = cohort.id
    assert cohort_id is not None
    entries: list[SurveyPlanEntry] = []
    # Every sitting of a battery shares its window: the host offers the next sitting when the
    # last one is done (a break, or NEXT), not on a calendar day of its own.
    for timepoint, anchor, opens, due, expires in (
        # the battery is the "before" picture: it expires when the first session starts
        ("baseline", "first_session", -7 * DAY, -1 * DAY, 0),
        ("post", "last_session", -3 * DAY, 3 * DAY, 7 * DAY),
    ):
        entries.extend(
            _battery_entries(
                cohort_id,
                options.battery,
                options.max_sitting_items,
                timepoint=timepoint,
                anchor=anchor,
                open_offset_minutes=opens,
                due_offset_minutes=due,
                expire_offset_minutes=expires,
                nudge_minutes=[1 * DAY, 3 * DAY],
            )
        )
    entries.append(
        SurveyPlanEntry(
            cohort_id=cohort_id,
            instrument_id="dvprs",
            timepoint="visit",
            anchor="each_session",
            open_offset_minutes=options.dvprs_offset_minutes,
            due_offset_minutes=options.dvprs_offset_minutes + 3 * 60,
            expire_offset_minutes=max(options.dvprs_offset_minutes, 0) + DAY,
            nudge_minutes=[2 * 60],
        )
    )
    for months in options.alumni_followup_months:
        entries.extend(
            _battery_entries(
                cohort_id,
                options.alumni_followup_instruments,
                options.max_sitting_items,
                timepoint=f"alumni_{months}m",
                anchor="graduation",
                open_offset_minutes=round(months * 30.4) * DAY,
                due_offset_minutes=round(months * 30.4) * DAY + 7 * DAY,
                expire_offset_minutes=round(months * 30.4) * DAY + 14 * DAY,
                nudge_minutes=[2 * DAY, 5 * DAY],
            )
        )
    for entry in entries:
        session.add(entry)
    session.flush()
    return entries


def _battery_entries(
    cohort_id: int,
    instruments: tuple[str, ...],
    limit: int,
    **window: Any,
) -> list[SurveyPlanEntry]:
    """One entry per instrument part per sitting; an instrument's first part carries its
    assignment (first_parts), the later parts only say what the later sittings ask."""
    entries: list[SurveyPlanEntry] = []
    sittings = split_battery(instruments, lambda i: load_instrument(i, None), limit)
    for sitting, parts in enumerate(sittings, start=1):
        for part in parts:
            entries.append(
                SurveyPlanEntry(
                    cohort_id=cohort_id,
                    instrument_id=part.instrument_id,
                    sitting=sitting,
                    item_ids=list(part.item_ids) if part.item_ids is not None else None,
                    **window,
                )
            )
    return entries


def first_parts(entries: list[SurveyPlanEntry]) -> list[SurveyPlanEntry]:
    """The entries that make assignments: an instrument's first part at each timepoint."""
    seen: set[tuple[str, str]] = set()
    firsts: list[SurveyPlanEntry] = []
    for entry in sorted(entries, key=lambda e: (e.sitting, e.id or 0)):
        key = (entry.timepoint, entry.instrument_id)
        if key not in seen:
            seen.add(key)
            firsts.append(entry)
    return sorted(firsts, key=lambda e: e.id or 0)


def plan_entries(session: Session, cohort_id: int) -> list[SurveyPlanEntry]:
    return list(
        session.exec(
            select(SurveyPlanEntry)
            .where(SurveyPlanEntry.cohort_id == cohort_id)
            .order_by(col(SurveyPlanEntry.id))
        ).all()
    )


def assign_for_participant(
    session: Session,
    cohort: Cohort,
    patient: Patient,
    now: datetime,
    *,
    retrospective: bool = False,
) -> int:
    """Create every session-anchored assignment of this participant's enrolment.

    Surveys whose window is still ahead are planned as usual. A baseline whose window has
    closed (the patient enrolled after the first session) becomes a late baseline, due before
    the next session, and staff are alerted. A retrospective enrolment (the cohort is over)
    plans every survey with its historical window, recorded as missed, so paper forms can
    fulfil them later.
    """
    sessions = cohort_sessions(session, _id(cohort.id), include_cancelled=False)
    if not sessions:
        return 0
    upcoming = [s for s in sessions if s.starts_at > now]
    made = 0
    late = 0
    for entry in first_parts(plan_entries(session, _id(cohort.id))):
        anchors: list[tuple[datetime, Event | None]]
        if entry.anchor == "first_session":
            anchors = [(sessions[0].starts_at, None)]
        elif entry.anchor == "last_session":
            anchors = [(sessions[-1].starts_at, None)]
        elif entry.anchor == "each_session":
            anchors = [(s.starts_at, s) for s in sessions]
        else:
            continue  # graduation-anchored entries are assigned at graduation
        for anchor, event in anchors:
            if _assign(session, cohort, patient, entry, anchor, event, now, past=retrospective):
                made += 1
            elif entry.anchor == "first_session" and upcoming and not retrospective:
                _assign_late(session, cohort, patient, entry, upcoming[0], now)
                made += 1
                late += 1
    if late:
        session.add(
            Alert(
                patient_id=_id(patient.id),
                kind="late_baseline",
                rule_id=f"cohort:{cohort.id}",
                created_at=now,
            )
        )
    return made


def _assign_late(
    session: Session,
    cohort: Cohort,
    patient: Patient,
    entry: SurveyPlanEntry,
    next_session: Event,
    now: datetime,
) -> SurveyAssignment:
    """A baseline for a patient who joined after the first session: due before the next one."""
    due = next_session.starts_at
    opens = min(now, due - timedelta(hours=1))
    assignment = _create(
        session, patient, entry, max(opens, now), due, due + timedelta(minutes=DAY), now
    )
    session.add(
        PlannedSurvey(assignment_id=_id(assignment.id), plan_entry_id=_id(entry.id), late=True)
    )
    session.flush()
    return assignment


def assign_for_graduate(session: Session, cohort: Cohort, patient: Patient, now: datetime) -> int:
    made = 0
    for entry in first_parts(plan_entries(session, _id(cohort.id))):
        if entry.anchor == "graduation" and _assign(
            session, cohort, patient, entry, now, None, now
        ):
            made += 1
    return made


def _assign(
    session: Session,
    cohort: Cohort,
    patient: Patient,
    entry: SurveyPlanEntry,
    anchor: datetime,
    event: Event | None,
    now: datetime,
    *,
    past: bool = False,
) -> SurveyAssignment | None:
    opens, due, expires = _window(entry, anchor, cohort.timezone)
    if expires <= now and not past:
        return None  # enrolled too late for this one: nothing to miss
    assignment = _create(session, patient, entry, opens, due, expires, now)
    if expires <= now:
        assignment.state = "missed"  # retrospective: on record, for a paper form to fulfil
    if event is not None:
        assignment.event_id = event.id
    session.add(assignment)
    session.add(PlannedSurvey(assignment_id=_id(assignment.id), plan_entry_id=_id(entry.id)))
    session.flush()
    return assignment


def _create(
    session: Session,
    patient: Patient,
    entry: SurveyPlanEntry,
    opens: datetime,
    due: datetime,
    expires: datetime,
    now: datetime,
) -> SurveyAssignment:
    instrument = load_instrument(entry.instrument_id, None)
    return store.create_assignment(
        session,
        patient=patient,
        instrument_id=instrument.id,
        version=instrument.version,
        now=now,
        timepoint=entry.timepoint,
        opens_at=opens,
        due_at=due,
        expires_at=expires,
    )


def _window(
    entry: SurveyPlanEntry, anchor: datetime, timezone: str
) -> tuple[datetime, datetime, datetime]:
    return (
        shift_wall(anchor, entry.open_offset_minutes, timezone),
        shift_wall(anchor, entry.due_offset_minutes, timezone),
        shift_wall(anchor, entry.expire_offset_minutes, timezone),
    )


def reschedule_event_surveys(session: Session, event: Event, timezone: str) -> None:
    """A moved session moves its per-visit surveys that have not been offered yet."""
    for assignment, planned, entry in _event_assignments(session, _id(event.id)):
        if planned.offered_at is None and assignment.state == "pending":
            opens, due, expires = _window(entry, event.starts_at, timezone)
            assignment.opens_at, assignment.due_at, assignment.expires_at = opens, due, expires
            session.add(assignment)


def retime_for_calendar(session: Session, cohort: Cohort, now: datetime) -> int:
    """Re-time the battery windows tied to the first and last session after the calendar changed.

    A moved or cancelled first/last session moves every unanswered baseline and post window with
    it. A survey already offered keeps its opening (the patient has it) but gets the new due
    time and expiry. Late baselines stay tied to the session that followed enrolment.
    """
    sessions = cohort_sessions(session, _id(cohort.id), include_cancelled=False)
    if not sessions:
        return 0
    anchors = {"first_session": sessions[0].starts_at, "last_session": sessions[-1].starts_at}
    rows = session.exec(
        select(SurveyAssignment, PlannedSurvey, SurveyPlanEntry)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(
            SurveyPlanEntry.cohort_id == cohort.id,
            col(SurveyPlanEntry.anchor).in_(tuple(anchors)),
            col(SurveyAssignment.state).in_(OPEN_STATES),
            col(PlannedSurvey.late).is_(False),
        )
    ).all()
    moved = 0
    for assignment, planned, entry in rows:
        opens, due, expires = _window(entry, anchors[entry.anchor], cohort.timezone)
        if (assignment.due_at, assignment.expires_at) == (due, expires):
            continue
        if planned.offered_at is None:
            assignment.opens_at = opens
        assignment.due_at, assignment.expires_at = due, max(expires, now)
        session.add(assignment)
        moved += 1
    return moved


def cancel_event_surveys(session: Session, event: Event) -> None:
    """A cancelled session cancels its per-visit surveys that have not been started."""
    for assignment, _planned, _entry in _event_assignments(session, _id(event.id)):
        if assignment.state == "pending":
            assignment.state = "cancelled"
            session.add(assignment)


def _event_assignments(
    session: Session, event_id: int
) -> list[tuple[SurveyAssignment, PlannedSurvey, SurveyPlanEntry]]:
    rows = session.exec(
        select(SurveyAssignment, PlannedSurvey, SurveyPlanEntry)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(SurveyAssignment.event_id == event_id)
    ).all()
    return [(a, p, e) for a, p, e in rows]


# ---- what the scheduler's tick does ---------------------------------------------------------


def offer_open_surveys(session: Session, conversation: ConversationEngine, now: datetime) -> int:
    """Put every planned survey whose window has opened in front of its patient.

    A battery answered in sittings is offered by bot/schedule/sittings.py instead.
    """
    rows = session.exec(
        select(SurveyAssignment, PlannedSurvey, SurveyPlanEntry)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(
            col(PlannedSurvey.offered_at).is_(None),
            SurveyAssignment.state == "pending",
            SurveyAssignment.opens_at <= now,
            SurveyAssignment.expires_at > now,
        )
        .order_by(col(SurveyAssignment.opens_at), col(SurveyAssignment.id))
    ).all()
    split = in_sittings(session, {e.cohort_id for _a, _p, e in rows})
    rows = [(a, p, e) for a, p, e in rows if (e.cohort_id, e.timepoint) not in split]
    for assignment, planned, _entry in rows:
        offer(session, conversation, assignment, now)
        planned.offered_at = now
        session.add(planned)
    return len(rows)


def in_sittings(session: Session, cohort_ids: set[int]) -> set[tuple[int, str]]:
    """The (cohort, timepoint) batteries of these cohorts that are answered in sittings."""
    if not cohort_ids:
        return set()
    rows = session.exec(
        select(SurveyPlanEntry.cohort_id, SurveyPlanEntry.timepoint)
        .where(col(SurveyPlanEntry.cohort_id).in_(cohort_ids), SurveyPlanEntry.sitting > 1)
        .distinct()
    ).all()
    return {(cohort_id, timepoint) for cohort_id, timepoint in rows}


def offer(
    session: Session, conversation: ConversationEngine, assignment: SurveyAssignment, now: datetime
) -> None:
    """Queue the survey in the patient's conversation; ask its first question if they are free."""
    state = store.load_state(session, assignment.patient_id)
    pending = PendingSurvey(
        _id(assignment.id), assignment.instrument_id, assignment.instrument_version
    )
    _start(session, conversation, assignment.patient_id, state, pending, now)


def _start(
    session: Session,
    conversation: ConversationEngine,
    patient_id: int,
    state: ConversationState,
    pending: PendingSurvey,
    now: datetime,
) -> None:
    step = conversation.start_survey(state, pending)
    persist_step(session, patient_id, step, f"offer:{pending.assignment_id}", now)


def persist_step(session: Session, patient_id: int, step: Step, key: str, now: datetime) -> None:
    """A scheduler-made step's events, state and messages, in the caller's transaction (messages
    only to a reachable patient who has not stopped; `key` dedupes them in the outbox)."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    identity = reachable_identity(session, patient)
    store.apply_events(
        session,
        patient=patient,
        events=step.events,
        channel=identity.channel if identity else "none",
        now=now,
    )
    store.save_state(session, patient_id, step.state, now)
    if identity is not None and patient.status != "stopped":
        store.enqueue(
            session,
            patient_id=patient_id,
            channel=identity.channel,
            address=identity.address,
            messages=step.outgoing,
            dedupe_prefix=key,
            now=now,
        )


def send_nudges(session: Session, now: datetime, program: ProgramInfo) -> int:
    """One nudge per patient for their unfinished surveys whose next nudge time has come."""
    rows = session.exec(
        select(SurveyAssignment, SurveyPlanEntry)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(
            col(PlannedSurvey.offered_at).is_not(None),
            col(SurveyAssignment.state).in_(("pending", "in_progress")),
            SurveyAssignment.expires_at > now,
            SurveyAssignment.nudges_sent < MAX_NUDGES,
        )
        .order_by(col(SurveyAssignment.id))
    ).all()
    due: dict[int, list[tuple[SurveyAssignment, int]]] = {}
    for assignment, entry in rows:
        schedule = entry.nudge_minutes[:MAX_NUDGES]
        # Every nudge time that has passed is answered by this one nudge: after a downtime,
        # or an offer made late, the overdue ones must not follow one per tick, a minute apart.
        passed = sum(
            1
            for minutes in schedule[assignment.nudges_sent :]
            if assignment.opens_at + timedelta(minutes=minutes) <= now
        )
        if passed:
            due.setdefault(assignment.patient_id, []).append((assignment, passed))
    sent = 0
    for patient_id, assignments in due.items():
        patient = session.get(Patient, patient_id)
        if patient is None or patient.status != "active":
            continue  # paused, crisis hold or stopped: no nudges (UX-09)
        tr = translator(patient.locale)
        first = assignments[0][0]
        text = tr.gettext(
            "{program}: you have questions waiting for you. Reply {resume} to answer them."
        ).format(program=program.name_in(tr.code), resume=tr.gettext("RESUME"))
        row = enqueue_scheduled(
            session,
            patient=patient,
            kind="nudge",
            text=text,
            key=f"nudge:{first.id}:{first.nudges_sent + 1}:0",
            now=now,
            expires_at=min(a.expires_at for a, _ in assignments),
        )
        for assignment, passed in assignments:
            assignment.nudges_sent += passed
            session.add(assignment)
        if row is not None:
            sent += 1
    return sent


def expire_overdue(session: Session, conversation: ConversationEngine, now: datetime) -> int:
    """Record every unfinished survey past its expiry as missed, with an alert for staff."""
    overdue = session.exec(
        select(SurveyAssignment).where(
            col(SurveyAssignment.state).in_(OPEN_STATES), SurveyAssignment.expires_at <= now
        )
    ).all()
    for assignment in overdue:
        assignment.state = "missed"
        session.add(assignment)
        session.add(
            Alert(
                patient_id=assignment.patient_id,
                kind="missed_survey",
                rule_id=f"assignment:{assignment.id}",
                created_at=now,
            )
        )
        _drop_from_conversation(session, conversation, assignment, now)
    return len(overdue)


def _drop_from_conversation(
    session: Session, conversation: ConversationEngine, assignment: SurveyAssignment, now: datetime
) -> None:
    """Late answers must not land on an expired survey: take it out of the conversation."""
    state = store.load_state(session, assignment.patient_id)
    was_current = state.survey is not None and state.survey.assignment_id == assignment.id
    queue = [p for p in state.queue if p.assignment_id != assignment.id]
    if not was_current and len(queue) == len(state.queue):
        return
    live = {
        a.id
        for a in session.exec(
            select(SurveyAssignment).where(
                col(SurveyAssignment.id).in_([p.assignment_id for p in queue]),
                col(SurveyAssignment.state).in_(OPEN_STATES),
                SurveyAssignment.expires_at > now,
            )
        ).all()
    }
    queue = [p for p in queue if p.assignment_id in live]  # never ask an expired survey
    state.queue = queue
    if was_current:
        state.survey = None
    if was_current and state.queue and state.mode == "active":
        _start(session, conversation, assignment.patient_id, state, state.queue.pop(0), now)
    else:
        store.save_state(session, assignment.patient_id, state, now)


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id yet; flush the session first")
    return value
