"""`pathbot audit`: who exported, imported, acknowledged or changed what, and when."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from bot.clinic import audit
from bot.service.app import build_app
from bot.service.settings import get_settings


def register(sub: Any) -> None:
    aud = sub.add_parser("audit", help="show the audit log")
    aud.add_argument("--since", type=date.fromisoformat, help="from this date (UTC)")
    aud.add_argument("--action", help="actions starting with this, e.g. export or alert")
    aud.add_argument("--limit", type=int, default=200, help="newest N entries (default 200)")
    aud.add_argument("--db", help="database URL (default: DATABASE_URL)")
    aud.set_defaults(run=run_audit)


def run_audit(ns: argparse.Namespace) -> int:
    app = build_app(get_settings(), database_url=ns.db)
    since = datetime.combine(ns.since, datetime.min.time(), tzinfo=UTC) if ns.since else None
    try:
        with Session(app.db) as session:
            print("at\tactor\taction\tobject\tdetail")
            for row in audit.entries(session, since=since, action=ns.action, limit=ns.limit):
                obj = f"{row.object_type}:{row.object_id}" if row.object_id else row.object_type
                detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True)
                print(f"{row.at.isoformat()}\t{row.actor}\t{row.action}\t{obj}\t{detail}")
    finally:
        app.db.dispose()
    return 0
