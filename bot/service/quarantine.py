"""An inbound message the pipeline cannot process is quarantined, never retried for ever or lost.

A database outage is worth a retry (the webhook answers 503 and the provider delivers again).
Anything else that fails while handling one message (a value the database refuses, a bug) would
fail the same way on every redelivery: the webhook would answer 5xx until the provider gave up
and the message, a crisis message included, would be lost. Instead the message is stored whole
in the quarantine table, staff are alerted (a crisis alert too when triage reads crisis language
in it), the patient is answered (the crisis resources, or "we could not process that; the team
has been told"), and the provider gets a 2xx.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from sqlmodel import Session

from bot.conversation import triage
from bot.conversation.i18n import translator
from bot.conversation.messages import HandleResult, Inbound, Outgoing
from bot.conversation.state import ConversationState
from bot.db import quarantine as quarantine_store
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Alert, Patient
from bot.service.app import App

log = logging.getLogger(__name__)

_BOT_ROOT = Path(__file__).resolve().parents[1]


def quarantine_inbound(app: App, inbound: Inbound, exc: BaseException) -> HandleResult:
    """Keep `inbound`, alert staff, answer the patient; runs in a worker thread."""
    now = app.pipeline.now()
    summary = error_summary(exc)
    assessment = triage.assess(inbound.text)
    with session_scope(app.db) as session:
        if quarantine_store.is_quarantined(session, inbound):
            return HandleResult("duplicate")
        patient = _patient(session, inbound)
        patient_id = patient.id if patient is not None else None
        row = quarantine_store.quarantine(
            session,
            inbound,
            error=summary,
            patient_id=patient_id,
            triage_tier=assessment.tier,
            now=now,
        )
        if patient_id is not None:
            session.add(
                Alert(
                    patient_id=patient_id,
                    kind="quarantined",
                    rule_id=f"quarantine:{row.id}",
                    created_at=now,
                )
            )
            if assessment.tier > 0:
                session.add(
                    Alert(
                        patient_id=patient_id,
                        kind="crisis" if assessment.tier in (1, 2) else "distress",
                        tier=assessment.tier,
                        rule_id=assessment.rule_id,
                        rules_version=assessment.rules_version,
                        created_at=now,
                    )
                )
        locale = patient.locale if patient is not None else app.settings.default_locale
        quarantine_id = row.id
    log.error(
        "inbound %s message quarantined as #%s (%s)%s",
        inbound.channel,
        quarantine_id,
        summary,
        "" if patient_id is not None else "; sender is not a patient",
    )
    if patient_id is None:
        return HandleResult("quarantined")
    return HandleResult("quarantined", _answer(app, inbound, patient_id, locale, assessment))


def _answer(
    app: App, inbound: Inbound, patient_id: int, locale: str, assessment: triage.TriageResult
) -> tuple[int, ...]:
    """The crisis resources when triage read crisis language, else a plain apology; in a
    transaction of its own, so a reply that cannot be queued leaves the quarantine in place."""
    if assessment.tier > 0:
        outgoing = app.conversation.on_crisis(ConversationState(locale=locale), assessment).outgoing
    else:
        tr = translator(locale)
        text = tr.gettext(
            "{program}: sorry, we could not process your last message. The care team has been "
            "told. You can also call {phone}."
        ).format(program=app.program.name_in(tr.code), phone=app.program.phone_in(tr.code))
        outgoing = (Outgoing("reply", text),)
    try:
        with session_scope(app.db) as session:
            rows = store.enqueue(
                session,
                patient_id=patient_id,
                channel=inbound.channel,
                address=inbound.address,
                messages=outgoing,
                dedupe_prefix=f"quarantine:{inbound.channel}:{inbound.provider_message_id}"[:190],
                now=app.pipeline.now(),
            )
            return tuple(r.id for r in rows if r.id is not None)
    except Exception as exc:  # noqa: BLE001 - the message and the alert are kept already
        log.error("could not queue the answer to a quarantined message (%s)", error_summary(exc))
        return ()


def _patient(session: Session, inbound: Inbound) -> Patient | None:
    try:
        identity = store.find_identity(session, inbound.channel, inbound.address)
    except Exception:  # noqa: BLE001 - the address itself may be what the database refuses
        session.rollback()
        return None
    return session.get(Patient, identity.patient_id) if identity is not None else None


def error_summary(exc: BaseException) -> str:
    """The error's class, SQLSTATE and where in pathbot it was raised; never its message, which
    can quote the values (a patient's text, a phone number) that were being written."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(_BOT_ROOT):
            where = f" at {path.relative_to(_BOT_ROOT.parent)}:{frame.lineno}"
            break
    return f"{kind}{f' (SQLSTATE {sqlstate})' if sqlstate else ''}{where}"
