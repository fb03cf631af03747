"""The inbound pipeline: dedupe -> crisis triage -> keywords -> engine -> store, in one transaction.

Channel adapters call `Pipeline.handle` with an authenticated, channel-neutral `Inbound`; what the
patient should get back lands in the outbox, and the dispatcher sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

from bot.clinic import holds, trend
from bot.clinic.alerts.flags import flag_completed
from bot.conversation import keywords, triage
from bot.conversation.engine import ConversationEngine, ProgramInfo, Step
from bot.conversation.events import AnswerRecorded, ReviewNeeded
from bot.conversation.i18n import translator
from bot.conversation.keywords import Command
from bot.conversation.messages import HandleResult, Inbound, Outgoing
from bot.conversation.state import ConversationState, PendingSurvey
from bot.db import inbound_store, privacy, store
from bot.db.database import SQLITE_BEGIN_IMMEDIATE, session_scope
from bot.db.models import InboundMessage, Patient
from bot.schedule import sittings
from surveys.loader import load_instrument

Clock = Callable[[], datetime]
# Answers plain text (not crisis, not a keyword) before the engine does, e.g. an RSVP "C";
# returns None to let the engine handle it. It may write rows in the same transaction, through
# the message's ORM session and patient, which are made when the hook first asks for them: a
# hook that lets the text pass without looking (most answers) costs no ORM work.
ReplyHook = Callable[["_RareEvents", ConversationState, Inbound, datetime], Step | None]
_Row = TypeVar("_Row", bound=SQLModel)


@dataclass(frozen=True)
class Pressed:
    """What became of a pressed button (`Pipeline.handle_press`)."""

    enrolled: bool  # the chat belongs to a patient (else nothing was stored)
    live: bool  # the button belongs to the question open now (else nothing was stored)
    result: HandleResult | None = None  # when the press went through
    stored: bool = False  # an answer was stored for it
    locale: str | None = None  # the patient's language now (None for a stranger)


@dataclass(frozen=True)
class _Processed:
    result: HandleResult
    locale: str  # the patient's language after the message
    answered: bool  # an answer was stored


class Pipeline:
    def __init__(
        self,
        *,
        db: Engine,
        conversation: ConversationEngine,
        program: ProgramInfo,
        clock: Clock,
        default_locale: str = "en",
        reply_hooks: Sequence[ReplyHook] = (),
    ) -> None:
        self._reply_hooks = tuple(reply_hooks)
        # Every transaction here reads, then writes: on SQLite take the write lock up front so
        # concurrent inbound messages wait their turn rather than fail (bot/db/database.py).
        self._db = db.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
        self._conversation = conversation
        self._program = program
        self._clock = clock
        self._default_locale = default_locale

    def now(self) -> datetime:
        """The pipeline's clock (injected, so tests and simulations control time)."""
        return self._clock()

    def release_hold(
        self, patient_id: int, *, outcome: str, note: str, actor: str
    ) -> holds.Release:
        """Release a patient's crisis hold in one transaction (bot/clinic/holds.py)."""
        with session_scope(self._db) as session:
            return holds.release_hold(
                session,
                self._conversation,
                patient_id=patient_id,
                outcome=outcome,
                note=note,
                actor=actor,
                now=self._clock(),
            )

    def handle(self, inbound: Inbound) -> HandleResult:
        now = self._clock()
        # Triage is pure (the text in, a tier out), so it runs before the transaction opens:
        # the write lock (BEGIN IMMEDIATE on SQLite) is not held while it reads the text.
        assessment = triage.assess(inbound.text) if _is_triaged(inbound) else None
        # Core statements on one connection, one transaction (engine.begin commits or rolls
        # back): this runs for every message received. Rarer events get an ORM session bound
        # to the same connection (_RareEvents), so they still land in the same transaction.
        with self._db.begin() as conn:
            found = inbound_store.find_patient_and_state(conn, inbound.channel, inbound.address)
            if found is None:
                return self._unknown_sender(conn, inbound, now)
            patient_row, state = found
            return self._process(conn, inbound, patient_row, state, assessment, now).result

    def handle_press(self, inbound: Inbound) -> Pressed:
        """A pressed button (the Telegram hot path), in the one transaction that stores it: the
        chat's patient and their state read (and locked), the button checked against the
        question open now, and only a live press stored, through `handle`'s own steps. A press
        from a chat that is not enrolled, or on an older question, stores nothing."""
        press = inbound.button
        assert press is not None
        now = self._clock()
        with self._db.begin() as conn:
            found = inbound_store.find_chat_patient(conn, inbound.channel, inbound.address)
            if found is None:
                return Pressed(enrolled=False, live=False)
            patient_row, state, identity_status = found
            if identity_status == "unreachable":  # they unblocked the bot and pressed a button
                inbound_store.mark_reachable(conn, inbound.channel, inbound.address)
            if not self._conversation.button_is_live(state, press):
                return Pressed(enrolled=True, live=False, locale=patient_row["locale"])
            done = self._process(conn, inbound, patient_row, state, None, now)  # not triaged
            return Pressed(True, True, done.result, done.answered, done.locale)

    def _process(
        self,
        conn: Connection,
        inbound: Inbound,
        patient_row: dict[str, Any],
        state: ConversationState,
        assessment: triage.TriageResult | None,
        now: datetime,
    ) -> _Processed:
        """One message of an enrolled patient, in the caller's transaction: stored (or found a
        duplicate), decided, its events and the new state stored, its replies queued.
        `assessment`: the message's triage, done before the transaction (when _is_triaged)."""
        patient_id: int = patient_row["id"]
        inbound_id = inbound_store.record_inbound(conn, inbound, patient_id)
        if inbound_id is None:
            return _Processed(HandleResult("duplicate"), patient_row["locale"], answered=False)
        rare = _RareEvents(conn, patient_row, inbound, inbound_id)
        answered = False
        try:
            steps = self._decide(rare, state, inbound, assessment, now)
            outgoing: list[Outgoing] = []
            before = state
            for step in steps:
                answered = self._store_events(rare, before, step, inbound, now) or answered
                before = step.state
                outgoing.extend(step.outgoing)
                # The patient's own pain trend after a DVPRS; a completed survey is stored
                # through the ORM session, so without one there is nothing to add.
                if rare.used:
                    outgoing.extend(
                        trend.messages_after(
                            rare.session,
                            patient_id=patient_id,
                            events=step.events,
                            tr=translator(step.state.locale),
                        )
                    )
                    # a battery's sitting ended: when the next one comes (or NEXT now)
                    outgoing.extend(
                        sittings.messages_after(
                            rare.session,
                            patient=rare.patient,
                            events=step.events,
                            tr=translator(step.state.locale),
                            now=now,
                        )
                    )
            rare.flush()
            # the patient's language after this message (a language menu's answer changes it)
            locale = rare.patient.locale if rare.used else patient_row["locale"]
        finally:
            rare.close()
        final_state = steps[-1].state if steps else state
        inbound_store.save_state(
            conn,
            patient_id=patient_id,
            state=final_state,
            old_status=patient_row["status"],
            now=now,
        )
        ids = inbound_store.enqueue(
            conn,
            patient_id=patient_id,
            channel=inbound.channel,
            address=inbound.address,
            messages=outgoing,
            dedupe_prefix=f"in:{inbound_id}",
            now=now,
            in_reply_to=inbound_id,
        )
        return _Processed(HandleResult("processed", tuple(ids)), locale, answered=answered)

    def _store_events(
        self,
        rare: _RareEvents,
        before: ConversationState,
        step: Step,
        inbound: Inbound,
        now: datetime,
    ) -> bool:
        """Answers through Core; any other event through the store's ORM functions, in order.
        Whether an answer was stored."""
        answered = False
        for event in step.events:
            if isinstance(event, AnswerRecorded):
                answered = True
                rare.flush()  # earlier ORM writes first, as one session would have done
                inbound_store.record_answer(
                    rare.conn,
                    patient_id=rare.patient_id,
                    event=event,
                    channel=inbound.channel,
                    provider_message_id=inbound.provider_message_id,
                    now=now,
                    may_have_answer=_may_have_answer(before, event),
                )
            else:
                completed = store.apply_events(
                    rare.session,
                    patient=rare.patient,
                    events=(event,),
                    channel=inbound.channel,
                    now=now,
                    inbound=rare.inbound,
                )
                # DVPRS severe or well above baseline: staff hear of it, in this transaction
                flag_completed(rare.session, completed, now)
        return answered

    def _decide(
        self,
        rare: _RareEvents,
        state: ConversationState,
        inbound: Inbound,
        assessment: triage.TriageResult | None,
        now: datetime,
    ) -> list[Step]:
        """Safety first: crisis language, then opt-out and other keywords, then reply hooks
        (an RSVP "C"), then answers. Triage (`assessment`, for every message _is_triaged says)
        and keywords run once per message."""
        if inbound.button is not None:
            return [self._conversation.on_text(state, inbound.text, inbound.button)]
        if inbound.media is not None and not inbound.text.strip():
            return [self._conversation.on_media(state, inbound.media)]
        assert assessment is not None  # typed text is always triaged (_is_triaged)
        if inbound.edited and assessment.tier == 0:
            # An edit is triaged like any message, but never read again as an answer or a
            # command; text no rules file can read still goes to staff.
            if not assessment.readable:
                return [Step(state, (ReviewNeeded("unreadable"),))]
            return []
        keyword = keywords.classify(inbound.text)
        if assessment.tier > 0:
            steps = [self._conversation.on_crisis(state, assessment)]
            if keyword is not None and keyword.command is Command.STOP:
                steps.append(self._conversation.on_keyword(steps[-1].state, keyword))
            elif assessment.tier == 3 and self._conversation.answers_current_item(
                steps[-1].state, inbound.text
            ):
                # Distress that is also an answer (the Spanish DVPRS 9 reads "No aguanto el
                # dolor..."): staff are told and the answer is kept.
                steps.append(self._conversation.on_text(steps[-1].state, inbound.text))
            return steps
        if keyword is not None:
            return [self._conversation.on_keyword(state, keyword)]
        if not assessment.readable:
            return [self._conversation.on_unreadable(state, inbound.text)]
        for hook in self._reply_hooks:
            step = hook(rare, state, inbound, now)
            if step is not None:
                return [step]
        return [self._conversation.on_text(state, inbound.text)]

    def _unknown_sender(self, conn: Connection, inbound: Inbound, now: datetime) -> HandleResult:
        inbound_id = inbound_store.record_inbound(conn, inbound, None)
        if inbound_id is None:
            return HandleResult("duplicate")
        stop = keywords.classify(inbound.text)
        if stop is not None and stop.command is Command.STOP:
            # Remembered beyond the purge of their messages: a later invitation to this address
            # is refused. Nothing is sent (the carrier confirms an SMS STOP itself).
            privacy.record_address_optout(
                conn, channel=inbound.channel, address=inbound.address, now=now
            )
            return HandleResult("unknown_sender")
        tr = translator(self._default_locale)
        reply = Outgoing(
            "reply",
            tr.gettext(
                "{program}: this number is not enrolled. To join, please ask the clinic at {phone}."
            ).format(program=self._program.name_in(tr.code), phone=self._program.phone_in(tr.code)),
        )
        # One polite answer per unknown address, ever: the dedupe key does not vary by message.
        ids = inbound_store.enqueue(
            conn,
            patient_id=None,
            channel=inbound.channel,
            address=inbound.address,
            messages=[reply],
            dedupe_prefix=f"unknown:{inbound.channel}:{inbound.address}",
            now=now,
            in_reply_to=inbound_id,
        )
        return HandleResult("unknown_sender", tuple(ids))

    def start_survey(
        self,
        patient_id: int,
        instrument_id: str,
        *,
        version: str | None = None,
        timepoint: str = "adhoc",
    ) -> int:
        """Assign an instrument now and queue its first question; returns the assignment id."""
        now = self._clock()
        instrument = load_instrument(instrument_id, version)
        with session_scope(self._db) as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise LookupError(f"patient {patient_id} does not exist")
            assignment = store.create_assignment(
                session,
                patient=patient,
                instrument_id=instrument.id,
                version=instrument.version,
                timepoint=timepoint,
                now=now,
            )
            state = store.load_state(session, patient_id)
            step = self._conversation.start_survey(
                state, PendingSurvey(_pk(assignment.id), instrument.id, instrument.version)
            )
            identity = store.reachable_identity(session, patient)
            completed = store.apply_events(
                session,
                patient=patient,
                events=step.events,
                channel=identity.channel if identity else "none",
                now=now,
            )
            flag_completed(session, completed, now)
            store.save_state(session, patient_id, step.state, now)
            if identity is not None:
                store.enqueue(
                    session,
                    patient_id=patient_id,
                    channel=identity.channel,
                    address=identity.address,
                    messages=step.outgoing,
                    dedupe_prefix=f"assign:{assignment.id}",
                    now=now,
                )
            return _pk(assignment.id)


def _is_triaged(inbound: Inbound) -> bool:
    """Whether crisis triage reads this message: typed text is; a button press (its text is the
    option's label) and a picture or file without words are not (_decide)."""
    if inbound.button is not None:
        return False
    return not (inbound.media is not None and not inbound.text.strip())


def _may_have_answer(before: ConversationState, event: AnswerRecorded) -> bool:
    """False only when the state proves the item has no stored answer: its survey is the one in
    progress (a survey is started once per assignment) and the item is not among its answers."""
    survey = before.survey
    return (
        survey is None
        or survey.assignment_id != event.assignment_id
        or event.item_id in survey.answers
    )


class _RareEvents:
    """The ORM side of one inbound message, made only when something beyond an answer needs it:
    a session on the message's own connection, and the patient and inbound rows as objects."""

    def __init__(
        self, conn: Connection, patient_row: dict[str, Any], inbound: Inbound, inbound_id: int
    ) -> None:
        self.conn = conn
        self.patient_id: int = patient_row["id"]
        self._patient_row = patient_row
        self._inbound = inbound
        self._inbound_id = inbound_id
        self._session: Session | None = None
        self._patient: Patient | None = None
        self._inbound_row: InboundMessage | None = None

    @property
    def used(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> Session:
        if self._session is None:
            # Joins the connection's transaction ("rollback_only" when it has no savepoint):
            # it flushes into it and never commits it; engine.begin() in `handle` does.
            self._session = Session(
                bind=self.conn,
                expire_on_commit=False,
                join_transaction_mode="conditional_savepoint",
            )
        return self._session

    @property
    def patient(self) -> Patient:
        if self._patient is None:
            self._patient = _persistent(self.session, Patient(**self._patient_row))
        return self._patient

    @property
    def inbound(self) -> InboundMessage:
        if self._inbound_row is None:
            message = self._inbound
            row = InboundMessage(
                id=self._inbound_id,
                channel=message.channel,
                provider_message_id=message.provider_message_id,
                address=message.address,
                patient_id=self.patient_id,
                body=message.text,
                received_at=message.received_at,
                triage_tier=0,
            )
            self._inbound_row = _persistent(self.session, row)
        return self._inbound_row

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _persistent(session: Session, row: _Row) -> _Row:
    """Attach a row object built from values already read (or just written): no SQL."""
    make_transient_to_detached(row)
    session.add(row)
    return row


def _pk(value: int | None) -> int:
    assert value is not None
    return value
