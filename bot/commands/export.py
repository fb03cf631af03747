"""`pathbot export`: item responses for staff tools."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bot.commands.common import database_url
from bot.db.database import is_current, make_engine
from bot.export import export_responses_csv


def register(sub: Any) -> None:
    exp = sub.add_parser("export", help="export item responses")
    exp.add_argument("--format", choices=["csv"], default="csv")
    exp.add_argument("--db", help="database URL (default: DATABASE_URL)")
    exp.add_argument("--out", help="output file (default: standard output)")
    exp.set_defaults(run=run_export)


def run_export(ns: argparse.Namespace) -> int:
    url = database_url(ns)
    engine = make_engine(url)
    try:
        if not is_current(engine):
            print(
                f"pathbot: {url} has no pathbot data (run `pathbot db upgrade` first)",
                file=sys.stderr,
            )
            return 2
        if ns.out:
            tmp = f"{ns.out}.partial"
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                count = export_responses_csv(engine, fh)
            os.replace(tmp, ns.out)  # a half-written export never looks finished
            print(f"exported {count} responses to {ns.out}", file=sys.stderr)
        else:
            export_responses_csv(engine, sys.stdout)
    finally:
        engine.dispose()
    return 0
