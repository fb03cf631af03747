"""Run every benchmark on SQLite and PostgreSQL and print one table with targets and cores.

    python -m benchmarks                 # everything (a few minutes)
    python -m benchmarks --only export   # one benchmark
    python -m benchmarks --quick         # tiny sizes: checks the code runs, figures mean nothing

PostgreSQL: PATHBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
each benchmark gets a scratch database, dropped afterwards. Unreachable: a "skipped" line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable

from benchmarks import (
    bench_console,
    bench_export,
    bench_fanout,
    bench_harness,
    bench_hostile,
    bench_idle,
    bench_memory,
    bench_pipeline,
    bench_sms,
    bench_telegram,
)
from benchmarks.common import (
    DEFAULT_POSTGRES,
    POSTGRES_ENV,
    Row,
    postgres_database,
    postgres_unreachable,
    print_table,
    sqlite_database,
)

BENCHMARKS: dict[str, Callable[..., list[Row]]] = {
    "pipeline": bench_pipeline.run,
    "sms": bench_sms.run,
    "telegram": bench_telegram.run,
    "fanout": bench_fanout.run,
    "export": bench_export.run,
    "idle": bench_idle.run,
    "memory": bench_memory.run,
    "console": bench_console.run,
    "hostile": bench_hostile.run,
    "harness": bench_harness.run,
}


def run_all(names: list[str], *, quick: bool, postgres: str | None) -> list[Row]:
    rows: list[Row] = []
    why_not = postgres_unreachable(postgres) if postgres else "no PostgreSQL URL"
    for name in names:
        if name == "harness":  # both databases and the peer in one interleaved run
            reachable = postgres if postgres and why_not is None else None
            rows.extend(bench_harness.run_matrix(reachable, quick=quick))
            print(f"... {name} done", file=sys.stderr, flush=True)
            continue
        bench = BENCHMARKS[name]
        with sqlite_database() as url:
            rows.extend(_guarded(name, "SQLite", bench, url, quick))
        if postgres and why_not is None:
            with postgres_database(postgres) as url:
                rows.extend(_guarded(name, "PostgreSQL", bench, url, quick))
        else:
            rows.append(Row(name, "PostgreSQL", "-", "-", None, f"skipped: {why_not}"))
        print(f"... {name} done", file=sys.stderr, flush=True)
    return rows


def _guarded(
    name: str, database: str, bench: Callable[..., list[Row]], url: str, quick: bool
) -> list[Row]:
    """A benchmark that fails becomes a line saying why, so the rest still run."""
    try:
        return bench(url, quick=quick)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        traceback.print_exc()
        return [Row(name, database, "-", "-", False, f"failed: {type(exc).__name__}: {exc}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), default=[])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    ns = parser.parse_args(argv)
    # Warnings from the app (a refused webhook, a database error) still show; access logs don't.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    postgres = None if ns.no_postgres else os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)
    rows = run_all(ns.only or list(BENCHMARKS), quick=ns.quick, postgres=postgres)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
