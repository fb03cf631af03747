"""`pathbot db upgrade`: apply migrations."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import database_url
from bot.db.database import upgrade


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(title="db commands")
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--db", help="database URL (default: DATABASE_URL)")
    up.set_defaults(run=run_upgrade)


def run_upgrade(ns: argparse.Namespace) -> int:
    upgrade(database_url(ns))
    print("database is up to date", file=sys.stderr)
    return 0
