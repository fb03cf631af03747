"""Claiming a request's own replies for the direct send (`Dispatcher.send_now`), with Core.

Every answer a patient sends ends here: the rows its request just committed are claimed
(pending -> sending, with the lease) by one UPDATE ... RETURNING, which also returns each row's
patient language, instead of an ORM select, a second select for the order, an ORM flush and a
select of the patients. What the general claim (`dispatcher._claim`) promises holds here too:

- only due rows of running channels are claimed (a channel whose direct backlog is full, only
  its safety replies: `Dispatcher.send_now`); on PostgreSQL a row another worker has locked
  is skipped (the inner SELECT ... FOR UPDATE SKIP LOCKED), never waited for;
- a patient's messages keep their order: a row is not claimed while an earlier one to the same
  address is unsent elsewhere (another worker holds it, or it is due and not among these rows),
  except a safety reply, which may overtake anything (`dispatcher._in_order`);
- the send rules: a row no rule but ownership can stop (`send_rules.unstoppable`: a crisis or
  HELP reply, a confirmation, a direct answer to the patient's own message) needs no re-check;
  any other row among them is judged by `send_rules.verdict` in the same transaction, as the
  general claim does (rare here: a request's replies are almost always answers to it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, exists, not_, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from bot.conversation.messages import SAFETY_KINDS
from bot.db.database import writer
from bot.db.models import OutboxMessage, Patient
from bot.service import send_rules
from bot.service.send_rules import SendRules


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


_outbox = _table(OutboxMessage)
_patient = _table(Patient)
# The rows looked at (an alias: inside the UPDATE, the table's own name means the row updated)
_candidate = aliased(_outbox, name="candidate")
_earlier = aliased(_outbox, name="earlier")


def _due(table: Any, now: Any, lease_end: Any) -> Any:
    """Pending and due, or claimed by a worker whose lease has run out."""
    return or_(
        and_(table.c.status == "pending", table.c.not_before <= now),
        and_(table.c.status == "sending", table.c.claimed_at < lease_end),
    )


# An earlier row to the same address, unsent, that this claim does not take and this process
# does not hold: the row after it must wait (question 2 never overtakes question 1).
_BLOCKED = exists(
    select(_earlier.c.id).where(
        _earlier.c.address == _candidate.c.address,
        _earlier.c.id < _candidate.c.id,
        _earlier.c.id.not_in(bindparam("held", expanding=True)),
        or_(
            _earlier.c.status == "sending",
            and_(_earlier.c.status == "pending", _earlier.c.not_before <= bindparam("now")),
        ),
        not_(
            and_(
                _earlier.c.id.in_(bindparam("ids", expanding=True)),
                _due(_earlier, bindparam("now"), bindparam("lease_end")),
            )
        ),
    )
)
_CLAIMABLE = (
    select(_candidate.c.id)
    .where(
        _candidate.c.id.in_(bindparam("ids", expanding=True)),
        or_(
            _candidate.c.channel.in_(bindparam("channels", expanding=True)),
            and_(
                _candidate.c.kind.in_(SAFETY_KINDS),
                _candidate.c.channel.in_(bindparam("safety_channels", expanding=True)),
            ),
        ),
        _due(_candidate, bindparam("now"), bindparam("lease_end")),
        or_(_candidate.c.kind.in_(SAFETY_KINDS), not_(_BLOCKED)),
    )
    .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds its write lock instead
)
_LOCALE = (
    select(_patient.c.locale)
    .where(_patient.c.id == _outbox.c.patient_id)
    .correlate(_outbox)
    .scalar_subquery()
    .label("patient_locale")
)
_CLAIM = (
    update(_outbox)
    .where(_outbox.c.id.in_(_CLAIMABLE.scalar_subquery()))
    .values(status="sending", claimed_at=bindparam("now"))
    .returning(*_outbox.c, _LOCALE)
)


def claim_replies(
    db: Engine,
    channels: Sequence[str],
    now: datetime,
    ids: Collection[int],
    *,
    held: Collection[int],
    lease_end: datetime,
    rules: SendRules | None,
    safety_channels: Sequence[str] | None = None,
) -> tuple[list[OutboxMessage], dict[int, str | None]]:
    """Claim these rows (a request's replies, just committed) where due and in order; returns
    the rows cleared to go (safety replies first, then by id) and their patient's language.
    A row the send rules held, dropped or cancelled is changed here and not returned.
    `safety_channels` (default: `channels`): where a safety reply may be claimed even though
    the channel is not among `channels` (its direct backlog is full; see the dispatcher)."""
    safety = list(channels) if safety_channels is None else list(safety_channels)
    params = {
        "ids": list(ids),
        # (an empty IN list renders as a special form: a value no row has stands in)
        "held": list(held) or [-1],
        "channels": list(channels) or [""],
        "safety_channels": safety or [""],
        "now": now,
        "lease_end": lease_end,
    }
    with writer(db).begin() as conn:
        returned = conn.execute(_CLAIM, params).mappings().all()
        claimed: list[tuple[OutboxMessage, str | None]] = []
        for found in returned:
            values = dict(found)
            locale = values.pop("patient_locale")
            claimed.append((OutboxMessage(**values), locale))
        claimed.sort(key=lambda pair: (pair[0].kind not in SAFETY_KINDS, pair[0].id or 0))
        to_judge = [row for row, _ in claimed if not send_rules.unstoppable(row)]
        refused = _judge(conn, to_judge, now, rules) if to_judge else set()
    cleared = {row.id or 0: locale for row, locale in claimed if (row.id or 0) not in refused}
    return [row for row, _ in claimed if (row.id or 0) in cleared], cleared


def _judge(
    conn: Any, rows: list[OutboxMessage], now: datetime, rules: SendRules | None
) -> set[int]:
    """The send rules for rows they could stop, through the ORM on the claim's connection; the
    ids of those that may not go (already changed: held, dropped or cancelled)."""
    refused: set[int] = set()
    with Session(
        bind=conn, expire_on_commit=False, join_transaction_mode="conditional_savepoint"
    ) as session:
        for row in rows:
            patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
            if send_rules.verdict(session, row, patient, now, rules) != "send":
                refused.add(row.id or 0)
        session.flush()
    return refused
