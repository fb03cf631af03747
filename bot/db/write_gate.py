"""SQLite writers of one process wait their turn in a FIFO gate, not in SQLite's busy handler.

SQLite lets one connection write at a time. A second `BEGIN IMMEDIATE` meets SQLITE_BUSY and
its busy handler sleeps and retries (1, 2, 5 ... 100 ms): writers that arrived first may sleep
through the moment the lock frees while a late one takes it, so under load the wait is long and
unfair (a webhook's p99 grew to seconds). Writers in the same process therefore take this gate
first, in arrival order, and are handed the write lock the moment the previous writer commits
or rolls back. Writers in other processes still meet SQLite's busy timeout as before.

Only transactions that begin with BEGIN IMMEDIATE (`database.writer`) take the gate; readers
(deferred BEGIN) never do, and PostgreSQL engines have no gate. The gate is released by the
connection itself once its transaction has ended (`GatedConnection`), so no exit path - commit,
rollback, a connection closed after an error - can leave it held.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from typing import Any

from sqlalchemy.exc import OperationalError


class WriteGate:
    """A lock that serves waiting threads in the order they arrived (threading.Lock does not)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        """How many threads wait for the gate now."""
        return len(self._waiters)

    def acquire(self, timeout: float) -> bool:
        """Take the gate, waiting at most `timeout` seconds; False if it did not come free."""
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release(), still held
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:
                return True  # release() handed it over just as the wait ran out
            return False

    def release(self) -> None:
        """Hand the gate to the longest waiter, or leave it free."""
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


_gates: dict[str, WriteGate] = {}
_gates_mutex = threading.Lock()


def gate_for(database: str | None) -> WriteGate:
    """The gate of one SQLite database file, shared by every engine on it in this process; an
    in-memory or URI-named database gets a gate of its own."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return WriteGate()
    key = os.path.realpath(database)
    with _gates_mutex:
        return _gates.setdefault(key, WriteGate())


class GatedConnection(sqlite3.Connection):
    """An sqlite3 connection that gives its write gate back when its transaction has ended."""

    _held_gate: WriteGate | None = None

    def take_gate(self, gate: WriteGate, timeout: float) -> None:
        """Wait for `gate` (FIFO, at most `timeout` s) before this connection's BEGIN IMMEDIATE;
        it is given back when the transaction ends. Raises what SQLite's own busy timeout does."""
        if not gate.acquire(timeout):
            # The error SQLite gives when its busy timeout runs out: callers already treat it
            # as "the database is busy, try again later".
            raise OperationalError(
                "BEGIN IMMEDIATE",
                None,
                sqlite3.OperationalError("database is locked (this process's writers queued)"),
            )
        self._held_gate = gate

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:  # a failed COMMIT leaves it open until the rollback
                self.give_gate_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if not self.in_transaction:
                self.give_gate_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_gate_back()

    def give_gate_back(self) -> None:
        """Release the gate if held (also when the BEGIN that followed take_gate failed)."""
        gate, self._held_gate = self._held_gate, None
        if gate is not None:
            gate.release()


def gated_connect_args(timeout: float) -> dict[str, Any]:
    """sqlite3.connect arguments for connections that can hold a write gate."""
    return {"timeout": timeout, "factory": GatedConnection}
