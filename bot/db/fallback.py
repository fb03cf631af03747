"""Reach the patient on another channel when a send to the preferred one fails for good.

Unsolicited messages (reminders, a survey's questions) first go to `Patient.preferred_channel`.
When that send fails for good (the number opted out at the carrier, a dead number, retries
exhausted, an undelivered status callback), one copy goes to another active channel of the same
patient. Replies to the patient's own message are not re-routed: they answer where they were
asked. Nothing is re-routed for a patient who opted out.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.db.models import ChannelIdentity, OutboxMessage, Patient

FALLBACK_KINDS = ("reminder", "prompt")


def after_final_failure(
    session: Session, row: OutboxMessage, *, now: datetime
) -> OutboxMessage | None:
    """Queue one copy of a failed unsolicited message on another channel; None when none fits."""
    if row.kind not in FALLBACK_KINDS or row.in_reply_to is not None or row.patient_id is None:
        return None
    patient = session.get(Patient, row.patient_id)
    if patient is None or patient.status == "stopped":
        return None
    others = session.exec(
        select(ChannelIdentity)
        .where(
            ChannelIdentity.patient_id == row.patient_id,
            ChannelIdentity.status == "active",
            ChannelIdentity.channel != row.channel,
        )
        .order_by(col(ChannelIdentity.id))
    ).all()
    if not others:
        return None
    key = f"fallback:{row.id}"
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return None  # already re-routed once
    target = others[0]
    copy = OutboxMessage(
        dedupe_key=key,
        patient_id=row.patient_id,
        channel=target.channel,
        address=target.address,
        kind=row.kind,
        body=row.body,
        hint=row.hint,
        options=list(row.options),
        not_before=now,
        created_at=now,
    )
    session.add(copy)
    session.flush()
    return copy
