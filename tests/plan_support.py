"""Helpers for the issue-14 tests: real cohorts with their survey plan, answered through the plan.

Cohorts are made with `create_cohort` (sessions and plan entries) and patients enrolled with
`enrol`, so every baseline and post survey is the planned assignment of one enrolment. Answers
go through `store.apply_events`, the way the pipeline stores a finished chat survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.conversation.events import AnswerRecorded, SurveyCompleted
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Cohort, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from bot.schedule import cohorts
from bot.schedule.plan import PlanOptions
from bot.service.app import App
from surveys.loader import load_instrument

NY = "America/New_York"


def make_cohort(
    app: App,
    name: str,
    start: date,
    *,
    weeks: int = 13,
    alumni_months: tuple[int, ...] = (),
    now: datetime | None = None,
) -> int:
    """A cohort meeting Tuesdays 14:00 New York time, with the default battery plan."""
    with session_scope(app.db) as s:
        cohort = cohorts.create_cohort(
            s,
            name=name,
            start_date=start,
            timezone=NY,
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"),
            now=now or app.pipeline.now(),
            weeks=weeks,
            survey_plan=PlanOptions(alumni_followup_months=alumni_months),
        )
        assert cohort.id is not None
        return cohort.id


def enrol(app: App, cohort_name: str, study_ids: list[str], *, now: datetime) -> None:
    with session_scope(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == cohort_name)).one()
        for study_id in study_ids:
            patient = s.exec(select(Patient).where(Patient.study_id == study_id)).one()
            cohorts.enrol(s, cohort, patient, now)


def graduate(app: App, cohort_name: str, *, now: datetime) -> None:
    with session_scope(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == cohort_name)).one()
        cohorts.graduate(s, cohort, now)


def planned_assignment(
    s: Session, study_id: str, cohort_name: str, instrument_id: str, timepoint: str
) -> SurveyAssignment:
    """The one planned assignment of this enrolment for an instrument and timepoint."""
    rows = s.exec(
        select(SurveyAssignment)
        .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .join(Cohort, col(Cohort.id) == col(SurveyPlanEntry.cohort_id))
        .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
        .where(
            Patient.study_id == study_id,
            Cohort.name == cohort_name,
            SurveyAssignment.instrument_id == instrument_id,
            SurveyAssignment.timepoint == timepoint,
        )
    ).all()
    assert len(rows) == 1, f"{len(rows)} planned {instrument_id}/{timepoint} for {study_id}"
    return rows[0]


def answer_planned(
    app: App,
    study_id: str,
    cohort_name: str,
    instrument_id: str,
    timepoint: str,
    answers: Mapping[str, int | None],
    *,
    when: datetime,
) -> int:
    """Answer and complete the planned assignment, as the pipeline does after a chat survey."""
    with Session(app.db) as s:
        assignment = planned_assignment(s, study_id, cohort_name, instrument_id, timepoint)
        assert assignment.id is not None
        assignment_id = assignment.id
    return _complete(app, assignment_id, instrument_id, answers, when)


def _complete(
    app: App,
    assignment_id: int,
    instrument_id: str,
    answers: Mapping[str, int | None],
    when: datetime,
) -> int:
    instrument = load_instrument(instrument_id)
    with session_scope(app.db) as s:
        assignment = s.get(SurveyAssignment, assignment_id)
        assert assignment is not None
        patient = s.get(Patient, assignment.patient_id)
        assert patient is not None
        events: list[object] = []
        for item in instrument.items:
            value = answers.get(item.id)
            option = next((o for o in item.options if o.value == value), None)
            events.append(
                AnswerRecorded(
                    assignment_id=assignment_id,
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
                assignment_id=assignment_id,
                instrument_id=instrument.id,
                version=instrument.version,
                answers={i.id: answers.get(i.id) for i in instrument.items},
            )
        )
        store.apply_events(s, patient=patient, events=events, channel="sms", now=when)  # type: ignore[arg-type]
    return assignment_id


def brs_answers(level: int) -> dict[str, int | None]:
    """BRS answers whose resilience mean is `level`: items 2, 4 and 6 are reverse-scored."""
    return {f"brs_{i}": level if i % 2 else 6 - level for i in range(1, 7)}


def answer_visit(
    app: App,
    study_id: str,
    cohort_name: str,
    week: int,
    answers: Mapping[str, int | None],
    *,
    when: datetime,
) -> int:
    """Answer the planned DVPRS of one week's session of this enrolment."""
    from bot.db.schedule_models import EventOccurrence

    with Session(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == cohort_name)).one()
        occurrence = s.exec(
            select(EventOccurrence).where(EventOccurrence.key == f"cohort:{cohort.id}:week:{week}")
        ).one()
        assignment = s.exec(
            select(SurveyAssignment)
            .join(Patient, col(Patient.id) == col(SurveyAssignment.patient_id))
            .where(
                Patient.study_id == study_id,
                SurveyAssignment.event_id == occurrence.event_id,
                SurveyAssignment.instrument_id == "dvprs",
            )
        ).one()
        assert assignment.id is not None
        assignment_id = assignment.id
    return _complete(app, assignment_id, "dvprs", answers, when)
