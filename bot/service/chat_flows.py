"""What chat channels ask of the database beyond the pipeline, each in one transaction.

Enrolment by a one-time code (Telegram's deep link `/start <code>`), the short answer to chats
that are not enrolled, a patient's own request for a survey (`/pain`), and small look-ups. The
port (`bot/service/backend.py`) runs these in a worker thread, as it runs the pipeline.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.channels.port import PressOutcome
from bot.clinic import audit
from bot.clinic.alerts.flags import flag_completed
from bot.clinic.trend import pain_history, render_chart
from bot.conversation.engine import language_menu
from bot.conversation.i18n import Translator, translator
from bot.conversation.keywords import Command, Keyword, classify
from bot.conversation.messages import (
    ButtonPress,
    HandleResult,
    Inbound,
    Outgoing,
)
from bot.conversation.state import PendingSurvey
from bot.db import privacy, store
from bot.db.database import session_scope
from bot.db.invites import ATTEMPTS_PER_HOUR, Throttle, redact_code, redeem_code, throttled
from bot.db.models import (
    AuditLog,
    ChannelIdentity,
    InboundMessage,
    ItemResponse,
    OutboxMessage,
    Patient,
)
from bot.service.app import App
from surveys.loader import load_instrument

# The welcome text below is what the patient agrees to by pressing Start on their link; change
# this version whenever its wording changes, so each consent record names the text shown.
log = logging.getLogger(__name__)

CONSENT_TEXT_VERSION = "telegram-welcome-1"
PAIN_INSTRUMENT = "dvprs"


def is_enrolled(app: App, channel: str, address: str) -> bool:
    """Whether this chat belongs to a patient; a chat that writes again is reachable again."""
    with Session(app.db) as session:  # a read; a write transaction only in the rare case
        identity = store.find_identity(session, channel, address)
        if identity is None:
            return False
        if identity.status != "unreachable":
            return True
    _reachable_again(app, channel, address)
    return True


def _reachable_again(app: App, channel: str, address: str) -> None:
    with session_scope(app.db) as session:
        identity = store.find_identity(session, channel, address)
        if identity is not None and identity.status == "unreachable":
            identity.status = "active"  # they unblocked the bot and wrote to us
            session.add(identity)


def receive_press(app: App, inbound: Inbound) -> PressOutcome:
    """A pressed button, in one worker-thread step (the Telegram hot path): is the chat
    enrolled, is the button live, the pipeline's result, was the answer stored, and the
    patient's language, all in the one transaction that stores the answer
    (`Pipeline.handle_press`)."""
    pressed = app.pipeline.handle_press(inbound)
    locale = pressed.locale or app.settings.default_locale
    return PressOutcome(pressed.enrolled, pressed.live, pressed.result, pressed.stored, locale)


ChatHandler = Callable[[Inbound], HandleResult]


def receive_chat(
    app: App,
    inbound: Inbound,
    command: tuple[str, str] | None,
    locale_hint: str,
    handle: ChatHandler,
) -> tuple[HandleResult, bool]:
    """A chat message (or an edit of one), in one worker-thread step: whether the chat is
    enrolled (a chat that writes again is reachable again), then what it asks for: `/start
    <code>` from a new chat enrols it, any other message from a stranger gets how to join (a
    stranger's edit, nothing), `/pain` starts a DVPRS, and the rest goes to `handle` (the
    pipeline, through the channel's gate). Returns the result, and whether `handle` ran."""
    enrolled = is_enrolled(app, inbound.channel, inbound.address)
    name, argument = command if command is not None else ("", "")
    if inbound.edited:  # triaged again when it is a patient's; a stranger's is not read
        return (handle(inbound), True) if enrolled else (HandleResult("unknown_sender"), False)
    if name == "start" and argument and not enrolled:
        return enrol_with_code(app, inbound, argument, locale_hint), False
    if not enrolled:
        return not_enrolled(app, inbound, locale_hint), False
    if name == "pain":
        return request_survey(app, inbound, PAIN_INSTRUMENT), False
    if name == "start":  # enrolled already: START as a keyword
        inbound = dataclasses.replace(inbound, text="/start")
    return handle(inbound), True


def set_reachability(app: App, channel: str, address: str, *, blocked: bool) -> None:
    """The patient blocked (or unblocked) the bot: Telegram told us with a chat-member update."""
    with session_scope(app.db) as session:
        identity = store.find_identity(session, channel, address)
        if identity is None:
            return
        if blocked and identity.status == "active":
            identity.status = "unreachable"
        elif not blocked and identity.status == "unreachable":
            identity.status = "active"
        session.add(identity)


def enrol_with_code(app: App, inbound: Inbound, code: str, locale_hint: str) -> HandleResult:
    """`/start <code>` from a chat not yet enrolled: bind it and record consent, or say why not
    (at most once a day per chat). Attempts past the hour's limits are stored, not checked."""
    now = app.pipeline.now()
    # Only the code's hash is kept: the stored attempt must not be a working link.
    stored = dataclasses.replace(inbound, text=redact_code(inbound.text, code))
    with session_scope(app.db) as session:
        row = store.record_inbound(session, stored, None)
        if row is None:
            return HandleResult("duplicate")
        limit = throttled(session, channel=inbound.channel, address=inbound.address, now=now)
        if limit is not None:
            _note_throttle(session, inbound.channel, limit, now)
            return HandleResult("unknown_sender")
        redemption = redeem_code(
            session, code=code, channel=inbound.channel, address=inbound.address, now=now
        )
        patient = redemption.patient
        if redemption.status != "ok" or patient is None:
            tr = translator(locale_hint)
            reply = Outgoing("reply", _refusal(app, tr, redemption.status))
            return HandleResult("unknown_sender", _refuse(session, inbound, row, reply, now))
        assert patient.id is not None
        # Following the link is this chat's own opt-in: an earlier STOP from it no longer binds.
        privacy.clear_address_optout(
            session.connection(), channel=inbound.channel, address=inbound.address
        )
        store.bind_channel(
            session,
            patient=patient,
            channel=inbound.channel,
            address=inbound.address,
            consent_text_version=CONSENT_TEXT_VERSION,
            method="deep_link",
            now=now,
        )
        if patient.preferred_channel is None:
            patient.preferred_channel = inbound.channel
            session.add(patient)
        row.patient_id = patient.id
        session.add(row)
        state = store.load_state(session, patient.id)
        state.awaiting_language = True
        store.save_state(session, patient.id, state, now)
        tr = translator(state.locale)
        rows = store.enqueue(
            session,
            patient_id=patient.id,
            channel=inbound.channel,
            address=inbound.address,
            messages=[Outgoing("confirmation", _welcome(app, tr)), language_menu(tr)],
            dedupe_prefix=f"in:{row.id}",
            now=now,
            in_reply_to=row.id,
        )
        return HandleResult("processed", _ids(rows))


def not_enrolled(app: App, inbound: Inbound, locale_hint: str) -> HandleResult:
    """A chat that is not enrolled gets how to join, and nothing else is done with its message."""
    now = app.pipeline.now()
    with session_scope(app.db) as session:
        row = store.record_inbound(session, inbound, None)
        if row is None:
            return HandleResult("duplicate")
        if _is_stop(inbound.text):  # remembered, and nothing more is said to them
            privacy.record_address_optout(
                session.connection(), channel=inbound.channel, address=inbound.address, now=now
            )
            return HandleResult("unknown_sender")
        tr = translator(locale_hint)
        reply = Outgoing(
            "reply",
            tr.gettext(
                "{program}: this chat is not linked to the program. To join, open the link "
                "from your clinic, or call {phone}."
            ).format(program=app.program.name_in(tr.code), phone=app.program.phone_in(tr.code)),
        )
        return HandleResult("unknown_sender", _refuse(session, inbound, row, reply, now))


def _is_stop(text: str) -> bool:
    keyword = classify(text)
    return keyword is not None and keyword.command is Command.STOP


def _refuse(
    session: Session, inbound: Inbound, row: InboundMessage, reply: Outgoing, now: datetime
) -> tuple[int, ...]:
    """Queue a refusal to a chat that is not enrolled: one per chat per (UTC) day at most, so a
    stranger's flood of messages or guesses cannot flood the outbox."""
    rows = store.enqueue(
        session,
        patient_id=None,
        channel=inbound.channel,
        address=inbound.address,
        messages=[reply],
        dedupe_prefix=f"refusal:{inbound.channel}:{inbound.address}:{now.date().isoformat()}",
        now=now,
        in_reply_to=row.id,
    )
    return _ids(rows)


def _note_throttle(session: Session, channel: str, limit: Throttle, now: datetime) -> None:
    """Log every refused attempt; audit (so staff see it) the first that hits the total limit
    in each hour, since legitimate links are refused too until the hour has passed."""
    log.warning("enrolment attempt throttled (%s limit) on %s", limit, channel)
    if limit != "total":
        return
    hour = now.replace(minute=0, second=0, microsecond=0)
    already = session.exec(
        select(AuditLog.id).where(
            AuditLog.action == "enrolment.throttled",
            AuditLog.object_id == channel,
            col(AuditLog.at) >= hour,
        )
    ).first()
    if already is None:
        audit.record(
            session,
            actor="pathbot",
            action="enrolment.throttled",
            object_type="channel",
            object_id=channel,
            detail={"limit_per_hour": ATTEMPTS_PER_HOUR},
            now=now,
        )


def request_survey(app: App, inbound: Inbound, instrument_id: str) -> HandleResult:
    """`/pain`: start the survey now, in the transaction that stores (and dedupes) the request."""
    now = app.pipeline.now()
    conversation = app.conversation
    with session_scope(app.db) as session:
        identity = store.find_identity(session, inbound.channel, inbound.address)
        if identity is None:
            return HandleResult("unknown_sender")
        patient = session.get(Patient, identity.patient_id)
        assert patient is not None and patient.id is not None
        row = store.record_inbound(session, inbound, patient.id)
        if row is None:
            return HandleResult("duplicate")
        state = store.load_state(session, patient.id)
        if state.mode == "stopped":
            return HandleResult("processed")  # after an opt-out only START and HELP answer
        resume = Keyword(Command.RESUME)
        if state.survey is not None:  # finish the questions already under way first
            steps = [conversation.on_keyword(state, resume)]
        else:
            instrument = load_instrument(instrument_id, None)
            assignment = store.create_assignment(
                session,
                patient=patient,
                instrument_id=instrument.id,
                version=instrument.version,
                timepoint="patient_request",
                now=now,
            )
            assert assignment.id is not None
            pending = PendingSurvey(assignment.id, instrument.id, instrument.version)
            steps = [conversation.start_survey(state, pending)]
            if state.mode != "active":  # paused: the request resumes; on hold: says so
                steps.append(conversation.on_keyword(steps[0].state, resume))
        outgoing: list[Outgoing] = []
        for step in steps:
            completed = store.apply_events(
                session,
                patient=patient,
                events=step.events,
                channel=inbound.channel,
                now=now,
                inbound=row,
            )
            flag_completed(session, completed, now)
            outgoing.extend(step.outgoing)
        store.save_state(session, patient.id, steps[-1].state, now)
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
        return HandleResult("processed", _ids(rows))


def answer_recorded(app: App, channel: str, provider_message_id: str) -> bool:
    """Whether a button press was stored as an answer (a press on an old question is not)."""
    with Session(app.db) as session:
        found = session.exec(
            select(ItemResponse.id).where(
                ItemResponse.provider_message_id == provider_message_id,
                ItemResponse.channel == channel,
                col(ItemResponse.superseded_at).is_(None),
            )
        ).first()
        return found is not None


def button_is_live(app: App, channel: str, address: str, press: ButtonPress) -> bool:
    """Whether a pressed button belongs to the question open now in this chat (issue 13)."""
    with Session(app.db) as session:
        patient = _patient(session, channel, address)
        if patient is None or patient.id is None:
            return False
        state = store.load_state(session, patient.id, for_update=False)
        return app.conversation.button_is_live(state, press)


def chat_locale(app: App, channel: str, address: str) -> str:
    with Session(app.db) as session:
        patient = _patient(session, channel, address)
        return patient.locale if patient else app.settings.default_locale


def trend_chart(app: App, channel: str, address: str) -> bytes | None:
    """The patient's pain chart as a PNG, or None when there is nothing to draw."""
    with Session(app.db) as session:
        patient = _patient(session, channel, address)
        if patient is None or patient.id is None:
            return None
        history = pain_history(session, patient.id)
        locale, timezone = patient.locale, patient.timezone
    if not history:
        return None
    return render_chart(history, translator(locale), timezone)


def _patient(session: Session, channel: str, address: str) -> Patient | None:
    identity = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    ).first()
    return session.get(Patient, identity.patient_id) if identity else None


def _welcome(app: App, tr: Translator) -> str:
    return tr.gettext(
        "Welcome to {program}. This chat is now linked to your care team. We will send your "
        "questions and reminders here. Telegram chats are not fully private: Telegram and "
        "anyone who uses this phone could read them. Send /stop at any time to end. "
        "Help: {phone}."
    ).format(program=app.program.name_in(tr.code), phone=app.program.phone_in(tr.code))


def _refusal(app: App, tr: Translator, status: str) -> str:
    phone = app.program.phone_in(tr.code)
    if status == "used":
        text = tr.gettext(
            "This link was already used. Please ask the clinic for a new one at {phone}."
        )
    elif status in ("expired", "revoked"):  # revoked: the clinic has made a newer link
        text = tr.gettext("This link has expired. Please ask the clinic for a new one at {phone}.")
    else:
        text = tr.gettext(
            "This link does not work. Please check it, or call the clinic at {phone}."
        )
    return text.format(phone=phone)


def _ids(rows: list[OutboxMessage]) -> tuple[int, ...]:
    return tuple(r.id for r in rows if r.id is not None)
