"""The cohort report counts domains lost to skipped items (issue 13.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.clinic.report.cohort import build_report
from bot.clinic.report.render import render_html
from bot.clinic.report.skips import SkipLoss
from tests.exports_support import add_patient, make_app, promis_answers
from tests.plan_support import answer_planned, enrol, make_cohort
from tests.support import FakeClock

FIRST = datetime(2026, 9, 8, 18, 0, tzinfo=UTC)


def test_domains_lost_to_skips_are_counted_per_instrument_and_timepoint(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'pathbot.db'}", FakeClock(FIRST + timedelta(days=1)))
    try:
        for study_id in ("A", "B", "C"):
            add_patient(app, study_id)
        make_cohort(app, "fall", date(2026, 9, 7), now=datetime(2026, 8, 1, tzinfo=UTC))
        enrol(app, "fall", ["A", "B", "C"], now=datetime(2026, 8, 20, tzinfo=UTC))
        two_skips = promis_answers(3) | {"EDANX40": None, "Sleep116": None}
        one_skip = promis_answers(3) | {"Global07": None}
        when = FIRST - timedelta(days=2)
        answer_planned(app, "A", "fall", "promis29", "baseline", two_skips, when=when)
        answer_planned(app, "B", "fall", "promis29", "baseline", one_skip, when=when)
        answer_planned(app, "C", "fall", "promis29", "baseline", promis_answers(3), when=when)
        report = build_report(app.db, "fall", now=FIRST + timedelta(days=1))
        # A: anxiety and sleep disturbance (the summaries follow from them, not counted);
        # B: pain intensity
        assert SkipLoss("promis29", "baseline", 3, 2, 3) in report.skip_losses
        html = render_html(report)
        assert "Domains lost to skipped items" in html
        assert "<td>promis29</td><td>baseline</td><td>3</td><td>2</td><td>3</td>" in html
    finally:
        app.db.dispose()
