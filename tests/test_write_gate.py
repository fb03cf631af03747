"""The in-process SQLite write gate (bot/db/write_gate.py): writers of one process queue FIFO
before BEGIN IMMEDIATE instead of in SQLite's busy handler; readers and PostgreSQL never wait
on it, and no way out of a transaction leaves it held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.db.database import Timeouts, make_engine, session_scope
from bot.db.write_gate import WriteGate, gate_for

WAIT = 10.0  # generous bound on waits for the other thread: never reached when all is well


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.005)


def test_waiting_threads_are_served_in_arrival_order() -> None:
    gate = WriteGate()
    assert gate.acquire(timeout=1)
    served: list[int] = []

    def writer(n: int) -> None:
        assert gate.acquire(timeout=WAIT)
        served.append(n)
        gate.release()

    threads = []
    for n in range(8):  # each one queues before the next starts
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        wait_until(lambda n=n: gate.waiting == n + 1)
    gate.release()
    for thread in threads:
        thread.join(WAIT)
    assert served == list(range(8))
    assert gate.acquire(timeout=0)  # free again once the last one released it


def test_a_wait_that_runs_out_leaves_the_queue_intact() -> None:
    gate = WriteGate()
    assert gate.acquire(timeout=1)
    assert not gate.acquire(timeout=0.05)  # gave up
    assert gate.waiting == 0
    got = threading.Event()

    def writer() -> None:
        if gate.acquire(timeout=WAIT):
            got.set()

    thread = threading.Thread(target=writer)
    thread.start()
    wait_until(lambda: gate.waiting == 1)
    gate.release()  # handed to the waiter, not to the one that gave up
    thread.join(WAIT)
    assert got.is_set()


@contextmanager
def writer_holding_the_lock(engine: Engine) -> Iterator[threading.Event]:
    """Another thread inside an open write transaction until the yielded event is set."""
    inside, finish = threading.Event(), threading.Event()

    def hold() -> None:
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO t (x) VALUES (0)"))
            inside.set()
            finish.wait(WAIT)

    thread = threading.Thread(target=hold)
    thread.start()
    assert inside.wait(WAIT)
    try:
        yield finish
    finally:
        finish.set()
        thread.join(WAIT)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    yield engine
    engine.dispose()


def test_a_second_writer_queues_in_the_gate_and_readers_do_not(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    gate = gate_for(sqlite_engine.url.database)
    done = threading.Event()

    def second_writer() -> None:
        with session_scope(sqlite_engine) as session:
            session.execute(text("INSERT INTO t (x) VALUES (2)"))
        done.set()

    with writer_holding_the_lock(sqlite_engine) as finish:
        thread = threading.Thread(target=second_writer)
        thread.start()
        wait_until(lambda: gate.waiting == 1)  # in the gate, not in SQLite's busy handler
        with sqlite_engine.connect() as conn:  # a reader goes straight through meanwhile
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert not done.is_set()
        finish.set()
        thread.join(WAIT)
    assert done.is_set()
    with sqlite_engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT x FROM t")).scalars()) == [0, 2]


def test_concurrent_read_then_write_transactions_lose_no_update(sqlite_engine: Engine) -> None:
    errors: list[BaseException] = []

    def increment(times: int) -> None:
        try:
            for _ in range(times):
                with session_scope(sqlite_engine) as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=increment, args=(40,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 8 * 40


def test_a_writer_that_waits_too_long_gets_the_usual_locked_error(sqlite_url: str) -> None:
    impatient = make_engine(sqlite_url, Timeouts(statement=0.2))
    with impatient.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with writer_holding_the_lock(impatient), pytest.raises(OperationalError, match="locked"):
        with session_scope(impatient) as session:
            session.execute(text("INSERT INTO t (x) VALUES (1)"))
    with session_scope(impatient) as session:  # the gate is free again afterwards
        session.execute(text("INSERT INTO t (x) VALUES (1)"))
    impatient.dispose()


def test_a_rolled_back_or_failed_writer_gives_the_gate_back(sqlite_engine: Engine) -> None:
    gate = gate_for(sqlite_engine.url.database)
    with pytest.raises(ZeroDivisionError), session_scope(sqlite_engine) as session:
        session.execute(text("INSERT INTO t (x) VALUES (1)"))
        _ = 1 / 0
    with pytest.raises(OperationalError), session_scope(sqlite_engine) as session:
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert gate.acquire(timeout=0)  # nobody holds it
    gate.release()
    with session_scope(sqlite_engine) as session:
        session.execute(text("INSERT INTO t (x) VALUES (3)"))
    with sqlite_engine.connect() as conn:
        assert list(conn.execute(text("SELECT x FROM t")).scalars()) == [3]


def test_engines_on_one_file_share_a_gate(sqlite_url: str, tmp_path: object) -> None:
    one, two = make_engine(sqlite_url), make_engine(sqlite_url)
    assert gate_for(one.url.database) is gate_for(two.url.database)
    assert gate_for(one.url.database) is not gate_for(f"{tmp_path}/other.db")
    one.dispose()
    two.dispose()


@pytest.mark.postgres
def test_postgres_writers_do_not_wait_for_each_other(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with writer_holding_the_lock(engine):  # one write transaction open...
        with session_scope(engine) as session:  # ...and another commits meanwhile
            session.execute(text("INSERT INTO t (x) VALUES (1)"))
        with engine.connect() as conn:
            assert list(conn.execute(text("SELECT x FROM t")).scalars()) == [1]
    engine.dispose()
