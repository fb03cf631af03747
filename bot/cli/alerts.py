"""`pathbot alerts [list|ack ID|send]`: see, acknowledge and send staff alerts."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlmodel import Session

from bot.cli.common import CommandError, command_app, database_url
from bot.clinic import audit
from bot.clinic.alerts.manage import AlertNotFound, acknowledge, list_alerts
from bot.db.database import session_scope
from bot.service.app import build_app
from bot.service.settings import get_settings


def register(sub: Any) -> None:
    alerts = sub.add_parser("alerts", help="list and acknowledge alerts to staff")
    alerts.add_argument("--db", help="database URL (default: DATABASE_URL)")
    alerts.set_defaults(run=run_list, all=False)
    asub = alerts.add_subparsers(title="alerts commands")
    lst = asub.add_parser("list", help="open alerts (with --all, acknowledged ones too)")
    lst.add_argument("--all", action="store_true")
    _db_option(lst)
    lst.set_defaults(run=run_list)
    ack = asub.add_parser("ack", help="acknowledge an alert")
    ack.add_argument("alert_id", type=int)
    ack.add_argument("--actor", help="who acknowledges (default: OS user)")
    _db_option(ack)
    ack.set_defaults(run=run_ack)
    send = asub.add_parser("send", help="one round of staff notices now (as `pathbot run` does)")
    _db_option(send)
    send.set_defaults(run=run_send)


def _db_option(parser: Any) -> None:
    # SUPPRESS: unless given here, the sub-command keeps `pathbot alerts --db URL`'s value
    # (a default of None here overwrote it, and `alerts --db URL list` read pathbot.db).
    parser.add_argument(
        "--db", default=argparse.SUPPRESS, help="database URL (default: DATABASE_URL)"
    )


def run_list(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            rows = list_alerts(session, include_acknowledged=ns.all)
    print("id\tstudy_id\tkind\ttier\trule\tstatus\tcreated_at\tacknowledged_by")
    for a in rows:
        print(
            f"{a.id}\t{a.study_id}\t{a.kind}\t{a.tier if a.tier is not None else '-'}\t"
            f"{a.rule_id or '-'}\t{a.status}\t{a.created_at.isoformat()}\t"
            f"{a.acknowledged_by or '-'}"
        )
    return 0


def run_ack(ns: argparse.Namespace) -> int:
    app = build_app(get_settings(), database_url=database_url(ns))
    try:
        with session_scope(app.db) as session:
            changed = acknowledge(
                session, ns.alert_id, actor=audit.current_actor(ns.actor), now=app.pipeline.now()
            )
    except AlertNotFound as exc:
        raise CommandError(str(exc)) from None
    finally:
        app.db.dispose()
    print(f"alert #{ns.alert_id} " + ("acknowledged" if changed else "was already acknowledged"))
    return 0


def run_send(ns: argparse.Namespace) -> int:
    from bot.service.staff_alerts import notify_staff

    with command_app(ns) as app:
        report = asyncio.run(notify_staff(app, app.pipeline.now()))
    print(f"sent {len(report.sent)} notice(s), {len(report.failed)} failed")
    return 1 if report.failed else 0
