"""Store functions: the only code that turns engine events and messages into rows.

All functions take an open Session and never commit: the pipeline commits once per inbound
message, so answers, scores, state and outgoing messages land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, col, select

from bot.conversation.events import (
    AnswerRecorded,
    AnswerWithdrawn,
    CallRequested,
    CrisisDetected,
    Event,
    LocaleChanged,
    MediaReceived,
    OptedIn,
    OptedOut,
    ReviewNeeded,
    SurveyCompleted,
    SurveyPaused,
    SurveyRefused,
    SurveyResumed,
    SurveyStarted,
)
from bot.conversation.messages import SAFETY_KINDS, Inbound, Outgoing
from bot.conversation.state import ConversationState
from bot.db.models import (
    Alert,
    ChannelIdentity,
    ConsentRecord,
    Conversation,
    InboundMessage,
    ItemResponse,
    OutboxMessage,
    Patient,
    Score,
    SurveyAssignment,
)
from surveys.loader import load_instrument
from surveys.model import ScaleScore, ScoreResult
from surveys.scoring import score


@dataclass(frozen=True)
class ScoredSurvey:
    """A survey the store has just completed, scored and saved."""

    patient_id: int
    assignment_id: int
    result: ScoreResult
    completed_at: datetime
    # The scores this completion replaced, when the survey completed before (issue 13: skipped
    # items answered after its end, an undone last answer); None on a first completion.
    previous: dict[str, ScaleScore] | None = None


# Default survey window when a survey is started on demand (schedules set their own).
ADHOC_DUE = timedelta(days=3)
ADHOC_EXPIRES = timedelta(days=7)
_SCORE: Table = Score.__table__  # type: ignore[attr-defined]
_ASSIGNMENT: Table = SurveyAssignment.__table__  # type: ignore[attr-defined]
_ASSIGNMENT_COMPLETED_AT = sa_select(_ASSIGNMENT.c.completed_at).where(
    _ASSIGNMENT.c.id == bindparam("b_assignment_id")
)
_COMPLETE_ASSIGNMENT = update(_ASSIGNMENT).where(_ASSIGNMENT.c.id == bindparam("b_assignment_id"))


def add_patient(
    session: Session,
    *,
    study_id: str,
    now: datetime,
    display_name: str = "",
    locale: str = "en",
    timezone: str = "America/New_York",
) -> Patient:
    patient = Patient(
        study_id=study_id,
        display_name=display_name,
        locale=locale,
        timezone=timezone,
        created_at=now,
    )
    session.add(patient)
    session.flush()
    session.add(
        Conversation(
            patient_id=_id(patient.id),
            state=ConversationState(locale=locale).to_dict(),
            updated_at=now,
        )
    )
    return patient


def bind_channel(
    session: Session,
    *,
    patient: Patient,
    channel: str,
    address: str,
    consent_text_version: str,
    method: str,
    now: datetime,
) -> ChannelIdentity:
    """Link a channel address to a patient and record the consent given for it."""
    identity = ChannelIdentity(
        patient_id=_id(patient.id), channel=channel, address=address, created_at=now
    )
    session.add(identity)
    session.add(
        ConsentRecord(
            patient_id=_id(patient.id),
            channel=channel,
            address=address,
            text_version=consent_text_version,
            language=patient.locale,
            method=method,
            granted_at=now,
        )
    )
    session.flush()
    return identity


def find_identity(session: Session, channel: str, address: str) -> ChannelIdentity | None:
    return session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    ).first()


def reachable_identity(session: Session, patient: Patient) -> ChannelIdentity | None:
    """The patient's active identity to write to: the preferred channel's, else the oldest."""
    identities = session.exec(
        select(ChannelIdentity)
        .where(ChannelIdentity.patient_id == patient.id, ChannelIdentity.status == "active")
        .order_by(col(ChannelIdentity.id))
    ).all()
    return reachable_among(identities, patient)


def reachable_among(
    identities: Sequence[ChannelIdentity], patient: Patient
) -> ChannelIdentity | None:
    """The choice `reachable_identity` makes, from active identities already read (id order)."""
    preferred = [i for i in identities if i.channel == patient.preferred_channel]
    candidates = preferred or list(identities)
    return candidates[0] if candidates else None


def patient_by_study_id(session: Session, study_id: str) -> Patient | None:
    return session.exec(select(Patient).where(Patient.study_id == study_id)).first()


def record_inbound(
    session: Session, inbound: Inbound, patient_id: int | None
) -> InboundMessage | None:
    """Store an inbound message; None when this provider id was already stored (a retry)."""
    row = InboundMessage(
        channel=inbound.channel,
        provider_message_id=inbound.provider_message_id,
        address=inbound.address,
        patient_id=patient_id,
        body=inbound.text,
        received_at=inbound.received_at,
    )
    # INSERT .. ON CONFLICT DO NOTHING instead of a SAVEPOINT around an INSERT that may fail:
    # one statement instead of three on every inbound message, same outcome for a retry
    # (a concurrent twin still waits on the unique index, then inserts nothing).
    if not _insert_unless_exists(session, row, ("channel", "provider_message_id")):
        return None
    return row


def load_state(session: Session, patient_id: int, *, for_update: bool = True) -> ConversationState:
    """The patient's conversation state, row-locked (PostgreSQL) until the transaction ends."""
    # The state column alone, not a Conversation object: nothing keeps the object (save_state
    # writes with one UPDATE), so building and tracking it was wasted work per message.
    query = select(Conversation.state).where(Conversation.patient_id == patient_id)
    if for_update:
        query = query.with_for_update()
    state = session.exec(query).first()
    return ConversationState.from_dict(dict(state) if state is not None else None)


def save_state(session: Session, patient_id: int, state: ConversationState, now: datetime) -> None:
    """Store the engine's state; the patient's status column mirrors its mode for staff."""
    patient = session.get(Patient, patient_id)
    if patient is not None and patient.status != state.mode:
        patient.status = state.mode
        session.add(patient)
    # One UPDATE, not a SELECT of the row (load_state's object is usually gone by now) and an
    # ORM flush: this runs on every inbound message. The ORM-enabled statement still refreshes
    # a Conversation object that this session holds.
    data = state.to_dict()
    result = session.exec(
        update(Conversation)
        .where(col(Conversation.patient_id) == patient_id)
        .values(state=data, updated_at=now)
    )
    if result.rowcount == 0:
        session.add(Conversation(patient_id=patient_id, state=data, updated_at=now))


def create_assignment(
    session: Session,
    *,
    patient: Patient,
    instrument_id: str,
    version: str,
    now: datetime,
    timepoint: str = "adhoc",
    opens_at: datetime | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> SurveyAssignment:
    opens = opens_at or now
    assignment = SurveyAssignment(
        patient_id=_id(patient.id),
        instrument_id=instrument_id,
        instrument_version=version,
        timepoint=timepoint,
        language=patient.locale,
        opens_at=opens,
        due_at=due_at or opens + ADHOC_DUE,
        expires_at=expires_at or opens + ADHOC_EXPIRES,
    )
    session.add(assignment)
    session.flush()
    return assignment


def apply_events(
    session: Session,
    *,
    patient: Patient,
    events: Iterable[Event],
    channel: str,
    now: datetime,
    inbound: InboundMessage | None = None,
) -> list[ScoredSurvey]:
    """Write what the engine reported: answers, scores, assignment states, alerts.

    Returns the surveys this completed, scored and saved, so the caller can apply the clinic's
    rules to them (clinical flags live in bot/clinic/, above the store).
    """
    patient_id = _id(patient.id)
    scored: list[ScoredSurvey] = []
    for event in events:
        match event:
            case AnswerRecorded():
                _record_answer(session, patient_id, event, channel, now, inbound)
            case AnswerWithdrawn():
                _withdraw_answer(session, event, now)
            case SurveyStarted():
                assignment = _assignment(session, event.assignment_id)
                assignment.state = "in_progress"
                assignment.language = event.language
                assignment.translation_status = event.translation_status
                assignment.started_at = assignment.started_at or now
                session.add(assignment)
            case SurveyRefused():
                assignment = _assignment(session, event.assignment_id)
                assignment.state = "refused"
                assignment.language = event.language
                session.add(assignment)
                _alert(session, patient_id, "language_unavailable", now)
            case SurveyPaused():
                _set_assignment_state(session, event.assignment_id, "paused")
            case SurveyResumed():
                _set_assignment_state(session, event.assignment_id, "in_progress")
            case SurveyCompleted():
                scored.append(_complete(session, patient_id, event, now))
            case LocaleChanged():
                patient.locale = event.locale
                session.add(patient)
            case OptedOut():
                _opt_out(session, patient, channel, now)
            case OptedIn():
                _opt_in(session, patient, channel, now)
            case CrisisDetected():
                session.add(
                    Alert(
                        patient_id=patient_id,
                        kind="crisis" if event.tier in (1, 2) else "distress",
                        tier=event.tier,
                        rule_id=event.rule_id,
                        rules_version=event.rules_version,
                        inbound_message_id=inbound.id if inbound else None,
                        created_at=now,
                    )
                )
                if inbound is not None:
                    inbound.triage_tier = event.tier
                    session.add(inbound)
            case CallRequested():
                _alert(session, patient_id, "call_request", now)
            case MediaReceived():
                note = _alert(session, patient_id, "media_received", now)
                note.rule_id = event.kind  # which kind of media, for the staff list
                note.inbound_message_id = inbound.id if inbound else None
                session.add(note)
            case ReviewNeeded():
                review = _alert(session, patient_id, "needs_review", now)
                review.inbound_message_id = inbound.id if inbound else None
                session.add(review)
    return scored


def enqueue(
    session: Session,
    *,
    patient_id: int | None,
    channel: str,
    address: str,
    messages: Sequence[Outgoing],
    dedupe_prefix: str,
    now: datetime,
    in_reply_to: int | None = None,
) -> list[OutboxMessage]:
    """Put messages in the outbox; the dedupe key makes a repeated cause enqueue nothing new."""
    rows: list[OutboxMessage] = []
    for index, message in enumerate(messages):
        key = f"{dedupe_prefix}:{index}"
        row = _outbox_row(key, patient_id, channel, address, message, in_reply_to, now)
        # The unique key decides in the INSERT itself (no SELECT first): the inbound path's
        # keys are almost always new, so the SELECT was a wasted round trip per message.
        if _insert_unless_exists(session, row, ("dedupe_key",)):
            rows.append(row)
    session.flush()
    return rows


# What a message that will never arrive is left as (the dispatcher's, or the provider's word).
FAILED_SEND_STATUSES = ("failed", "undelivered")


def pending_outbox(session: Session, channel: str, now: datetime) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == "pending",
                OutboxMessage.not_before <= now,
            )
            .order_by(col(OutboxMessage.id))
        ).all()
    )


# ---- internals ------------------------------------------------------------------------------


def _outbox_row(
    key: str,
    patient_id: int | None,
    channel: str,
    address: str,
    message: Outgoing,
    in_reply_to: int | None,
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=key,
        patient_id=patient_id,
        channel=channel,
        address=address,
        kind=message.kind,
        body=message.text,
        hint=message.hint,
        options=[o.as_dict() for o in message.options],
        in_reply_to=in_reply_to,
        not_before=now,
        created_at=now,
    )


def _record_answer(
    session: Session,
    patient_id: int,
    event: AnswerRecorded,
    channel: str,
    now: datetime,
    inbound: InboundMessage | None,
) -> None:
    # BACK then a new answer: keep the old one as history. One UPDATE rather than loading the
    # rows as objects (usually there are none); the ORM-enabled statement keeps any loaded
    # ItemResponse objects in step.
    session.exec(
        update(ItemResponse)
        .where(
            col(ItemResponse.assignment_id) == event.assignment_id,
            col(ItemResponse.item_id) == event.item_id,
            col(ItemResponse.superseded_at).is_(None),
        )
        .values(superseded_at=now)
    )
    session.add(
        ItemResponse(
            assignment_id=event.assignment_id,
            patient_id=patient_id,
            instrument_id=event.instrument_id,
            item_id=event.item_id,
            raw_text=event.raw_text,
            option_code=event.option_code,
            coded_value=event.value,
            status=event.status,
            parser_version=event.parser_version,
            language=event.language,
            channel=channel,
            provider_message_id=inbound.provider_message_id if inbound else None,
            answered_at=now,
        )
    )


def _withdraw_answer(session: Session, event: AnswerWithdrawn, now: datetime) -> None:
    """The patient undid a read-back answer: it stays as history (superseded), not current."""
    session.exec(
        update(ItemResponse)
        .where(
            col(ItemResponse.assignment_id) == event.assignment_id,
            col(ItemResponse.item_id) == event.item_id,
            col(ItemResponse.superseded_at).is_(None),
        )
        .values(superseded_at=now)
    )


def _complete(
    session: Session, patient_id: int, event: SurveyCompleted, now: datetime
) -> ScoredSurvey:
    # Core, not the ORM: every completed survey comes here, and loading the assignment as an
    # object made each later query of the transaction flush it first (a third of a completion's
    # cost). Earlier ORM writes of this message land first, and an object of this assignment
    # already in the session is expired, so nothing stale is flushed over the new state.
    session.flush()
    conn = session.connection()
    found = conn.execute(_ASSIGNMENT_COMPLETED_AT, {"b_assignment_id": event.assignment_id}).first()
    if found is None:
        raise LookupError(f"survey assignment {event.assignment_id} does not exist")
    # A survey completes again when the patient answers skipped items after its end or undoes
    # its last answer: the assignment keeps its first completion time, its scores are replaced.
    first_completion = found.completed_at is None
    completed_at: datetime = found.completed_at or now
    conn.execute(
        _COMPLETE_ASSIGNMENT,
        {
            "b_assignment_id": event.assignment_id,
            "state": "completed",
            "completed_at": completed_at,
        },
    )
    cached = session.identity_map.get(identity_key(SurveyAssignment, event.assignment_id))
    if cached is not None:
        session.expire(cached)
    previous: dict[str, ScaleScore] | None = None
    if not first_completion:
        previous = {
            row.scale_id: ScaleScore(
                status="complete" if row.status == "complete" else "incomplete",
                raw=row.raw,
                t=row.t,
                se=row.se,
                mean=row.mean,
                band=row.band,
                descriptor=row.descriptor,
            )
            for row in session.exec(
                select(Score).where(col(Score.assignment_id) == event.assignment_id)
            ).all()
        }
        session.exec(delete(Score).where(col(Score.assignment_id) == event.assignment_id))
    instrument = load_instrument(event.instrument_id, event.version)
    result = score(instrument, dict(event.answers))
    save_scores(
        session, assignment_id=event.assignment_id, patient_id=patient_id, result=result, now=now
    )
    return ScoredSurvey(
        patient_id=patient_id,
        assignment_id=event.assignment_id,
        result=result,
        completed_at=completed_at,
        previous=previous,
    )


def save_scores(
    session: Session, *, assignment_id: int, patient_id: int, result: ScoreResult, now: datetime
) -> None:
    """One Score row per scale of a scored form (bot surveys and imported paper forms alike)."""
    rows = [
        {
            "assignment_id": assignment_id,
            "patient_id": patient_id,
            "instrument_id": result.instrument,
            "instrument_version": result.version,
            "scoring_revision": result.scoring_revision,
            "scale_id": scale_id,
            "status": scale.status,
            "raw": scale.raw,
            "t": scale.t,
            "se": scale.se,
            "mean": scale.mean,
            "band": scale.band,
            "descriptor": scale.descriptor,
            "computed_at": now,
        }
        for scale_id, scale in result.scores.items()
    ]
    # One Core executemany on the session's connection: nothing reads these rows back as
    # objects, and the ORM's unit of work cost more than the INSERT on every completed survey.
    if rows:
        session.connection().execute(insert(_SCORE), rows)


def _opt_out(session: Session, patient: Patient, channel: str, now: datetime) -> None:
    for identity in session.exec(
        select(ChannelIdentity).where(ChannelIdentity.patient_id == patient.id)
    ).all():
        identity.status = "stopped"
        session.add(identity)
    for consent in session.exec(
        select(ConsentRecord).where(
            ConsentRecord.patient_id == patient.id, col(ConsentRecord.revoked_at).is_(None)
        )
    ).all():
        consent.revoked_at = now
        consent.revoked_via = channel
        session.add(consent)
    # Nothing queued may go out after an opt-out (SMS-11), except the opt-out confirmation and
    # safety replies: a crisis answer (911/988) or HELP text waiting for a retry still goes.
    for row in session.exec(
        select(OutboxMessage).where(
            OutboxMessage.patient_id == patient.id,
            OutboxMessage.status == "pending",
            col(OutboxMessage.kind).not_in(("confirmation", *SAFETY_KINDS)),
        )
    ).all():
        row.status = "cancelled"
        session.add(row)
    _alert(session, _id(patient.id), "opt_out", now)


def _opt_in(session: Session, patient: Patient, channel: str, now: datetime) -> None:
    for identity in session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.patient_id == patient.id, ChannelIdentity.channel == channel
        )
    ).all():
        identity.status = "active"
        session.add(identity)
        session.add(  # re-subscription is a new consent (SMS-16)
            ConsentRecord(
                patient_id=_id(patient.id),
                channel=channel,
                address=identity.address,
                text_version="keyword-start-1",
                language=patient.locale,
                method="keyword",
                granted_at=now,
            )
        )


def _insert_unless_exists(session: Session, row: SQLModel, unique: tuple[str, ...]) -> bool:
    """INSERT `row` unless its `unique` columns already exist; True (and `row` persistent,
    with its id) when inserted. One statement, no savepoint, no SELECT first."""
    dialect = session.get_bind().dialect.name
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    else:  # other databases: the portable (slower) savepoint path
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            return False
        return True
    new_id = session.exec(stmt.values(values).returning(table.c.id)).scalar()
    if new_id is None:
        return False
    row.id = new_id
    make_transient_to_detached(row)  # now a persistent row of this session, with no SQL
    session.add(row)
    return True


def add_alert(session: Session, patient_id: int, kind: str, now: datetime) -> Alert:
    """An alert for staff about one patient (crisis alerts come from `CrisisDetected`)."""
    alert = Alert(patient_id=patient_id, kind=kind, created_at=now)
    session.add(alert)
    return alert


_alert = add_alert


def _assignment(session: Session, assignment_id: int) -> SurveyAssignment:
    assignment = session.get(SurveyAssignment, assignment_id)
    if assignment is None:
        raise LookupError(f"survey assignment {assignment_id} does not exist")
    return assignment


def _set_assignment_state(session: Session, assignment_id: int, state: str) -> None:
    assignment = _assignment(session, assignment_id)
    if assignment.state not in ("completed", "missed", "cancelled", "refused"):
        assignment.state = state
        session.add(assignment)


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("row has no id yet; flush the session first")
    return value
