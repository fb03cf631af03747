"""At most one nudge at a time: when several nudge times have passed (the server was down, or a
survey was offered late), one nudge covers them all. Before, the overdue ones went out one per
scheduler tick, a minute apart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.db.database import session_scope
from bot.db.models import OutboxMessage, Patient, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry
from bot.schedule import cohorts, plan
from bot.schedule.due import materialise_due_work
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock


def test_overdue_nudges_are_one_nudge_not_one_per_tick(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    app = make_app(sqlite_url, clock)
    pid = add_patient(app, "N001")
    with session_scope(app.db) as s:
        cohort = cohorts.create_cohort(
            s,
            name="Nudges",
            start_date=date(2026, 11, 10),
            timezone="America/New_York",
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"),
            now=clock(),
        )
        patient = s.get(Patient, pid)
        assert patient is not None
        cohorts.enrol(s, cohort, patient, clock())
    with Session(app.db) as s:
        assignment, entry = s.exec(
            select(SurveyAssignment, SurveyPlanEntry)
            .join(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
            .join(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
            .where(SurveyAssignment.patient_id == pid)
            .order_by(col(SurveyAssignment.opens_at))
        ).first()  # type: ignore[misc]
    assert len(entry.nudge_minutes) == 2
    clock.now = assignment.opens_at
    materialise_due_work(app.due_work_setup(), clock())  # the survey is offered
    # the server was down past both nudge times (but before the survey expires)
    clock.now = assignment.opens_at + timedelta(minutes=entry.nudge_minutes[1] + 1)
    assert clock.now < assignment.expires_at
    nudged = []
    for _ in range(3):  # three scheduler ticks, a minute apart
        with session_scope(app.db) as s:
            nudged.append(plan.send_nudges(s, clock(), app.program))
        clock.advance(minutes=1)
    assert nudged == [1, 0, 0]
    with Session(app.db) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
        again = s.get(SurveyAssignment, assignment.id)
    assert len(rows) == 1
    assert again is not None and again.nudges_sent == 2  # both nudge times are used up
    app.db.dispose()
