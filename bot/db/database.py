"""The database engine and migrations: one place that knows how to open and upgrade a database.

Every engine made here has bounds on how long anything may wait (`Timeouts`): opening a
connection, waiting for a pooled one, and one statement, enforced by the server (PostgreSQL's
statement_timeout) and again by the client, so a connection that stops answering (a network black
hole, not a clean cut) fails within seconds instead of freezing whoever waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

from bot.db.private_files import create_private_file, make_owner_only
from bot.db.write_gate import GatedConnection, WriteGate, gate_for, gated_connect_args

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The files SQLite keeps beside a database, each with the database's data in it.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# Execution option: SQLite transactions on an engine with it set start with BEGIN IMMEDIATE.
SQLITE_BEGIN_IMMEDIATE = "pathbot_sqlite_begin_immediate"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says which and why."""


class UnsupportedDatabaseUrl(DatabaseUnavailable):
    """A database URL pathbot cannot use; the message says which forms it accepts."""


class DatabaseOnEventLoop(RuntimeError):
    """Database work was started on a thread running an event loop, which would freeze the
    server for as long as the database takes; run it with `asyncio.to_thread`."""


@dataclass(frozen=True)
class Timeouts:
    """How long anything may wait on the database, in seconds."""

    connect: float = 5.0  # opening a connection (TCP and start-up)
    statement: float = 15.0  # one statement (server-side), and SQLite's wait for the write lock
    pool: float = 5.0  # waiting for a free pooled connection

    @property
    def client_deadline(self) -> float:
        """When the client gives up on an unanswered statement: after the server's own
        statement_timeout has had the chance to answer with an error."""
        return self.statement + 2.0


DEFAULT_TIMEOUTS = Timeouts()
SUPPORTED_URLS = "sqlite:///PATH, a file path, or postgresql://USER@HOST/NAME"


def normalize_database_url(url: str) -> str:
    """Accept the URL forms staff will paste and map them onto the drivers pathbot installs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if "://" not in url:  # a bare file path means an SQLite file
        url = f"sqlite:///{Path(url)}"
    return url


def check_database_url(url: str) -> str:
    """The normalised URL, or UnsupportedDatabaseUrl naming the forms pathbot accepts (the URL
    itself is not repeated: it may hold a password)."""
    normalized = normalize_database_url(url)
    try:
        backend = make_url(normalized).get_backend_name()
    except ArgumentError:
        raise UnsupportedDatabaseUrl(
            f"the database URL is not a URL pathbot can read (use {SUPPORTED_URLS})"
        ) from None
    if backend not in ("sqlite", "postgresql"):
        raise UnsupportedDatabaseUrl(
            f"pathbot runs on SQLite or PostgreSQL, not {backend!r} (use {SUPPORTED_URLS})"
        )
    if normalized.startswith("postgresql") and not normalized.startswith("postgresql+psycopg"):
        raise UnsupportedDatabaseUrl(
            "pathbot talks to PostgreSQL through psycopg 3: write postgresql://USER@HOST/NAME"
        )
    return normalized


def make_engine(url: str, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Engine:
    url = check_database_url(url)
    kwargs: dict[str, Any] = {"pool_timeout": timeouts.pool}
    if url.startswith("sqlite"):
        # No pre-ping: an SQLite connection is a file handle that cannot go stale the way a
        # socket does, and the ping cost a round trip on every checkout (every answer).
        kwargs["connect_args"] = gated_connect_args(timeouts.statement)
    else:
        # A pooled PostgreSQL connection can be dead (server restart, failover): test it first.
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = _postgres_connect_args(url, timeouts)
    if url.startswith("sqlite"):
        _make_sqlite_files_private(url)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin(gate_for(make_url(url).database), timeouts))
        event.listen(engine, "handle_error", _sqlite_reopen_after_readonly)
    else:
        from bot.db.postgres_deadline import connect_with_deadline

        deadline = timeouts.client_deadline

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            return connect_with_deadline(deadline, *cargs, **cparams)

    return engine


def _make_sqlite_files_private(url: str) -> None:
    """SQLite creates a missing database file with the umask's mode (often world-readable), and
    its WAL with the database's mode: create the file 0600 first, so all three are private. A
    file that exists already (an older install, a copy) is made owner-only, and the log says so
    (its name and old mode only)."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not Path(path).parent.is_dir():
        return
    create_private_file(path)
    for suffix in ("", *SQLITE_COMPANIONS):
        name = Path(path + suffix).name
        try:
            old_mode = make_owner_only(path + suffix)
        except PermissionError:  # not its owner: say so, and go on as before
            log.warning("%s is readable by other users and pathbot cannot change that", name)
            continue
        if old_mode is not None:
            log.warning(
                "%s was readable by other users (mode %04o); made owner-only (%04o)",
                name,
                old_mode,
                old_mode & 0o700,
            )


def _postgres_connect_args(url: str, timeouts: Timeouts) -> dict[str, Any]:
    """libpq settings that bound every wait; a value given in the URL itself wins."""
    given = set(make_url(url).query)
    statement_ms = int(timeouts.statement * 1000)
    args: dict[str, Any] = {
        "connect_timeout": max(2, round(timeouts.connect)),  # libpq takes whole seconds, >= 2
        # A session cut off mid-transaction must not hold its row locks for hours.
        "options": (
            f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} "
            f"-c idle_in_transaction_session_timeout={statement_ms * 4}"
        ),
        # A peer that vanished (no FIN, no RST) is noticed by the kernel within seconds.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": int(timeouts.client_deadline * 1000),
    }
    return {key: value for key, value in args.items() if key not in given}


def forbid_event_loop(engine: Engine) -> None:
    """Refuse database work on a thread that runs an event loop (the server's): such a call
    blocks every request until the database answers. The service installs this on its engine."""

    def _guard(*_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread (or no loop at all): fine
        raise DatabaseOnEventLoop(
            "database work on the event loop thread; run it with asyncio.to_thread"
        )

    event.listen(engine, "checkout", _guard)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT (a released savepoint commits);
    # take control of BEGIN ourselves, as the SQLAlchemy docs advise.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on any error.

    On SQLite its transaction starts with BEGIN IMMEDIATE: a session that reads and then writes
    would otherwise fail at once with "database is locked" whenever another connection wrote in
    between, instead of waiting its turn (`_sqlite_begin`).
    """
    with Session(writer(engine), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def writer(engine: Engine) -> Engine:
    """The engine for a transaction that will write (BEGIN IMMEDIATE on SQLite)."""
    return engine.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})


def _sqlite_reopen_after_readonly(context: ExceptionContext) -> None:
    # SQLite opens a file it may not write read-only, silently; such a connection stays
    # read-only after the file becomes writable. Treating the error as a disconnect drops the
    # pooled connections, so the next transaction reopens the file and sees it writable.
    if "readonly database" in str(context.original_exception):
        context.is_disconnect = True


def _sqlite_begin(gate: WriteGate, timeouts: Timeouts) -> Callable[[Any], None]:
    def begin(connection: Any) -> None:
        # A deferred BEGIN that reads and then writes fails at once with SQLITE_BUSY (no busy
        # wait) when another connection committed in between, which concurrent webhooks do all
        # the time; write paths that read first (the inbound pipeline) ask for BEGIN IMMEDIATE,
        # queued first in this process's FIFO write gate (bot/db/write_gate.py), then on the busy
        # timeout for other processes. Read-only work keeps the deferred BEGIN and no gate, so
        # it never waits for writers.
        if not connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection: GatedConnection = connection.connection.dbapi_connection
        dbapi_connection.take_gate(gate, timeouts.statement)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            dbapi_connection.give_gate_back()
            raise

    return begin


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # alembic loads only when migrating (CLI start-up time)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (alembic), creating the database file if needed.

    "heads" rather than "head": features add their migrations on branches from the schema they
    need, and every branch is applied.
    """
    from alembic import command

    normalized = normalize_database_url(url)
    if normalized.startswith("sqlite"):
        # Alembic's own engine would create a missing file with the umask's mode (often
        # world-readable): make it 0600 first, as make_engine does.
        _make_sqlite_files_private(normalized)
    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot open the database: {exc.orig}") from exc


def is_current(engine: Engine) -> bool:
    """True when the schema has been created by migrations (cheap check for the CLI)."""
    try:
        return inspect(engine).has_table("alembic_version")
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot open the database: {exc.orig}") from exc
