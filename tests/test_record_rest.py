"""Issue 14, point 7: the rest of the record."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.clinic.paper_import import import_responses
from bot.clinic.report.cohort import MeasureResult
from bot.clinic.report.plots import prepost_figure
from bot.clinic.report.stats import Pair, change_stats
from bot.db.database import session_scope
from bot.db.models import Alert, Cohort, Patient
from bot.db.schedule_models import SurveyPlanEntry
from bot.schedule import cohorts, rsvp
from bot.service.app import App
from surveys.loader import load_instrument
from tests.plan_support import enrol, make_cohort
from tests.schedule_support import add_patient, make_app
from tests.support import FakeClock

NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def app(sqlite_url: str) -> App:
    built = make_app(sqlite_url, FakeClock(NOW))
    add_patient(built, "H-001")
    yield built  # type: ignore[misc]
    built.db.dispose()


def test_alert_from_a_historical_paper_form_is_marked_historical(app: App, tmp_path: Path) -> None:
    rows = "".join(
        f"H-001,dvprs,2.0,adhoc,{item},{value},2025-03-01\n"
        for item, value in (("dvprs_pain", 9), ("dvprs_activity", 8), ("dvprs_sleep", 8),
                            ("dvprs_mood", 8), ("dvprs_stress", 8))
    )  # fmt: skip
    path = tmp_path / "old.csv"
    path.write_text(
        "patient,instrument,instrument_version,timepoint,item_id,value,answered_at\n" + rows
    )
    import_responses(app.db, path, actor="nurse", now=NOW)
    with Session(app.db) as s:
        alerts = s.exec(select(Alert).where(Alert.kind == "clinical")).all()
        assert [a.status for a in alerts] == ["historical"]


def test_missed_sessions_alert_closes_when_attendance_is_corrected(app: App) -> None:
    make_cohort(app, "FALL", date(2026, 9, 8), now=datetime(2026, 8, 1, tzinfo=UTC))
    enrol(app, "FALL", ["H-001"], now=datetime(2026, 8, 2, tzinfo=UTC))
    with session_scope(app.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == "FALL")).one()
        patient = s.exec(select(Patient).where(Patient.study_id == "H-001")).one()
        first, second = cohorts.cohort_sessions(s, cohort.id or 0)[:2]
        rsvp.record_attendance(s, first, {patient.id or 0}, NOW)
        assert rsvp.record_attendance(s, second, {patient.id or 0}, NOW) == [patient.id]
        rsvp.record_attendance(s, second, set(), NOW)  # staff correct: they were there
    with Session(app.db) as s:
        alert = s.exec(select(Alert).where(Alert.kind == "missed_sessions")).one()
        assert (alert.status, alert.acknowledged_by) == ("resolved", "attendance corrected")


def test_plots_use_each_instruments_full_range() -> None:
    from bot.clinic.report.cohort import measure_rules

    rules = measure_rules()
    results = []
    for instrument, scale in (
        ("brs", "resilience"),
        ("cpaq8", "total"),
        ("dvprs", "pain_intensity"),
    ):
        measure = next(m for m in rules.measures if (m.instrument, m.scale) == (instrument, scale))
        pairs = [Pair("a", 3.0, 3.5), Pair("b", 3.2, 3.4)]
        results.append(MeasureResult(measure=measure, pairs=pairs, stats=change_stats(pairs)))
    fig = prepost_figure(results)
    assert fig is not None
    limits = [ax.get_ylim() for ax in fig.axes[:3]]
    for (low, high), (lo_range, hi_range) in zip(limits, [(1, 5), (0, 48), (0, 10)], strict=True):
        assert low <= lo_range and high >= hi_range
        assert high - low <= 1.2 * (hi_range - lo_range)  # the range, not an autoscaled blow-up


def test_battery_sittings_hold_at_most_about_15_items(app: App) -> None:
    make_cohort(app, "FALL", date(2026, 11, 10))
    with Session(app.db) as s:
        sizes: dict[tuple[str, int], int] = defaultdict(int)
        for entry in s.exec(select(SurveyPlanEntry)).all():
            if entry.timepoint in ("baseline", "post"):
                items = (
                    getattr(entry, "item_ids", None)
                    or load_instrument(entry.instrument_id).item_ids
                )
                sizes[(entry.timepoint, entry.sitting)] += len(items)
    assert sizes and max(sizes.values()) <= 16, dict(sizes)
    assert sum(v for (tp, _), v in sizes.items() if tp == "baseline") == 55  # every item asked
