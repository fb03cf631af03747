"""A psycopg connection that gives up on a statement the server never answers.

PostgreSQL's statement_timeout ends a slow statement, but only if the statement reached the
server and the server's answer can reach us. When the network swallows packets (a stalled proxy,
a black-holed route) nothing ever comes back and libpq waits forever. psycopg waits on the socket
through `Connection.wait`, which takes a deadline that `execute` never passes; this subclass
passes one. On expiry the connection is closed (its protocol state is unknown) and the error
raised is an OperationalError on a closed connection, which SQLAlchemy treats as a disconnect:
the pool drops it and the caller sees an ordinary "database unavailable".
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.errors import _WaitTimeout  # psycopg's own deadline error (no public name)


class DatabaseStalled(psycopg.OperationalError):
    """The database did not answer within the client deadline; the connection was closed."""


class DeadlineConnection(psycopg.Connection[Any]):
    deadline: float = 17.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return super().wait(gen, interval, self.deadline if timeout is None else timeout)
        except _WaitTimeout:
            self.pgconn.finish()  # mid-protocol: the connection cannot be used again
            raise DatabaseStalled(
                f"the database did not answer within {self.deadline:g} s"
            ) from None


def connect_with_deadline(deadline: float, *args: Any, **kwargs: Any) -> DeadlineConnection:
    """`psycopg.connect`, returning a connection whose every wait ends after `deadline` s."""
    connection = DeadlineConnection.connect(*args, **kwargs)
    connection.deadline = deadline
    return connection
