"""Issue 14, point 4: honest rates and thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clinic.report import cohort as report_cohort
from bot.clinic.report.cohort import build_report
from bot.clinic.report.render import render_html
from bot.clinic.report.stats import Pair
from bot.db.database import session_scope
from bot.db.models import Event, Patient, Rsvp
from bot.service.app import App
from tests.exports_support import add_cohort, add_patient, make_app
from tests.support import FakeClock

START = datetime(2026, 9, 8, 18, 0, tzinfo=UTC)


@pytest.fixture
def app(sqlite_url: str) -> App:
    built = make_app(sqlite_url, FakeClock(START + timedelta(weeks=9)))
    yield built  # type: ignore[misc]
    built.db.dispose()


def test_attendance_rate_is_over_recorded_places(app: App) -> None:
    """8 people x 8 sessions held, attendance recorded for 20 places, 18 attended: 90%, not 28%."""
    ids = [f"A{i}" for i in range(8)]
    for study_id in ids:
        add_patient(app, study_id)
    cohort_id = add_cohort(app, "FALL", ids, date(2026, 9, 8))
    with session_scope(app.db) as s:
        patients = s.exec(select(Patient)).all()
        recorded = 0
        for week in range(8):
            event = Event(
                kind="session", cohort_id=cohort_id, starts_at=START + timedelta(weeks=week),
                created_at=START,
            )  # fmt: skip
            s.add(event)
            s.flush()
            for patient in patients:
                if recorded < 20:
                    s.add(Rsvp(event_id=event.id or 0, patient_id=patient.id or 0,
                               attended=recorded >= 2))  # fmt: skip
                    recorded += 1
    a = build_report(app.db, "FALL", now=app.pipeline.now()).attendance
    assert (a.recorded, a.attended) == (20, 18)
    assert a.percent == pytest.approx(90.0)
    assert a.not_recorded == 44  # type: ignore[attr-defined]


def test_exactly_the_threshold_meets_it() -> None:
    """In exact arithmetic the mean change is 3.00; in binary floating point 2.9999999999999964."""
    base = [68.5, 68.2, 37.0, 38.0]
    post = [71.6, 71.1, 40.2, 40.8]
    pairs = [Pair(f"P{i}", b, p) for i, (b, p) in enumerate(zip(base, post, strict=True))]
    rules = report_cohort.measure_rules()
    measure = next(m for m in rules.measures if m.scale == "physical_function")
    result = report_cohort.measure_result_from_pairs(measure, pairs, rules)  # type: ignore[attr-defined]
    assert result.stats.mean_change < 3.0  # the float really is below 3
    assert result.group_meets_mid is True


def test_report_names_per_domain_thresholds_and_direction(app: App) -> None:
    rules = report_cohort.measure_rules()
    by_scale = {(m.instrument, m.scale): m for m in rules.measures}
    pi = by_scale[("promis29", "pain_interference")]
    dep = by_scale[("promis29", "depression")]
    summary = by_scale[("promis29", "physical_health_summary")]
    assert (pi.threshold.low, pi.threshold.high) == (2.0, 3.0)  # type: ignore[attr-defined]
    assert dep.threshold.low > pi.threshold.low  # type: ignore[attr-defined]
    assert summary.threshold.provisional is True  # type: ignore[attr-defined]
    assert by_scale[("brs", "resilience")].threshold.provisional is True  # type: ignore[attr-defined]
    add_cohort(app, "EMPTY", [], date(2026, 9, 8))
    page = render_html(build_report(app.db, "EMPTY", now=app.pipeline.now()))
    assert "improvement" in page
