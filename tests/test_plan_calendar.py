"""Issue 14, point 3: the calendar drives the plan (moved/cancelled sessions, late enrolment)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db.database import session_scope
from bot.db.models import Alert, Cohort, OutboxMessage, Patient
from bot.db.schedule_models import PlannedSurvey
from bot.schedule import cohorts, sessions
from bot.schedule.localtime import shift_wall
from bot.service.app import App
from tests.plan_support import NY, enrol, make_cohort, planned_assignment
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock

START = date(2026, 11, 10)  # Tuesday
DAY = 24 * 60


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 10, 20, 15, 0, tzinfo=UTC))


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> App:
    built = make_app(sqlite_url, clock)
    add_patient(built, "C-001")
    make_cohort(built, "FALL", START, now=clock())
    yield built  # type: ignore[misc]
    built.db.dispose()


def _sessions(s: Session) -> list[object]:
    cohort = s.exec(select(Cohort).where(Cohort.name == "FALL")).one()
    return cohorts.cohort_sessions(s, cohort.id or 0, include_cancelled=False)  # type: ignore[return-value]


def test_moving_the_last_session_moves_the_post_battery(app: App, clock: FakeClock) -> None:
    enrol(app, "FALL", ["C-001"], now=clock())
    with session_scope(app.db) as s:
        last = _sessions(s)[-1]
        new_start = last.starts_at + timedelta(weeks=2)  # type: ignore[attr-defined]
        sessions.move_event(s, last, new_start, clock(), program=app.program)  # type: ignore[arg-type]
    with Session(app.db) as s:
        post = planned_assignment(s, "C-001", "FALL", "promis29", "post")
        assert post.opens_at == shift_wall(new_start, -3 * DAY, NY)
        assert post.expires_at == shift_wall(new_start, 7 * DAY, NY)
        assert post.expires_at > new_start  # the old bug: expired a week before the new session


def test_moving_the_first_session_moves_the_baseline(app: App, clock: FakeClock) -> None:
    enrol(app, "FALL", ["C-001"], now=clock())
    with session_scope(app.db) as s:
        first = _sessions(s)[0]
        new_start = first.starts_at + timedelta(days=2)  # type: ignore[attr-defined]
        sessions.move_event(s, first, new_start, clock(), program=app.program)  # type: ignore[arg-type]
    with Session(app.db) as s:
        baseline = planned_assignment(s, "C-001", "FALL", "brs", "baseline")
        assert baseline.expires_at == new_start
        notices = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
        assert notices  # the patient is told


def test_cancelling_the_last_session_anchors_post_to_the_new_last(
    app: App, clock: FakeClock
) -> None:
    enrol(app, "FALL", ["C-001"], now=clock())
    with session_scope(app.db) as s:
        held = _sessions(s)
        sessions.cancel_event(s, held[-1], clock(), program=app.program)  # type: ignore[arg-type]
        new_last = held[-2].starts_at  # type: ignore[attr-defined]
    with Session(app.db) as s:
        post = planned_assignment(s, "C-001", "FALL", "promis29", "post")
        assert post.opens_at == shift_wall(new_last, -3 * DAY, NY)


def test_late_enrolment_plans_a_late_baseline_and_alerts(app: App, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)  # after session 1 (Nov 10)
    enrol(app, "FALL", ["C-001"], now=clock())
    second_session = datetime(2026, 11, 17, 19, 0, tzinfo=UTC)
    with Session(app.db) as s:
        baseline = planned_assignment(s, "C-001", "FALL", "promis29", "baseline")
        assert baseline.state == "pending"
        assert baseline.due_at <= second_session
        patient = s.exec(select(Patient).where(Patient.study_id == "C-001")).one()
        kinds = {a.kind for a in s.exec(select(Alert).where(Alert.patient_id == patient.id))}
        assert "late_baseline" in kinds


def test_enrolling_into_a_finished_cohort_is_refused(app: App, clock: FakeClock) -> None:
    clock.now = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # the 13 weeks are over
    with session_scope(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == "FALL")).one()
        patient = s.exec(select(Patient).where(Patient.study_id == "C-001")).one()
        with pytest.raises(ValueError, match="retrospective"):
            cohorts.enrol(s, cohort, patient, clock())
        cohorts.enrol(s, cohort, patient, clock(), retrospective=True)  # type: ignore[call-arg]


def test_retrospective_enrolment_plans_missed_surveys_and_the_report_flags_it(
    app: App, clock: FakeClock
) -> None:
    from bot.clinic.report.cohort import build_report

    clock.now = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    with session_scope(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == "FALL")).one()
        patient = s.exec(select(Patient).where(Patient.study_id == "C-001")).one()
        cohorts.enrol(s, cohort, patient, clock(), retrospective=True)
    with Session(app.db) as s:
        baseline = planned_assignment(s, "C-001", "FALL", "promis29", "baseline")
        assert baseline.state == "missed"
        assert s.exec(select(Alert)).all() == []  # history, not news
    report = build_report(app.db, "FALL", now=clock())
    assert any("retrospectively" in f for f in report.flags)
    post = next(c for c in report.completion if (c.timepoint, c.language) == ("post", "all"))
    assert post.completed == 0 and post.percent == 0.0  # not "100%" of nothing


def test_late_baseline_is_flagged_in_the_report(app: App, clock: FakeClock) -> None:
    from bot.clinic.report.cohort import build_report

    clock.now = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
    enrol(app, "FALL", ["C-001"], now=clock())
    report = build_report(app.db, "FALL", now=clock())
    assert report.flags == ["C-001: enrolled after the first session (late baseline)"]


def test_an_offered_post_keeps_its_opening_when_the_last_session_moves(
    app: App, clock: FakeClock
) -> None:
    enrol(app, "FALL", ["C-001"], now=clock())
    with session_scope(app.db) as s:
        post = planned_assignment(s, "C-001", "FALL", "promis29", "post")
        planned = s.get(PlannedSurvey, post.id)
        assert planned is not None
        planned.offered_at = post.opens_at
        s.add(planned)
        opened = post.opens_at
    with session_scope(app.db) as s:
        last = _sessions(s)[-1]
        new_start = last.starts_at + timedelta(weeks=1)  # type: ignore[attr-defined]
        sessions.move_event(s, last, new_start, clock(), program=app.program)  # type: ignore[arg-type]
    with Session(app.db) as s:
        post = planned_assignment(s, "C-001", "FALL", "promis29", "post")
        assert post.opens_at == opened
        assert post.expires_at == shift_wall(new_start, 7 * DAY, NY)


def test_cli_refuses_a_finished_cohort_without_retrospective(
    app: App, clock: FakeClock, sqlite_url: str
) -> None:
    from tests.test_cli import pathbot

    make_cohort(app, "OLD", date(2020, 1, 7), now=clock())  # over long before any clock
    refused = pathbot("cohort", "add", "OLD", "C-001", "--db", sqlite_url)
    assert refused.returncode == 2 and "--retrospective" in refused.stderr
    done = pathbot("cohort", "add", "OLD", "C-001", "--retrospective", "--db", sqlite_url)
    assert done.returncode == 0, done.stderr
