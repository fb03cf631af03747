"""`pathbot alerts [list|ack ID|resolve ID|send]`: see, acknowledge, resolve and send staff
alerts; `resolve ID --release` also lifts the patient's crisis hold (bot/clinic/holds.py)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlmodel import Session

from bot.cli.common import CommandError, command_app, database_url
from bot.clinic import audit
from bot.clinic.alerts.manage import AlertNotFound, acknowledge, get_alert, list_alerts, resolve
from bot.clinic.holds import OUTCOMES, HoldError
from bot.db import store
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
    res = asub.add_parser(
        "resolve", help="close an alert with a note; --release also lifts the patient's hold"
    )
    res.add_argument("alert_id", type=int)
    res.add_argument("--note", required=True, help="what was done (required; kept in history)")
    res.add_argument(
        "--release",
        action="store_true",
        help="release the patient's crisis hold: a kind message, and the survey resumes",
    )
    res.add_argument(
        "--outcome",
        choices=OUTCOMES,
        default=None,
        help="with --release: was it a false alarm, or handled (required with --release)",
    )
    res.add_argument("--actor", help="who resolves (default: OS user)")
    res.add_argument("--db", help="database URL (default: DATABASE_URL)")
    res.set_defaults(run=run_resolve)
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


def run_resolve(ns: argparse.Namespace) -> int:
    if ns.release and ns.outcome is None:
        raise CommandError("--release needs --outcome false_alarm or --outcome handled")
    if not ns.note.strip():
        raise CommandError("--note must say what was done")
    actor = audit.current_actor(ns.actor)
    with command_app(ns) as app:
        try:
            with Session(app.db) as session:
                alert = get_alert(session, ns.alert_id)
                patient = store.patient_by_study_id(session, alert.study_id)
            if ns.release:
                if patient is None or patient.id is None or patient.status != "crisis_hold":
                    raise CommandError(f"{alert.study_id} is not on hold; nothing released")
                release = app.pipeline.release_hold(
                    patient.id, outcome=ns.outcome, note=ns.note, actor=actor
                )
                print(
                    f"hold released for {release.study_id} ({ns.outcome}); alerts resolved: "
                    + (", ".join(f"#{n}" for n in release.alerts_resolved) or "none")
                    + "; "
                    + (
                        "the patient was told and the survey resumes"
                        if release.survey_resumed
                        else f"{release.messages_queued} message(s) queued"
                    )
                )
                if ns.alert_id in release.alerts_resolved:
                    return 0
            with session_scope(app.db) as session:
                changed = resolve(
                    session, ns.alert_id, note=ns.note, actor=actor, now=app.pipeline.now()
                )
        except (AlertNotFound, HoldError, ValueError) as exc:
            raise CommandError(str(exc)) from None
    print(f"alert #{ns.alert_id} " + ("resolved" if changed else "was already resolved"))
    return 0


def run_send(ns: argparse.Namespace) -> int:
    from bot.service.staff_alerts import NONE_CONFIGURED, notify_staff, staff_channels

    with command_app(ns) as app:
        if not staff_channels(app.settings):
            # "sent 0 notice(s)" would read as "nothing to send": say that nothing CAN be sent
            raise CommandError(f"{NONE_CONFIGURED}; no alert can be sent")
        report = asyncio.run(notify_staff(app, app.pipeline.now()))
    print(f"sent {len(report.sent)} notice(s), {len(report.failed)} failed")
    return 1 if report.failed else 0
