"""SMS double opt-in (safety-ux SMS-01/02): invite, then nothing else until the patient confirms.

`pathbot patient add --phone` stores the number as a *pending* SMS identity. The invite queues one
message naming the program, what and how often, "Msg&data rates may apply", that texts are not
watched 24/7 (911/988), and HELP/STOP. The patient confirms by replying START.

Why START: it is the carrier's own opt-in word (Twilio re-subscribes a number on START/UNSTOP),
so a confirmation can never collide with a carrier keyword's meaning. YES would collide with
yes/no answers and is removed from opt-in lists when such items exist (SMS-15); a one-time code
adds friction for older patients. Any language's START word works
(bot/conversation/rules/keywords.yaml).

While the number is pending, crisis language, STOP and HELP go through the normal pipeline (a
crisis answer and the HELP text are always given); anything else gets at most one reminder of
how to confirm, ever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.conversation import keywords, triage
from bot.conversation.engine import ProgramInfo
from bot.conversation.i18n import Translator, translator
from bot.conversation.keywords import Command
from bot.conversation.messages import HandleResult, Inbound, Outgoing
from bot.db import privacy, store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity, ConsentRecord, Patient
from bot.service.pipeline import Pipeline

CHANNEL = "sms"
PENDING = "pending"
OPTIN_TEXT_VERSION = "sms-optin-1"  # bump whenever the opt-in wording changes


class InviteRefused(Exception):
    """The patient cannot be invited to SMS now; the message says why (no phone numbers)."""


def optin_text(tr: Translator, program: ProgramInfo) -> str:
    return tr.gettext(
        "{program}: reply {start} to get health questions and group reminders, 1-3 texts a "
        "week. Msg&data rates may apply. Texts are not private and not watched 24/7. "
        "Emergency: 911. Crisis: call or text 988. Reply {help} for help, {stop} to end."
    ).format(
        program=program.name_in(tr.code),
        start=tr.gettext("START"),
        help=tr.gettext("HELP"),
        stop=tr.gettext("STOP"),
    )


def queue_invite(db: Engine, program: ProgramInfo, patient_id: int, now: datetime) -> int:
    """Queue the opt-in message for a patient's pending SMS number; returns the outbox id."""
    with session_scope(db) as session:
        return queue_invite_in(session, program, patient_id, now)


def queue_invite_in(session: Session, program: ProgramInfo, patient_id: int, now: datetime) -> int:
    """queue_invite inside the caller's transaction (the staff console's)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise InviteRefused("no such patient")
    identity = _sms_identity(session, patient_id)
    if identity is None:
        raise InviteRefused("the patient has no phone number (patient add --phone)")
    if identity.status == "active":
        raise InviteRefused("the patient has already confirmed SMS")
    if identity.status != PENDING or patient.status == "stopped":
        raise InviteRefused("the patient opted out; only the patient can rejoin (text START)")
    if privacy.address_opted_out(session.connection(), channel=CHANNEL, address=identity.address):
        raise InviteRefused(
            "this number replied STOP before; only its owner can opt in (text START)"
        )
    tr = translator(patient.locale)
    rows = store.enqueue(
        session,
        patient_id=patient_id,
        channel=CHANNEL,
        address=identity.address,
        messages=[Outgoing("confirmation", optin_text(tr, program))],
        dedupe_prefix=f"sms-optin:{identity.id}:{now.isoformat()}",
        now=now,
    )
    return rows[0].id or 0


def receive(pipeline: Pipeline, db: Engine, program: ProgramInfo, inbound: Inbound) -> HandleResult:
    """Handle one authenticated inbound SMS: pending numbers here, everything else the pipeline."""
    identity_status, patient_status = number_statuses(db, inbound.address)
    pending = identity_status == PENDING
    # Stopped on SMS only (carrier error 21610) while the patient is still active: START from
    # the phone re-subscribes this number (SMS-16); the engine sees nothing to undo.
    resubscribing = (
        identity_status == "stopped"
        and patient_status not in (None, "stopped")
        and _is_start(inbound.text)
    )
    if not (pending or resubscribing) or _pipeline_must_answer(inbound.text):
        return pipeline.handle(inbound)
    return _handle_pending(db, program, inbound)


def number_statuses(db: Engine, address: str) -> tuple[str | None, str | None]:
    """(the number's SMS identity status, its patient's status), None for what does not exist.

    One read, outside the write lock (a plain deferred transaction, no BEGIN IMMEDIATE): most
    webhooks come from active numbers and go straight on to the pipeline, whose own write
    transaction is the one that counts. `_handle_pending` reads the identity again under the
    lock before it changes anything.
    """
    with db.connect() as conn:
        row = conn.execute(_NUMBER_STATUSES, {"address": address}).first()
    return (None, None) if row is None else (row[0], row[1])


# Built once, run with the address bound: building it and working out its cache key cost
# ~150 us a webhook, twice what running it costs (a read of ~65 us on SQLite).
_NUMBER_STATUSES = (
    sa_select(col(ChannelIdentity.status), col(Patient.status))
    .select_from(ChannelIdentity)
    .outerjoin(Patient, col(Patient.id) == ChannelIdentity.patient_id)
    .where(
        col(ChannelIdentity.channel) == CHANNEL,
        col(ChannelIdentity.address) == bindparam("address"),
    )
)


def _is_start(text: str) -> bool:
    keyword = keywords.classify(text)
    return keyword is not None and keyword.command is Command.START


def _pipeline_must_answer(text: str) -> bool:
    """Crisis language, STOP and HELP are answered the same whether or not SMS is confirmed."""
    if triage.assess(text).tier > 0:
        return True
    keyword = keywords.classify(text)
    return keyword is not None and keyword.command in (Command.STOP, Command.HELP)


def _handle_pending(db: Engine, program: ProgramInfo, inbound: Inbound) -> HandleResult:
    now = inbound.received_at
    with session_scope(db) as session:
        identity = store.find_identity(session, CHANNEL, inbound.address)
        assert identity is not None
        patient = session.get(Patient, identity.patient_id)
        assert patient is not None
        row = store.record_inbound(session, inbound, patient.id)
        if row is None:
            return HandleResult("duplicate")
        tr = translator(patient.locale)
        if _is_start(inbound.text):
            _confirm(session, patient, identity, now)
            message = tr.gettext(
                "{program}: thank you, you are signed up. We will text you when there are "
                "questions for you. Reply {help} for help, {stop} to end."
            ).format(
                program=program.name_in(tr.code), help=tr.gettext("HELP"), stop=tr.gettext("STOP")
            )
            prefix = f"sms-optin-confirmed:{identity.id}:{row.id}"
        else:
            message = tr.gettext(
                "{program}: to get our texts, please reply {start}. Reply {stop} to end."
            ).format(
                program=program.name_in(tr.code), start=tr.gettext("START"), stop=tr.gettext("STOP")
            )
            prefix = f"sms-optin-reminder:{identity.id}"  # one reminder per number, ever
        rows = store.enqueue(
            session,
            patient_id=patient.id,
            channel=CHANNEL,
            address=inbound.address,
            messages=[Outgoing("confirmation", message)],
            dedupe_prefix=prefix,
            now=now,
            in_reply_to=row.id,
        )
        return HandleResult("processed", tuple(r.id or 0 for r in rows))


def _confirm(session: Session, patient: Patient, identity: ChannelIdentity, now: datetime) -> None:
    identity.status = "active"
    session.add(identity)
    privacy.clear_address_optout(session.connection(), channel=CHANNEL, address=identity.address)
    session.add(
        ConsentRecord(
            patient_id=patient.id or 0,
            channel=CHANNEL,
            address=identity.address,
            program="surveys",
            text_version=OPTIN_TEXT_VERSION,
            language=patient.locale,
            method="keyword",
            granted_at=now,
        )
    )
    if patient.preferred_channel is None:
        patient.preferred_channel = CHANNEL
        session.add(patient)


def _sms_identity(session: Session, patient_id: int) -> ChannelIdentity | None:
    return session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.patient_id == patient_id, ChannelIdentity.channel == CHANNEL
        )
    ).first()
