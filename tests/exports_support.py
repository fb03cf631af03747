"""Helpers for the export, import, report and alert tests: patients and surveys via the store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import Session, select

from bot.clinic.alerts.flags import flag_completed
from bot.conversation.events import AnswerRecorded, SurveyCompleted
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Cohort, Enrolment, Patient
from bot.service.app import App, build_app
from bot.service.settings import Settings
from surveys.loader import load_instrument
from tests.support import FakeClock


def make_app(db_url: str, clock: FakeClock, **settings: object) -> App:
    return build_app(Settings(_env_file=None, **settings), database_url=db_url, clock=clock)  # type: ignore[call-arg]


def add_patient(app: App, study_id: str, *, name: str = "", locale: str = "en") -> int:
    with session_scope(app.db) as s:
        patient = store.add_patient(
            s, study_id=study_id, now=app.pipeline.now(), display_name=name, locale=locale
        )
        s.flush()
        assert patient.id is not None
        return patient.id


def add_cohort(app: App, name: str, study_ids: list[str], start: date) -> int:
    with session_scope(app.db) as s:
        cohort = Cohort(
            name=name, start_date=start, timezone="America/New_York", created_at=app.pipeline.now()
        )
        s.add(cohort)
        s.flush()
        assert cohort.id is not None
        for study_id in study_ids:
            patient = s.exec(select(Patient).where(Patient.study_id == study_id)).one()
            s.add(
                Enrolment(
                    cohort_id=cohort.id, patient_id=patient.id or 0, enrolled_at=app.pipeline.now()
                )
            )
        return cohort.id


def complete_survey(
    app: App,
    study_id: str,
    instrument_id: str,
    answers: Mapping[str, int | None],
    *,
    when: datetime,
    timepoint: str = "adhoc",
    channel: str = "console",
) -> int:
    """Answer every item and complete the survey through the store, as the pipeline does."""
    instrument = load_instrument(instrument_id)
    with session_scope(app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == study_id)).one()
        assignment = store.create_assignment(
            s,
            patient=patient,
            instrument_id=instrument.id,
            version=instrument.version,
            now=when,
            timepoint=timepoint,
        )
        assert assignment.id is not None
        events: list[object] = []
        for item in instrument.items:
            value = answers.get(item.id)
            option = next((o for o in item.options if o.value == value), None)
            events.append(
                AnswerRecorded(
                    assignment_id=assignment.id,
                    instrument_id=instrument.id,
                    item_id=item.id,
                    option_code=option.code if option else None,
                    value=value,
                    status="answered" if value is not None else "skipped",
                    raw_text="" if value is None else str(option.code if option else value),
                    language=patient.locale,
                    parser_version="test",
                )
            )
        events.append(
            SurveyCompleted(
                assignment_id=assignment.id,
                instrument_id=instrument.id,
                version=instrument.version,
                answers={i.id: answers.get(i.id) for i in instrument.items},
            )
        )
        completed = store.apply_events(s, patient=patient, events=events, channel=channel, now=when)  # type: ignore[arg-type]
        flag_completed(s, completed, when)  # clinical flags, as the pipeline raises them
        return assignment.id


def dvprs_answers(pain: int, interference: int = 3) -> dict[str, int | None]:
    return {
        "dvprs_pain": pain,
        "dvprs_activity": interference,
        "dvprs_sleep": interference,
        "dvprs_mood": interference,
        "dvprs_stress": interference,
    }


def promis_answers(level: int) -> dict[str, int | None]:
    """Every PROMIS-29 item at the option with scored value `level` (1-5), pain rating 2*level."""
    instrument = load_instrument("promis29")
    out: dict[str, int | None] = {}
    for item in instrument.items:
        values = sorted(o.value for o in item.options)
        out[item.id] = 2 * level if item.id == "Global07" else values[level - 1]
    return out


def session_for(app: App) -> Session:
    return Session(app.db)
