"""A battery answered in sittings, and the 72-hour window its answers must fall in (issue 14).

The plan cuts a long battery into sittings (bot/schedule/battery.py). When the battery's window
opens, every part of it is queued in the patient's conversation at once, each sitting's last part
marked; the engine holds the battery after a sitting (SittingEnded) and here we say when the next
one comes: after SITTING_BREAK, moved out of the night, or at once when the patient replies NEXT
(or RESUME, which the nudges ask for).

The window (safety-ux UX-08, "[clinical]": keep a battery within a window consistent with recall
periods, e.g. 72 h; PROMIS items ask about "the past 7 days"). Every score must come from answers
of one window, never combined across windows silently. Scores are per instrument, and every
instrument of the battery has a score over all its items (PROMIS-29's summary scores use all seven
domains; CPAQ-8, SCS-SF and BRS have totals), so the instrument is the unit that is kept or asked
again: when WINDOW has passed since the first answer of the current window and instruments are
still unfinished, their answers are superseded (kept as history, not used: exports and the
report read current answers only) and they are asked again from their first item, in a new
window; instruments finished inside the window keep their answers and scores. Staff get an alert
(battery_reoffered) and the patient is told why. Nothing is guessed or carried over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_time
from sqlmodel import Session, col, func, select, update

from bot.conversation.engine import ConversationEngine, Step
from bot.conversation.events import Event, SittingEnded
from bot.conversation.i18n import Translator, translator
from bot.conversation.messages import Outgoing
from bot.conversation.state import Answer, ConversationState, PendingSurvey
from bot.db import store
from bot.db.models import Alert, ItemResponse, Patient, SurveyAssignment
from bot.db.schedule_models import BatteryProgress, PlannedSurvey, SurveyPlanEntry
from bot.schedule.localtime import in_quiet_hours, next_local_hour
from bot.schedule.plan import OPEN_STATES, in_sittings, persist_step

# A rest between two sittings; short, so four sittings fit well inside the window.
SITTING_BREAK = timedelta(hours=2)
WINDOW = timedelta(hours=72)
# The dispatcher's default quiet hours (bot/service/settings.py): a sitting that would fall in the
# night is set for the morning, so the time we tell the patient is the time it comes.
NIGHT_STARTS, NIGHT_ENDS = 20, 9


def offer_open_batteries(session: Session, conversation: ConversationEngine, now: datetime) -> int:
    """Queue every battery whose window has opened, all its sittings, the first one asked."""
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
    batteries: dict[tuple[int, int, str], list[tuple[SurveyAssignment, PlannedSurvey]]] = (
        defaultdict(list)
    )
    for assignment, planned, entry in rows:
        if (entry.cohort_id, entry.timepoint) in split:
            key = (assignment.patient_id, entry.cohort_id, entry.timepoint)
            batteries[key].append((assignment, planned))
    for (patient_id, cohort_id, timepoint), members in batteries.items():
        progress = _progress(session, patient_id, cohort_id, timepoint, now)
        pending = _parts(session, progress, [a for a, _ in members])
        state = store.load_state(session, patient_id)
        step = conversation.start_surveys(state, pending)
        first = min(_id(a.id) for a, _ in members)
        # "offer:" as for a single survey: a paper form that answers it cancels the queued offer
        persist_step(session, patient_id, step, f"offer:{first}", now)
        for _assignment, planned in members:
            planned.offered_at = now
            session.add(planned)
    return len(batteries)


def messages_after(
    session: Session, *, patient: Patient, events: Sequence[Event], tr: Translator, now: datetime
) -> list[Outgoing]:
    """After a sitting: when the next one comes, and that NEXT brings it now."""
    out: list[Outgoing] = []
    for event in events:
        if not isinstance(event, SittingEnded):
            continue
        progress = session.get(BatteryProgress, event.battery)
        if progress is None:
            continue
        progress.sitting = event.sitting
        progress.next_at = next_sitting_at(now, patient.timezone)
        session.add(progress)
        out.append(
            Outgoing(
                "reply",
                tr.gettext(
                    "That was part {part} of {parts}. Part {next_part} comes {when}. "
                    "Reply {next} to start it now."
                ).format(
                    part=event.sitting,
                    parts=event.sittings,
                    next_part=event.sitting + 1,
                    when=when_text(progress.next_at, patient.timezone, now, tr),
                    next=tr.gettext("NEXT"),
                ),
            )
        )
    return out


def next_sitting_at(now: datetime, timezone: str) -> datetime:
    at = now + SITTING_BREAK
    if in_quiet_hours(at, timezone, NIGHT_STARTS, NIGHT_ENDS):
        return next_local_hour(at, NIGHT_ENDS, timezone)
    return at


def when_text(at: datetime, timezone: str, now: datetime, tr: Translator) -> str:
    """ "today at 4:30 PM" / "tomorrow at 9:00 AM" in the patient's language and time zone."""
    zone = ZoneInfo(timezone)
    clock = format_time(at, format="short", tzinfo=zone, locale=tr.locale)
    if at.astimezone(zone).date() == now.astimezone(zone).date():
        return tr.gettext("today at {time}").format(time=clock)
    return tr.gettext("tomorrow at {time}").format(time=clock)


def continue_due_sittings(session: Session, conversation: ConversationEngine, now: datetime) -> int:
    """The next sitting of every battery whose break is over (unless NEXT brought it already)."""
    due = session.exec(
        select(BatteryProgress).where(
            col(BatteryProgress.next_at).is_not(None),
            col(BatteryProgress.next_at) <= now,
            col(BatteryProgress.finished_at).is_(None),
        )
    ).all()
    started = 0
    for progress in due:
        progress.next_at = None
        session.add(progress)
        state = store.load_state(session, progress.patient_id)
        if state.held_battery != progress.id:
            continue  # the patient said NEXT, or the battery left the conversation
        step = conversation.continue_battery(state, _id(progress.id))
        key = f"sitting:{progress.id}:{progress.reoffers}:{progress.sitting + 1}"
        persist_step(session, progress.patient_id, step, key, now)
        started += 1
    return started


def reoffer_lapsed(session: Session, conversation: ConversationEngine, now: datetime) -> int:
    """Batteries whose window lapsed with instruments unfinished: those are asked again."""
    reoffered = 0
    for progress in session.exec(
        select(BatteryProgress).where(col(BatteryProgress.finished_at).is_(None))
    ).all():
        members = _members(session, progress)
        open_ = [a for a in members if a.state in OPEN_STATES and a.expires_at > now]
        if not open_:
            progress.finished_at = now  # answered, expired or cancelled: nothing left to ask
            progress.next_at = None
            session.add(progress)
            continue
        first = session.exec(
            select(func.min(ItemResponse.answered_at)).where(
                col(ItemResponse.assignment_id).in_([a.id for a in members]),
                col(ItemResponse.superseded_at).is_(None),
                col(ItemResponse.answered_at) >= progress.window_from,
            )
        ).one()
        if first is None or first + WINDOW > now:
            continue
        _reoffer(session, conversation, progress, open_, now)
        reoffered += 1
    return reoffered


def _reoffer(
    session: Session,
    conversation: ConversationEngine,
    progress: BatteryProgress,
    open_: list[SurveyAssignment],
    now: datetime,
) -> None:
    battery = _id(progress.id)
    ids = [_id(a.id) for a in open_]
    # Kept as history, out of every score and export: a new window starts with no answers.
    session.exec(
        update(ItemResponse)
        .where(
            col(ItemResponse.assignment_id).in_(ids),
            col(ItemResponse.superseded_at).is_(None),
        )
        .values(superseded_at=now)
    )
    state = store.load_state(session, progress.patient_id)
    _drop_battery(state, battery)
    progress.window_from = now
    progress.offered_at = now
    progress.next_at = None
    progress.reoffers += 1
    pending = _parts(session, progress, open_)
    session.add(progress)
    session.add(
        Alert(
            patient_id=progress.patient_id,
            kind="battery_reoffered",
            rule_id=f"battery:{battery}",
            created_at=now,
        )
    )
    step = conversation.start_surveys(state, pending)
    if step.outgoing:
        patient = session.get(Patient, progress.patient_id)
        tr = translator(patient.locale if patient else "en")
        why = Outgoing(
            "reply",
            tr.gettext(
                "It has been more than 3 days since you started these questions. Answers "
                "need to come from the same few days, so we will ask some of them again."
            ),
        )
        step = Step(step.state, step.events, (why, *step.outgoing))
    persist_step(session, progress.patient_id, step, f"reoffer:{battery}:{progress.reoffers}", now)


def _drop_battery(state: ConversationState, battery: int) -> None:
    """Take the battery's parts out of the conversation; they are queued again, whole."""
    state.queue = [p for p in state.queue if p.battery != battery]
    if state.survey is not None and state.survey.battery == battery:
        state.survey = None
    if state.closed is not None and state.closed.battery == battery:
        state.closed = None
    if state.held_battery == battery:
        state.held_battery = None


def _progress(
    session: Session, patient_id: int, cohort_id: int, timepoint: str, now: datetime
) -> BatteryProgress:
    progress = session.exec(
        select(BatteryProgress).where(
            BatteryProgress.patient_id == patient_id,
            BatteryProgress.cohort_id == cohort_id,
            BatteryProgress.timepoint == timepoint,
        )
    ).first()
    if progress is None:
        progress = BatteryProgress(
            patient_id=patient_id,
            cohort_id=cohort_id,
            timepoint=timepoint,
            offered_at=now,
            window_from=now,
        )
        session.add(progress)
        session.flush()
    return progress


def _members(session: Session, progress: BatteryProgress) -> list[SurveyAssignment]:
    return list(
        session.exec(
            select(SurveyAssignment)
            .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
            .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
            .where(
                SurveyAssignment.patient_id == progress.patient_id,
                SurveyPlanEntry.cohort_id == progress.cohort_id,
                SurveyPlanEntry.timepoint == progress.timepoint,
            )
            .order_by(col(SurveyAssignment.id))
        ).all()
    )


def _parts(
    session: Session, progress: BatteryProgress, assignments: list[SurveyAssignment]
) -> list[PendingSurvey]:
    """The parts still to ask of these assignments, in sitting order, numbered "k of n"."""
    entries = session.exec(
        select(SurveyPlanEntry)
        .where(
            SurveyPlanEntry.cohort_id == progress.cohort_id,
            SurveyPlanEntry.timepoint == progress.timepoint,
        )
        .order_by(col(SurveyPlanEntry.sitting), col(SurveyPlanEntry.id))
    ).all()
    by_instrument = {a.instrument_id: a for a in assignments}
    answers = _current_answers(session, [_id(a.id) for a in assignments])
    planned: list[tuple[int, SurveyAssignment, list[str] | None]] = []
    for entry in entries:
        assignment = by_instrument.get(entry.instrument_id)
        if assignment is None:
            continue
        done = answers.get(_id(assignment.id), {})
        later = [e for e in entries if e.instrument_id == entry.instrument_id and e.id != entry.id]
        is_last = all(e.sitting < entry.sitting for e in later)
        if entry.item_ids is not None and not is_last and all(i in done for i in entry.item_ids):
            continue  # answered in an earlier sitting of this window
        planned.append((entry.sitting, assignment, entry.item_ids))
    numbers = {s: n for n, s in enumerate(sorted({s for s, _a, _i in planned}), start=1)}
    progress.sittings = len(numbers)
    progress.sitting = 1
    pending: list[PendingSurvey] = []
    prior_given: set[int] = set()
    for index, (sitting, assignment, item_ids) in enumerate(planned):
        aid = _id(assignment.id)
        last_of_sitting = index + 1 == len(planned) or planned[index + 1][0] != sitting
        pending.append(
            PendingSurvey(
                aid,
                assignment.instrument_id,
                assignment.instrument_version,
                item_ids=list(item_ids) if item_ids is not None else None,
                # the answers already given go with the instrument's first part asked now
                prior=answers.get(aid, {}) if aid not in prior_given else {},
                battery=progress.id,
                sitting=numbers[sitting],
                sittings=len(numbers),
                ends_sitting=last_of_sitting,
            )
        )
        prior_given.add(aid)
    return pending


def _current_answers(session: Session, ids: list[int]) -> dict[int, dict[str, Answer]]:
    rows = session.exec(
        select(ItemResponse).where(
            col(ItemResponse.assignment_id).in_(ids), col(ItemResponse.superseded_at).is_(None)
        )
    ).all()
    found: dict[int, dict[str, Answer]] = defaultdict(dict)
    for row in rows:
        found[row.assignment_id][row.item_id] = (
            Answer(code=row.option_code, value=row.coded_value, status="answered")
            if row.status == "answered"
            else Answer(code=None, value=None, status="skipped")
        )
    return found


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id yet; flush the session first")
    return value
