"""The connection pool: SQLite checkouts send no liveness ping (a file handle cannot go stale
like a socket, and the ping cost a round trip per answer); PostgreSQL keeps the ping, so a
connection the server dropped is replaced instead of failing the next transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from bot.db.database import make_engine


def test_an_sqlite_checkout_sends_no_ping(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    statements: list[str] = []

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)  # every statement SQLite runs

    for _ in range(3):  # the first checkout opens the connection, the others reuse it
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 42")).scalar_one() == 42
    engine.dispose()
    assert statements.count("SELECT 42") == 3
    assert not [s for s in statements if s.strip().upper() == "SELECT 1"]  # SQLAlchemy's ping


@pytest.mark.postgres
def test_a_postgres_connection_the_server_dropped_is_replaced(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        dropped = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    other = make_engine(postgres_url)
    with other.connect() as killer:  # what a server restart or failover does to a pooled one
        assert killer.execute(text("SELECT pg_terminate_backend(:p)"), {"p": dropped}).scalar()
    other.dispose()
    with engine.connect() as conn:  # the ping finds it dead and opens a new connection
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped
    engine.dispose()
