"""`pathbot visit PATIENT`: staff record a visit; the patient gets the DVPRS pain check."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.db import store
from surveys.loader import load_instrument


def register(sub: Any) -> None:
    visit = sub.add_parser("visit", help="record a visit: send the patient the DVPRS")
    visit.add_argument("study_id")
    visit.add_argument("--instrument", default="dvprs")
    visit.add_argument("--actor", help="who records it, for the audit log (default: OS user)")
    visit.add_argument("--db", help="database URL (default: DATABASE_URL)")
    visit.set_defaults(run=run_visit)


def run_visit(ns: argparse.Namespace) -> int:
    load_instrument(ns.instrument)  # an unknown instrument: the loader's one-line error
    with command_app(ns) as app:
        with Session(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
            if patient is None or patient.id is None:
                raise CommandError(f"no patient {ns.study_id}")
            if patient.status == "stopped":
                raise CommandError(f"{ns.study_id} has opted out; nothing sent")
            if store.reachable_identity(session, patient) is None:
                # Before: "queued", and the survey waited for ever with nothing sent.
                raise CommandError(
                    f"{ns.study_id} has not confirmed any channel yet (SMS START or the Telegram "
                    "link); nothing sent"
                )
            state = store.load_state(session, patient.id, for_update=False)
        if state.mode == "crisis_hold":
            raise CommandError(
                f"{ns.study_id} is on a crisis hold; nothing sent. Staff speak with the "
                "patient, then: pathbot alerts resolve ALERT_ID --release --outcome "
                "handled|false_alarm --note '...'"
            )
        busy = state.survey is not None or bool(state.queue) or state.mode != "active"
        assignment = app.pipeline.start_survey(patient.id, ns.instrument, timepoint="visit")
        audit.record_now(
            app.db,
            actor=audit.current_actor(ns.actor),
            action="visit.record",
            object_type="patient",
            object_id=ns.study_id,
            detail={"instrument": ns.instrument, "assignment": assignment},
            now=app.pipeline.now(),
        )
        if busy:
            print(
                f"visit recorded for {ns.study_id}: {ns.instrument} (assignment {assignment}) "
                "waits until the survey in progress is finished"
            )
        else:
            print(
                f"visit recorded for {ns.study_id}: {ns.instrument} queued (assignment "
                f"{assignment}); `pathbot run` sends it"
            )
    return 0
