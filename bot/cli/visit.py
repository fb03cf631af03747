"""`pathbot visit PATIENT`: staff record a visit; the patient gets the DVPRS pain check."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from bot.cli.common import CommandError, command_app
from bot.db import store


def register(sub: Any) -> None:
    visit = sub.add_parser("visit", help="record a visit: send the patient the DVPRS")
    visit.add_argument("study_id")
    visit.add_argument("--instrument", default="dvprs")
    visit.add_argument("--db", help="database URL (default: DATABASE_URL)")
    visit.set_defaults(run=run_visit)


def run_visit(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
        if patient is None or patient.id is None:
            raise CommandError(f"no patient {ns.study_id}")
        if patient.status == "stopped":
            raise CommandError(f"{ns.study_id} has opted out; nothing sent")
        assignment = app.pipeline.start_survey(patient.id, ns.instrument, timepoint="visit")
        print(f"visit recorded for {ns.study_id}: {ns.instrument} queued (assignment {assignment})")
    return 0
