"""`pathbot event move|cancel|alumni-rule|list`: change one session; monthly alumni meetings."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.db.database import session_scope
from bot.db.models import Cohort, Event
from bot.schedule import alumni, sessions
from bot.service.settings import get_settings


def register(sub: Any) -> None:
    event = sub.add_parser("event", help="move or cancel a session; alumni meeting rules")
    esub = event.add_subparsers(title="event commands")

    move = esub.add_parser("move", help="move one event and tell everyone it concerns")
    move.add_argument("event_id", type=int)
    move.add_argument("--to", required=True, help='new local start, "YYYY-MM-DD HH:MM"')
    move.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    move.add_argument("--db", help="database URL (default: DATABASE_URL)")
    move.set_defaults(run=run_move)

    cancel = esub.add_parser("cancel", help="cancel one event and tell everyone it concerns")
    cancel.add_argument("event_id", type=int)
    cancel.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    cancel.add_argument("--db", help="database URL (default: DATABASE_URL)")
    cancel.set_defaults(run=run_cancel)

    rule = esub.add_parser(
        "alumni-rule", help='add a monthly alumni meeting: "first Tuesday 17:30"'
    )
    rule.add_argument("rule")
    rule.add_argument("--timezone", default=None)
    rule.add_argument("--minutes", type=int, default=60)
    rule.add_argument("--location", default=None)
    rule.add_argument("--video-link", default=None)
    rule.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    rule.add_argument("--db", help="database URL (default: DATABASE_URL)")
    rule.set_defaults(run=run_alumni_rule)

    lst = esub.add_parser("list", help="upcoming events")
    lst.add_argument("--db", help="database URL (default: DATABASE_URL)")
    lst.set_defaults(run=run_list)


def run_move(ns: argparse.Namespace) -> int:
    settings = get_settings()
    with command_app(ns, settings) as app:
        with session_scope(app.db) as session:
            event = session.get(Event, ns.event_id)
            if event is None:
                raise CommandError(f"no event {ns.event_id}")
            zone = _zone(session, event, settings.default_timezone)
            try:
                local = datetime.strptime(ns.to, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone))
                told = sessions.move_event(
                    session, event, local, app.pipeline.now(), program=app.program
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            _audit(
                session,
                ns,
                "event.move",
                ns.event_id,
                {"to": ns.to, "timezone": zone, "told": told},
            )
        print(f"moved event {ns.event_id}; {told} patient(s) will be told")
    return 0


def run_cancel(ns: argparse.Namespace) -> int:
    settings = get_settings()
    with command_app(ns, settings) as app:
        with session_scope(app.db) as session:
            event = session.get(Event, ns.event_id)
            if event is None:
                raise CommandError(f"no event {ns.event_id}")
            try:
                told = sessions.cancel_event(
                    session, event, app.pipeline.now(), program=app.program
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            _audit(session, ns, "event.cancel", ns.event_id, {"told": told})
        print(f"cancelled event {ns.event_id}; {told} patient(s) will be told")
    return 0


def run_alumni_rule(ns: argparse.Namespace) -> int:
    settings = get_settings()
    with command_app(ns, settings) as app:
        with session_scope(app.db) as session:
            try:
                rule = alumni.add_rule(
                    session,
                    text=ns.rule,
                    timezone=ns.timezone or settings.default_timezone,
                    now=app.pipeline.now(),
                    minutes=ns.minutes,
                    location=ns.location,
                    video_link=ns.video_link,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            _audit(
                session, ns, "event.alumni_rule", rule.id,
                {"rule": rule.text, "timezone": rule.timezone, "minutes": ns.minutes},
            )  # fmt: skip
        print(f"alumni meetings: {rule.text} ({rule.timezone})")
    return 0


def run_list(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            print("id\tkind\tcohort\tstarts (UTC)\tstatus")
            for e in session.exec(
                select(Event)
                .where(Event.starts_at >= app.pipeline.now())
                .order_by(col(Event.starts_at))
            ).all():
                print(
                    f"{e.id}\t{e.kind}\t{e.cohort_id or '-'}\t"
                    f"{e.starts_at:%Y-%m-%d %H:%M}\t{e.status}"
                )
    return 0


def _audit(
    session: Session, ns: argparse.Namespace, action: str, object_id: object, detail: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=audit.current_actor(ns.actor),
        action=action,
        object_type="event",
        object_id=None if object_id is None else str(object_id),
        detail=detail,
        now=datetime.now(UTC),
    )


def _zone(session: Session, event: Event, default: str) -> str:
    if event.cohort_id is not None:
        cohort = session.get(Cohort, event.cohort_id)
        if cohort is not None:
            return cohort.timezone
    return default
