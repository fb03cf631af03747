"""Strangers' data: opt-outs of addresses that are not patients, and the retention of their
messages.

A stranger is an address with no patient behind it: a wrong number, someone trying a link, a
spammer. Their messages are kept only as long as the retention setting says
(`PATHBOT_STRANGER_RETENTION_DAYS`, `pathbot privacy purge-strangers`), long enough to see what
happened and to throttle enrolment guesses (one hour), no longer. Their STOP is kept for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.models import Alert, InboundMessage, OutboxMessage
from bot.db.privacy_models import AddressOptOut

# Outbox states after which a row will never be sent again (a stranger's reply may be purged).
FINISHED = ("sent", "delivered", "failed", "cancelled", "dropped")


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


_optout = _table(AddressOptOut)
_inbound = _table(InboundMessage)
_outbox = _table(OutboxMessage)
_alert = _table(Alert)


def record_address_optout(conn: Connection, *, channel: str, address: str, now: datetime) -> None:
    """Remember that this address said STOP (the first time counts; repeats change nothing)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_optout)
        .values(channel=channel, address=address, opted_out_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "address"])
    )
    conn.execute(statement)


def address_opted_out(conn: Connection, *, channel: str, address: str) -> bool:
    query = select(_optout.c.id).where(_optout.c.channel == channel, _optout.c.address == address)
    return conn.execute(query).first() is not None


def clear_address_optout(conn: Connection, *, channel: str, address: str) -> None:
    """The person behind the address opted in themselves: their earlier STOP no longer binds."""
    conn.execute(delete(_optout).where(_optout.c.channel == channel, _optout.c.address == address))


@dataclass(frozen=True)
class Purged:
    inbound: int
    outbox: int


def purge_strangers(conn: Connection, *, before: datetime) -> Purged:
    """Delete strangers' messages received before `before`, and the finished replies to them.

    A message that later became a patient's (a redeemed link) is the patient's, not purged.
    Replies still waiting to go out are kept (they are sent, then purged next time).
    """
    old = select(_inbound.c.id).where(
        _inbound.c.patient_id.is_(None), _inbound.c.received_at < before
    )
    outbox = conn.execute(
        delete(_outbox).where(
            _outbox.c.patient_id.is_(None),
            _outbox.c.created_at < before,
            _outbox.c.status.in_(FINISHED),
        )
    ).rowcount
    # A patient's row never points at a stranger's message, but keep every link valid anyway.
    conn.execute(update(_outbox).where(_outbox.c.in_reply_to.in_(old)).values(in_reply_to=None))
    conn.execute(
        update(_alert).where(_alert.c.inbound_message_id.in_(old)).values(inbound_message_id=None)
    )
    inbound = conn.execute(delete(_inbound).where(_inbound.c.id.in_(old))).rowcount
    return Purged(inbound=inbound or 0, outbox=outbox or 0)
