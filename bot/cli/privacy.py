"""`pathbot privacy purge-strangers`: delete messages from addresses that are no patient's.

Run it daily (deploy/pathbot-purge.timer); the retention is PATHBOT_STRANGER_RETENTION_DAYS.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cli.common import command_app
from bot.clinic import audit
from bot.db import privacy
from bot.db.database import session_scope
from bot.service.settings import get_settings


def register(sub: Any) -> None:
    priv = sub.add_parser("privacy", help="retention of strangers' messages")
    commands = priv.add_subparsers(title="privacy commands")
    purge = commands.add_parser(
        "purge-strangers",
        help="delete messages from addresses that belong to no patient, older than the "
        "retention (their STOP is kept)",
    )
    purge.add_argument(
        "--days",
        type=_days,
        help="keep this many days (default: PATHBOT_STRANGER_RETENTION_DAYS)",
    )
    purge.add_argument("--actor", help="who is purging, for the audit log (default: OS user)")
    purge.add_argument("--db", help="database URL (default: DATABASE_URL)")
    purge.set_defaults(run=run_purge)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if days < 1:
        # The last hour of strangers' attempts throttles enrolment guesses (bot/db/invites.py).
        raise argparse.ArgumentTypeError("keep at least 1 day")
    return days


def run_purge(ns: argparse.Namespace) -> int:
    days = ns.days or get_settings().stranger_retention_days
    now = datetime.now(UTC)
    before = now - timedelta(days=days)
    with command_app(ns) as app, session_scope(app.db) as session:
        purged = privacy.purge_strangers(session.connection(), before=before)
        audit.record(
            session,
            actor=audit.current_actor(ns.actor),
            action="privacy.purge_strangers",
            object_type="inboundmessage",
            detail={"days": days, "inbound": purged.inbound, "outbox": purged.outbox},
            now=now,
        )
    print(
        f"purged {purged.inbound} messages from strangers and {purged.outbox} replies to them "
        f"(older than {days} days)",
        file=sys.stderr,
    )
    return 0
