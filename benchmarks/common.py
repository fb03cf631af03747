"""Shared pieces of the benchmarks: result rows, the table, scratch databases, percentiles."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db.database import normalize_database_url
from bot.service.app import App, build_app
from bot.service.settings import Settings

POSTGRES_ENV = "PATHBOT_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CORES = os.cpu_count() or 1
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a Tuesday afternoon: no quiet hours in the US


@dataclass(frozen=True)
class Row:
    """One line of the table; `ok` is None when the benchmark could not run."""

    benchmark: str
    database: str
    figure: str
    target: str
    ok: bool | None
    note: str = ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server started as a child)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def backend_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (which need not be sorted)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, int(round(fraction * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def bench_settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def bench_app(url: str, **settings: object) -> App:
    return build_app(bench_settings(**settings), database_url=url, clock=lambda: NOW)


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="pathbot-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextlib.contextmanager
def postgres_database(base: str) -> Iterator[str]:
    """A scratch database created for one benchmark and dropped after it (as tests do)."""
    admin_url = make_url(normalize_database_url(base))
    name = f"pathbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_unreachable(base: str) -> str | None:
    """Why PostgreSQL at `base` cannot be used, or None when it can."""
    try:
        engine = create_engine(make_url(normalize_database_url(base)))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "skip with a clear line"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return None


def print_table(rows: Sequence[Row]) -> None:
    header = ("benchmark", "database", "figure", "target", "result", "cores")
    lines = [
        (
            r.benchmark,
            r.database,
            r.figure,
            r.target,
            {True: "pass", False: "MISS", None: "skipped"}[r.ok],
            str(CORES),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row, line in zip(rows, lines, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
        if row.note:
            print("    " + row.note)
