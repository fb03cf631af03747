"""The database engine and migrations: one place that knows how to open and upgrade a database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Execution option: SQLite transactions on an engine with it set start with BEGIN IMMEDIATE.
SQLITE_BEGIN_IMMEDIATE = "pathbot_sqlite_begin_immediate"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says which and why."""


def normalize_database_url(url: str) -> str:
    """Accept the URL forms staff will paste and map them onto the drivers pathbot installs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if "://" not in url:  # a bare file path means an SQLite file
        url = f"sqlite:///{Path(url)}"
    return url


def make_engine(url: str) -> Engine:
    url = normalize_database_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


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
    """A session whose work commits at the end of the block, or rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _sqlite_begin(connection: Any) -> None:
    # A deferred BEGIN that reads and then writes fails at once with SQLITE_BUSY (no busy wait)
    # when another connection committed in between, which concurrent webhooks do all the time;
    # write paths that read first (the inbound pipeline) ask for BEGIN IMMEDIATE and queue on
    # the busy timeout instead. Read-only work keeps the deferred BEGIN so it never blocks writers.
    immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
