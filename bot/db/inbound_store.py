"""The inbound hot path's rows, written with SQLAlchemy Core on the message's one connection.

Every answer a patient sends runs these statements, so they are built once here and executed
with bind parameters: no ORM objects, no per-call statement building. Rarer events (a survey
completed, an opt-out, crisis) still go through `bot.db.store` on an ORM session bound to the
same connection, so one transaction covers everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.conversation.events import AnswerRecorded
from bot.conversation.messages import Inbound, Outgoing
from bot.conversation.state import ConversationState
from bot.db.models import (
    ChannelIdentity,
    Conversation,
    InboundMessage,
    ItemResponse,
    OutboxMessage,
    Patient,
)


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


_patient = _table(Patient)
_identity = _table(ChannelIdentity)
_conversation = _table(Conversation)
_inbound = _table(InboundMessage)
_answer = _table(ItemResponse)
_outbox = _table(OutboxMessage)

_FIND_PATIENT = (
    select(_patient)
    .join(_identity, _identity.c.patient_id == _patient.c.id)
    .where(_identity.c.channel == bindparam("b_channel"))
    .where(_identity.c.address == bindparam("b_address"))
    .limit(1)
)
# The patient and their conversation state in one round trip, the state row locked on
# PostgreSQL until the transaction ends (SQLite holds BEGIN IMMEDIATE's write lock instead).
_FIND_PATIENT_AND_STATE = (
    select(_patient, _conversation.c.state.label("conversation_state"))
    .join(_identity, _identity.c.patient_id == _patient.c.id)
    .join(_conversation, _conversation.c.patient_id == _patient.c.id)
    .where(_identity.c.channel == bindparam("b_channel"))
    .where(_identity.c.address == bindparam("b_address"))
    .limit(1)
    .with_for_update(of=_conversation)
)
# The same, with the chat's own status (a button press: a blocked chat that presses is back).
_FIND_CHAT_PATIENT = _FIND_PATIENT.add_columns(_identity.c.status.label("identity_status"))
_FIND_CHAT_PATIENT_AND_STATE = _FIND_PATIENT_AND_STATE.add_columns(
    _identity.c.status.label("identity_status")
)
_MARK_REACHABLE = (
    update(_identity)
    .where(
        _identity.c.channel == bindparam("b_channel"),
        _identity.c.address == bindparam("b_address"),
        _identity.c.status == "unreachable",
    )
    .values(status="active")
)
_SAVE_STATE = update(_conversation).where(_conversation.c.patient_id == bindparam("b_patient_id"))
_INSERT_STATE = insert(_conversation)
_SET_STATUS = update(_patient).where(_patient.c.id == bindparam("b_patient_id"))
# BACK then a new answer: the old one stays as history, marked superseded.
_SUPERSEDE = update(_answer).where(
    _answer.c.assignment_id == bindparam("b_assignment_id"),
    _answer.c.item_id == bindparam("b_item_id"),
    _answer.c.superseded_at.is_(None),
)
_INSERT_ANSWER = insert(_answer)


def _insert_unless_exists(table: Table, unique: list[str]) -> dict[str, Any]:
    """INSERT .. ON CONFLICT (unique) DO NOTHING RETURNING id, per dialect."""
    return {
        "postgresql": postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.id),
        "sqlite": sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.id),
    }


_INSERT_INBOUND = _insert_unless_exists(_inbound, ["channel", "provider_message_id"])
_INSERT_OUTBOX = _insert_unless_exists(_outbox, ["dedupe_key"])


def find_patient_and_state(
    conn: Connection, channel: str, address: str
) -> tuple[dict[str, Any], ConversationState] | None:
    """The patient row behind a channel address and their (locked) state; None for a stranger."""
    params = {"b_channel": channel, "b_address": address}
    row = conn.execute(_FIND_PATIENT_AND_STATE, params).first()
    if row is None:  # a stranger, or (rarely) a patient with no conversation row yet
        row = conn.execute(_FIND_PATIENT, params).first()
        if row is None:
            return None
        return dict(row._mapping), ConversationState()
    patient = dict(row._mapping)
    data = patient.pop("conversation_state")
    return patient, ConversationState.from_dict(dict(data) if data is not None else None)


def find_chat_patient(
    conn: Connection, channel: str, address: str
) -> tuple[dict[str, Any], ConversationState, str] | None:
    """`find_patient_and_state`, and the status of the chat itself (active, unreachable, ...)."""
    params = {"b_channel": channel, "b_address": address}
    row = conn.execute(_FIND_CHAT_PATIENT_AND_STATE, params).first()
    if row is None:
        row = conn.execute(_FIND_CHAT_PATIENT, params).first()
        if row is None:
            return None
        patient = dict(row._mapping)
        return patient, ConversationState(), patient.pop("identity_status")
    patient = dict(row._mapping)
    status = patient.pop("identity_status")
    data = patient.pop("conversation_state")
    state = ConversationState.from_dict(dict(data) if data is not None else None)
    return patient, state, status


def mark_reachable(conn: Connection, channel: str, address: str) -> None:
    """A chat marked unreachable (the patient had blocked the bot) wrote to us: it is active."""
    conn.execute(_MARK_REACHABLE, {"b_channel": channel, "b_address": address})


def record_inbound(conn: Connection, inbound: Inbound, patient_id: int | None) -> int | None:
    """Store an inbound message, returning its id; None when its provider id is stored (a retry)."""
    values = {
        "channel": inbound.channel,
        "provider_message_id": inbound.provider_message_id,
        "address": inbound.address,
        "patient_id": patient_id,
        "body": inbound.text,
        "received_at": inbound.received_at,
        "triage_tier": 0,
    }
    new_id: int | None = conn.execute(_dialect_statement(conn, _INSERT_INBOUND), values).scalar()
    return new_id


def record_answer(
    conn: Connection,
    *,
    patient_id: int,
    event: AnswerRecorded,
    channel: str,
    provider_message_id: str | None,
    now: datetime,
    may_have_answer: bool = True,
) -> None:
    """Store one answer; an earlier answer to the same item becomes history (superseded).

    The caller passes may_have_answer=False when it knows the item has no stored answer (the
    conversation state says so), which saves the UPDATE on almost every answer.
    """
    if may_have_answer:
        conn.execute(
            _SUPERSEDE,
            {
                "b_assignment_id": event.assignment_id,
                "b_item_id": event.item_id,
                "superseded_at": now,
            },
        )
    conn.execute(
        _INSERT_ANSWER,
        {
            "assignment_id": event.assignment_id,
            "patient_id": patient_id,
            "instrument_id": event.instrument_id,
            "item_id": event.item_id,
            "raw_text": event.raw_text,
            "option_code": event.option_code,
            "coded_value": event.value,
            "status": event.status,
            "parser_version": event.parser_version,
            "language": event.language,
            "channel": channel,
            "provider_message_id": provider_message_id,
            "answered_at": now,
            "superseded_at": None,
        },
    )


def save_state(
    conn: Connection,
    *,
    patient_id: int,
    state: ConversationState,
    old_status: str | None,
    now: datetime,
) -> None:
    """Store the engine's state; the patient's status column mirrors its mode for staff."""
    if old_status is not None and old_status != state.mode:
        conn.execute(_SET_STATUS, {"b_patient_id": patient_id, "status": state.mode})
    data = state.to_dict()
    result = conn.execute(
        _SAVE_STATE, {"b_patient_id": patient_id, "state": data, "updated_at": now}
    )
    if result.rowcount == 0:
        conn.execute(_INSERT_STATE, {"patient_id": patient_id, "state": data, "updated_at": now})


def enqueue(
    conn: Connection,
    *,
    patient_id: int | None,
    channel: str,
    address: str,
    messages: Sequence[Outgoing],
    dedupe_prefix: str,
    now: datetime,
    in_reply_to: int | None = None,
) -> list[int]:
    """Put messages in the outbox (one statement); returns the new ids, in message order.

    The dedupe key makes a repeated cause enqueue nothing new.
    """
    if not messages:
        return []
    rows = [
        {
            "dedupe_key": f"{dedupe_prefix}:{index}",
            "patient_id": patient_id,
            "channel": channel,
            "address": address,
            "kind": message.kind,
            "body": message.text,
            "hint": message.hint,
            "options": [o.as_dict() for o in message.options],
            "in_reply_to": in_reply_to,
            "status": "pending",
            "attempts": 0,
            "not_before": now,
            "created_at": now,
        }
        for index, message in enumerate(messages)
    ]
    statement = _dialect_statement(conn, _INSERT_OUTBOX)
    if len(rows) == 1:  # the usual case: skip the executemany ("insertmanyvalues") machinery
        new_id = conn.execute(statement, rows[0]).scalar()
        return [] if new_id is None else [new_id]
    # ids grow in insertion order, which is message order
    return sorted(conn.execute(statement, rows).scalars().all())


def _dialect_statement(conn: Connection, statements: dict[str, Any]) -> Any:
    try:
        return statements[conn.dialect.name]
    except KeyError:
        name = conn.dialect.name
        raise RuntimeError(f"pathbot runs on SQLite or PostgreSQL, not {name}") from None
