"""`pathbot cohort create|add|list|show|graduate`: cohorts and their weekly sessions."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Cohort
from bot.schedule import calendar, cohorts
from bot.schedule.localtime import parse_clock
from bot.schedule.plan import PlanOptions
from bot.service.settings import get_settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WEEKS = 104


def register(sub: Any) -> None:
    cohort = sub.add_parser("cohort", help="create cohorts, enrol patients, see the calendar")
    csub = cohort.add_subparsers(title="cohort commands")

    create = csub.add_parser("create", help="create a cohort and its weekly sessions")
    create.add_argument("name")
    create.add_argument("--start", required=True, help="first day of the program, YYYY-MM-DD")
    create.add_argument("--weekday", required=True, choices=WEEKDAYS)
    create.add_argument("--time", required=True, help="local session time, e.g. 14:00")
    create.add_argument("--minutes", type=int, default=90)
    create.add_argument("--weeks", type=_weeks, default=cohorts.DEFAULT_WEEKS)
    create.add_argument("--timezone", default=None)
    create.add_argument("--location", default=None)
    create.add_argument("--video-link", default=None)
    create.add_argument("--dvprs-offset", type=int, default=0, help="minutes from session start")
    create.add_argument("--alumni-followups", default="", help="months, e.g. 3,6")
    create.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    create.add_argument("--db", help="database URL (default: DATABASE_URL)")
    create.set_defaults(run=run_create)

    add = csub.add_parser("add", help="enrol patients in a cohort")
    add.add_argument("cohort")
    add.add_argument("study_ids", nargs="+")
    add.add_argument(
        "--retrospective",
        action="store_true",
        help="record enrolments in a cohort that has ended (surveys planned as missed)",
    )
    add.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    add.add_argument("--db", help="database URL (default: DATABASE_URL)")
    add.set_defaults(run=run_add)

    lst = csub.add_parser("list", help="list cohorts")
    lst.add_argument("--db", help="database URL (default: DATABASE_URL)")
    lst.set_defaults(run=run_list)

    show = csub.add_parser("show", help="a cohort's sessions")
    show.add_argument("cohort")
    show.add_argument("--db", help="database URL (default: DATABASE_URL)")
    show.set_defaults(run=run_show)

    grad = csub.add_parser("graduate", help="make a cohort's patients alumni now")
    grad.add_argument("cohort")
    grad.add_argument("--actor", help="who does it, for the audit log (default: OS user)")
    grad.add_argument("--db", help="database URL (default: DATABASE_URL)")
    grad.set_defaults(run=run_graduate)


def _weeks(text: str) -> int:
    try:
        weeks = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= weeks <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"a cohort runs 1 to {MAX_WEEKS} weeks")
    return weeks


def run_create(ns: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        start = date.fromisoformat(ns.start)
        parse_clock(ns.time)
        months = tuple(int(m) for m in ns.alumni_followups.split(",") if m.strip())
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    weekday = WEEKDAYS.index(ns.weekday)
    if start.weekday() != weekday:
        # The first session would silently be the next such weekday, up to six days later.
        next_day = start + timedelta(days=(weekday - start.weekday()) % 7)
        raise CommandError(
            f"--start {start} is a {start:%A}, but sessions are on {next_day:%A}s: "
            f"use --start {next_day} (or --weekday {WEEKDAYS[start.weekday()]})"
        )
    rule = cohorts.WeeklyRule(
        weekday=WEEKDAYS.index(ns.weekday),
        time=ns.time,
        minutes=ns.minutes,
        location=ns.location,
        video_link=ns.video_link,
    )
    with command_app(ns, settings) as app:
        with session_scope(app.db) as session:
            if cohorts.find_cohort(session, ns.name) is not None:
                raise CommandError(f"cohort {ns.name} already exists")
            try:
                cohort = cohorts.create_cohort(
                    session,
                    name=ns.name,
                    start_date=start,
                    timezone=ns.timezone or settings.default_timezone,
                    rule=rule,
                    now=app.pipeline.now(),
                    weeks=ns.weeks,
                    survey_plan=PlanOptions(
                        dvprs_offset_minutes=ns.dvprs_offset, alumni_followup_months=months
                    ),
                )
            except (ValueError, LookupError) as exc:
                raise CommandError(str(exc)) from None
            first = calendar.cohort_sessions(session, cohort.id or 0)[0]
            audit.record(
                session,
                actor=audit.current_actor(ns.actor),
                action="cohort.create",
                object_type="cohort",
                object_id=ns.name,
                detail={
                    "start": start.isoformat(),
                    "weekday": ns.weekday,
                    "time": ns.time,
                    "weeks": ns.weeks,
                    "timezone": cohort.timezone,
                },
                now=app.pipeline.now(),
            )
        print(
            f"created cohort {ns.name} (id {cohort.id}): {ns.weeks} sessions "
            f"from {first.starts_at:%Y-%m-%d %H:%M} UTC"
        )
    return 0


def run_add(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with session_scope(app.db) as session:
            cohort = cohorts.find_cohort(session, ns.cohort)
            if cohort is None:
                raise CommandError(f"no cohort {ns.cohort}")
            patients = [store.patient_by_study_id(session, s) for s in ns.study_ids]
            missing = [s for s, p in zip(ns.study_ids, patients, strict=True) if p is None]
            if missing:
                raise CommandError(f"no patient {', '.join(missing)}")
            for patient in patients:
                assert patient is not None
                try:
                    cohorts.enrol(
                        session,
                        cohort,
                        patient,
                        app.pipeline.now(),
                        retrospective=ns.retrospective,
                    )
                except cohorts.EnrolmentRefused as exc:
                    raise CommandError(str(exc)) from None
            audit.record(
                session,
                actor=audit.current_actor(ns.actor),
                action="cohort.enrol",
                object_type="cohort",
                object_id=cohort.name,
                detail={"patients": list(ns.study_ids), "retrospective": ns.retrospective},
                now=app.pipeline.now(),
            )
        print(f"enrolled {len(ns.study_ids)} patient(s) in {cohort.name}")
    return 0


def run_list(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            print("id\tname\tstart\tweeks\ttimezone\tsession")
            for c in session.exec(select(Cohort).order_by(col(Cohort.start_date))).all():
                weekday = WEEKDAYS[c.session_weekday] if c.session_weekday is not None else "-"
                print(
                    f"{c.id}\t{c.name}\t{c.start_date}\t{c.weeks}\t{c.timezone}\t"
                    f"{weekday} {c.session_time}"
                )
    return 0


def run_show(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            cohort = cohorts.find_cohort(session, ns.cohort)
            if cohort is None:
                raise CommandError(f"no cohort {ns.cohort}")
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(cohort.timezone)
            print("week\tevent\tstarts (local)\tstatus")
            for event in calendar.cohort_sessions(session, cohort.id or 0):
                week = calendar.week_of(session, event.id or 0)
                local = event.starts_at.astimezone(zone)
                print(f"{week}\t{event.id}\t{local:%Y-%m-%d %a %H:%M}\t{event.status}")
    return 0


def run_graduate(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with session_scope(app.db) as session:
            cohort = cohorts.find_cohort(session, ns.cohort)
            if cohort is None:
                raise CommandError(f"no cohort {ns.cohort}")
            graduates = cohorts.graduate(session, cohort, app.pipeline.now())
            audit.record(
                session,
                actor=audit.current_actor(ns.actor),
                action="cohort.graduate",
                object_type="cohort",
                object_id=cohort.name,
                detail={"alumni": len(graduates)},
                now=app.pipeline.now(),
            )
        print(f"{len(graduates)} patient(s) of {cohort.name} are now alumni")
    return 0
