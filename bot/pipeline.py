"""The inbound pipeline: dedupe -> crisis triage -> keywords -> engine -> store, in one transaction.

Channel adapters call `Pipeline.handle` with an authenticated, channel-neutral `Inbound`; what the
patient should get back lands in the outbox, and the dispatcher sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import keywords, trend, triage
from bot.db import store
from bot.db.database import SQLITE_BEGIN_IMMEDIATE, session_scope
from bot.db.models import ChannelIdentity, Patient
from bot.engine import ConversationEngine, ProgramInfo, Step
from bot.i18n import translator
from bot.keywords import Command
from bot.messages import Inbound, Outgoing
from bot.state import ConversationState, PendingSurvey
from surveys.loader import load_instrument

Clock = Callable[[], datetime]
# Answers plain text (not crisis, not a keyword) before the engine does, e.g. an RSVP "C";
# returns None to let the engine handle it. It may write rows in the same transaction.
ReplyHook = Callable[[Session, Patient, ConversationState, Inbound, datetime], Step | None]


@dataclass(frozen=True)
class HandleResult:
    status: Literal["processed", "duplicate", "unknown_sender"]
    outbox_ids: tuple[int, ...] = ()


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

    def handle(self, inbound: Inbound) -> HandleResult:
        now = self._clock()
        with session_scope(self._db) as session:
            # identity and patient in one query: this runs for every message received
            found = store.find_identity_and_patient(session, inbound.channel, inbound.address)
            if found is None:
                return self._unknown_sender(session, inbound, now)
            _identity, patient = found
            row = store.record_inbound(session, inbound, patient.id)
            if row is None:
                return HandleResult("duplicate")
            state = store.load_state(session, _pk(patient.id))
            steps = self._decide(session, patient, state, inbound, now)
            outgoing: list[Outgoing] = []
            for step in steps:
                store.apply_events(
                    session,
                    patient=patient,
                    events=step.events,
                    channel=inbound.channel,
                    now=now,
                    inbound=row,
                )
                outgoing.extend(step.outgoing)
                outgoing.extend(  # the patient's own pain trend after a DVPRS
                    trend.messages_after(
                        session,
                        patient_id=_pk(patient.id),
                        events=step.events,
                        tr=translator(step.state.locale),
                    )
                )
            final_state = steps[-1].state if steps else state
            store.save_state(session, _pk(patient.id), final_state, now)
            rows = store.enqueue(
                session,
                patient_id=patient.id,
                channel=inbound.channel,
                address=inbound.address,
                messages=outgoing,
                dedupe_prefix=f"in:{row.id}",
                now=now,
                in_reply_to=row.id,
            )
            return HandleResult("processed", tuple(_pk(r.id) for r in rows))

    def _decide(
        self,
        session: Session,
        patient: Patient,
        state: ConversationState,
        inbound: Inbound,
        now: datetime,
    ) -> list[Step]:
        """Safety first: crisis language, then opt-out and other keywords, then reply hooks
        (an RSVP "C"), then answers. Triage and keywords run once per message."""
        if inbound.button is not None:
            return [self._conversation.on_text(state, inbound.text, inbound.button)]
        assessment = triage.assess(inbound.text)
        keyword = keywords.classify(inbound.text)
        if assessment.tier > 0:
            steps = [self._conversation.on_crisis(state, assessment)]
            if keyword is not None and keyword.command is Command.STOP:
                steps.append(self._conversation.on_keyword(steps[-1].state, keyword))
            return steps
        if keyword is not None:
            return [self._conversation.on_keyword(state, keyword)]
        for hook in self._reply_hooks:
            step = hook(session, patient, state, inbound, now)
            if step is not None:
                return [step]
        return [self._conversation.on_text(state, inbound.text)]

    def _unknown_sender(self, session: Session, inbound: Inbound, now: datetime) -> HandleResult:
        row = store.record_inbound(session, inbound, None)
        if row is None:
            return HandleResult("duplicate")
        tr = translator(self._default_locale)
        reply = Outgoing(
            "reply",
            tr.gettext(
                "{program}: this number is not enrolled. To join, please ask the clinic at {phone}."
            ).format(program=self._program.name, phone=self._program.help_phone),
        )
        # One polite answer per unknown address, ever: the dedupe key does not vary by message.
        rows = store.enqueue(
            session,
            patient_id=None,
            channel=inbound.channel,
            address=inbound.address,
            messages=[reply],
            dedupe_prefix=f"unknown:{inbound.channel}:{inbound.address}",
            now=now,
            in_reply_to=row.id,
        )
        return HandleResult("unknown_sender", tuple(_pk(r.id) for r in rows))

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
            identity = _reachable_identity(session, patient)
            store.apply_events(
                session,
                patient=patient,
                events=step.events,
                channel=identity.channel if identity else "none",
                now=now,
            )
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


def _reachable_identity(session: Session, patient: Patient) -> ChannelIdentity | None:
    identities = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.patient_id == patient.id, ChannelIdentity.status == "active"
        )
    ).all()
    preferred = [i for i in identities if i.channel == patient.preferred_channel]
    candidates = preferred or list(identities)
    return candidates[0] if candidates else None


def _pk(value: int | None) -> int:
    assert value is not None
    return value
