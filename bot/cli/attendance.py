"""`pathbot attendance COHORT`: expected and actual attendance, missed sessions per patient."""

from __future__ import annotations

import argparse
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.db import store
from bot.db.database import session_scope
from bot.schedule import calendar, cohorts, rsvp
from bot.schedule.outbox import participants


def register(sub: Any) -> None:
    att = sub.add_parser("attendance", help="attendance of a cohort; record who was absent")
    att.add_argument("cohort")
    att.add_argument("--record", type=int, metavar="WEEK", help="record attendance of this week")
    att.add_argument("--absent", nargs="*", default=[], metavar="STUDY_ID")
    att.add_argument("--actor", help="who records it, for the audit log (default: OS user)")
    att.add_argument("--db", help="database URL (default: DATABASE_URL)")
    att.set_defaults(run=run_attendance)


def run_attendance(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        if ns.record is not None and _record(app.db, ns, app.pipeline.now()) != 0:
            return 2
        with Session(app.db) as session:
            cohort = cohorts.find_cohort(session, ns.cohort)
            if cohort is None:
                raise CommandError(f"no cohort {ns.cohort}")
            report = rsvp.attendance_report(session, cohort.id or 0)
        zone = ZoneInfo(cohort.timezone)
        print("week\tdate\texpected\tattended")
        for row in report.sessions:
            attended = "-" if row.attended is None else str(row.attended)
            day = row.event.starts_at.astimezone(zone)
            print(f"{row.week}\t{day:%Y-%m-%d}\t{row.expected}\t{attended}")
        print("\nstudy_id\tmissed")
        for study_id, missed in report.missed_by_patient.items():
            print(f"{study_id}\t{missed}")
    return 0


def _record(db: Any, ns: argparse.Namespace, now: Any) -> int:
    with session_scope(db) as session:
        cohort = cohorts.find_cohort(session, ns.cohort)
        if cohort is None:
            raise CommandError(f"no cohort {ns.cohort}")
        events = {
            calendar.week_of(session, e.id or 0): e
            for e in calendar.cohort_sessions(session, cohort.id or 0)
        }
        event = events.get(ns.record)
        if event is None:
            raise CommandError(f"cohort {cohort.name} has no week {ns.record}")
        members = {p.id for p in participants(session, cohort.id or 0)}
        absent: set[int] = set()
        for study_id in ns.absent:
            patient = store.patient_by_study_id(session, study_id)
            if patient is None or patient.id is None:
                raise CommandError(f"no patient {study_id}")
            if patient.id not in members:  # else recorded as present, silently
                raise CommandError(f"{study_id} is not a participant of cohort {cohort.name}")
            absent.add(patient.id)
        flagged = rsvp.record_attendance(session, event, absent, now)
        audit.record(
            session,
            actor=audit.current_actor(ns.actor),
            action="attendance.record",
            object_type="cohort",
            object_id=cohort.name,
            detail={"week": ns.record, "event": event.id, "absent": sorted(ns.absent)},
            now=now,
        )
    if flagged:
        print(f"alert: {len(flagged)} patient(s) missed two sessions in a row")
    return 0
