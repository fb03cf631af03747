"""Quarantined inbound messages: kept whole when the pipeline cannot process them, for staff.

Values are stored JSON-escaped (`json.dumps`), so any length and any code point can be written
and read back exactly (`json.loads`), whatever made the pipeline fail.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from bot.conversation.messages import Inbound
from bot.db.reliability_models import QuarantinedInbound

ERROR_CHARS = 200


def is_quarantined(session: Session, inbound: Inbound) -> bool:
    """Whether this provider message was quarantined already (a redelivery)."""
    found = session.exec(
        select(QuarantinedInbound.id).where(
            QuarantinedInbound.channel == inbound.channel[:16],
            QuarantinedInbound.provider_message_id == _escaped(inbound.provider_message_id),
        )
    ).first()
    return found is not None


def quarantine(
    session: Session,
    inbound: Inbound,
    *,
    error: str,
    patient_id: int | None,
    triage_tier: int,
    now: datetime,
) -> QuarantinedInbound:
    row = QuarantinedInbound(
        channel=inbound.channel[:16],
        provider_message_id=_escaped(inbound.provider_message_id),
        address=_escaped(inbound.address),
        body=_escaped(inbound.text),
        patient_id=patient_id,
        error=error[:ERROR_CHARS],
        triage_tier=triage_tier,
        received_at=inbound.received_at,
        quarantined_at=now,
    )
    session.add(row)
    session.flush()
    return row


def unreviewed(session: Session) -> list[QuarantinedInbound]:
    return list(
        session.exec(
            select(QuarantinedInbound)
            .where(col(QuarantinedInbound.reviewed_at).is_(None))
            .order_by(col(QuarantinedInbound.id))
        ).all()
    )


def original_text(row: QuarantinedInbound) -> str:
    """The message as it arrived."""
    text: str = json.loads(row.body)
    return text


def _escaped(value: str) -> str:
    return json.dumps(value)
