"""The order sends are served in: first come, first served by the arrival of their CAUSE.

Under Telegram's limits (30 messages a second per bot) sends wait, and what the patient feels is
the wait from their answer to the next question. Served in the order each send happened to reach
a queue (the dispatcher's gate, the Bot API limiter), a patient who answered early could wait
behind patients who answered later, and the slowest waits (p99) grew with the load. So every send
carries the arrival time of the inbound message that caused it (`since`), and the queues in front
of the provider serve the earliest cause first; crisis answers and HELP texts (`urgent`) still go
ahead of everything.

The stamp lives in a context variable: a channel adapter stamps an inbound message as it starts
handling it (`arrived`), and whatever that handling does inherits the stamp, including the tasks
it starts (asyncio copies the context into a new task): the answer to a button press, the edit of
the question, the direct send of the replies the request committed. The dispatcher stamps each
send it makes itself (`serving`), since one recipient's task sends messages of several causes;
a row found by the sweep is stamped with its age (`since_for_age`).

Stamps are `time.monotonic()` seconds: only compared within this process.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SendOrder:
    """Where a send stands in line: urgent ones first, then by the arrival of the cause."""

    rank: int  # 0: a crisis answer or HELP text; 1: everything else
    since: float  # time.monotonic() when the cause arrived

    @property
    def urgent(self) -> bool:
        return self.rank == URGENT


URGENT = 0
ORDINARY = 1

_current: ContextVar[SendOrder | None] = ContextVar("pathbot_send_order", default=None)


def arrived(at: float | None = None) -> None:
    """An inbound message arrived (now, or `at`): what handling it sends is stamped with that.
    Call it at the start of the handler's own task (the stamp stays with that task's context)."""
    _current.set(SendOrder(ORDINARY, time.monotonic() if at is None else at))


def stamp() -> SendOrder | None:
    """The stamp of what is being handled, if anything stamped it (None: nothing did)."""
    return _current.get()


def current() -> SendOrder:
    """The stamp of the send being made; a send with no stamp (a start-up call, a test) counts
    as arriving now, so it queues behind everything that arrived before it."""
    order = _current.get()
    return order if order is not None else SendOrder(ORDINARY, time.monotonic())


def arrival() -> float:
    """The arrival time of the cause of what is being handled now (now, if none)."""
    return current().since


@contextlib.contextmanager
def serving(since: float, *, urgent: bool = False) -> Iterator[SendOrder]:
    """Stamp the sends made inside the block (the dispatcher, one message at a time)."""
    order = SendOrder(URGENT if urgent else ORDINARY, since)
    token = _current.set(order)
    try:
        yield order
    finally:
        _current.reset(token)


def since_for_age(age_seconds: float, *, now: float | None = None) -> float:
    """The stamp of a message that has waited `age_seconds` (by the application's clock, which
    tests may set) since its cause: as if it arrived that long before now on this clock."""
    return (time.monotonic() if now is None else now) - max(0.0, age_seconds)
