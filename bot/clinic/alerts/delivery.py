"""A message that will never reach the patient is a staff alert, not a quiet row in the outbox.

Called in the transaction that records the final failure (the dispatcher's, or a provider's
"undelivered" status callback), once per outbox row. A safety reply (the crisis answer, the HELP
text) that will never arrive is "reply_undelivered", which the alert rounds send at once; any
other message is "send_failed", in the digest. A message to an address that is no patient's (the
reply to a stranger) has no one to alert about: it is logged.

A survey's question or a reminder queued on the voice channel with no call in progress
("voice_no_call") is not a lost message: the phone tier calls the patient about the open survey
(bot/schedule/voice_calls.py), and a survey the calls do not reach is on the staff "to call" list.
No alert then; the failed row and a log line are its witness. Without an active voice line the
call tier cannot take over, and staff are alerted as for any failure.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from bot.conversation.messages import SAFETY_KINDS
from bot.db.models import Alert, ChannelIdentity, OutboxMessage, Patient

log = logging.getLogger(__name__)

SEND_FAILED = "send_failed"
REPLY_UNDELIVERED = "reply_undelivered"  # urgent: a crisis answer or HELP text (issue 12)
VOICE_NO_CALL = "voice_no_call"  # bot/channels/voice/adapter.py: nothing to say it on
CALL_TIER_KINDS = ("prompt", "reminder")
SEND_FAILURE_KINDS = (SEND_FAILED, REPLY_UNDELIVERED)


def record_send_failure(session: Session, row: OutboxMessage, now: datetime) -> Alert | None:
    """Log a permanent failure and, for a patient's message, raise one alert; None when there
    is no patient, or the row was alerted already."""
    log.warning(
        "message %s on %s failed for good (%s, kind %s)",
        row.id,
        row.channel,
        row.error_code or "unknown",
        row.kind,
    )
    if row.patient_id is None:
        return None
    if _call_tier_takes_over(session, row):
        log.info("message %s waits for the phone tier's call (no alert)", row.id)
        return None
    rule_id = f"outbox:{row.id}"
    if session.exec(select(Alert.id).where(Alert.rule_id == rule_id)).first() is not None:
        return None  # a status callback after the dispatcher's own final failure
    alert = Alert(
        patient_id=row.patient_id,
        kind=REPLY_UNDELIVERED if row.kind in SAFETY_KINDS else SEND_FAILED,
        rule_id=rule_id,
        created_at=now,
    )
    session.add(alert)
    return alert


def _call_tier_takes_over(session: Session, row: OutboxMessage) -> bool:
    """A question or reminder that found no call to be said on, for a patient the phone tier
    will call: an active voice line, and a patient who has not stopped everything."""
    if row.channel != "voice" or row.error_code != VOICE_NO_CALL or row.kind not in CALL_TIER_KINDS:
        return False
    patient = session.get(Patient, row.patient_id)
    if patient is None or patient.status == "stopped":
        return False
    line = session.exec(
        select(ChannelIdentity.id).where(
            ChannelIdentity.patient_id == row.patient_id,
            ChannelIdentity.channel == "voice",
            ChannelIdentity.status == "active",
        )
    ).first()
    return line is not None
