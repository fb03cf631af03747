"""Issue 14, point 1: baseline and post come from one enrolment's plan, never from fallbacks.

The figures each case expects are recomputed here with scipy from the pairs the plan defines, so
the report is checked against an independent calculation, not against itself.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from scipy import stats

from bot.clinic.report.cohort import build_report
from bot.service.app import App
from surveys.loader import load_instrument
from surveys.scoring import score
from tests.exports_support import (
    add_patient,
    complete_survey,
    dvprs_answers,
    make_app,
    promis_answers,
)
from tests.plan_support import answer_planned, brs_answers, enrol, graduate, make_cohort
from tests.support import FakeClock

FALL = date(2026, 9, 8)  # a Tuesday: sessions 2026-09-08 .. 2026-12-01
FALL_FIRST = datetime(2026, 9, 8, 18, 0, tzinfo=UTC)  # 14:00 New York (EDT)
FALL_LAST = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 14:00 New York (EST)


def _expected(base: list[float], post: list[float]) -> dict[str, float]:
    """n, mean change, 95% CI and paired-t p, computed independently with scipy."""
    diffs = [b - a for a, b in zip(base, post, strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return {
        "n": n,
        "mean": mean,
        "low": float(low),
        "high": float(high),
        "p": float(stats.ttest_rel(post, base).pvalue),
    }


def _result(report: object, instrument: str, scale: str) -> object:
    return next(
        r
        for r in report.measures  # type: ignore[attr-defined]
        if (r.measure.instrument, r.measure.scale) == (instrument, scale)
    )


def _promis_t(level: int, scale: str) -> float:
    t = score(load_instrument("promis29"), promis_answers(level)).scores[scale].t
    assert t is not None
    return t


@pytest.fixture
def app(sqlite_url: str) -> App:
    built = make_app(sqlite_url, FakeClock(datetime(2026, 8, 1, 15, 0, tzinfo=UTC)))
    yield built  # type: ignore[misc]
    built.db.dispose()


# 12 patients. P01-P09 answered the planned baseline and post. P10-P12 missed the baseline but
# answered the post and the 3-month alumni follow-up (both better than the post): the old
# fallback paired post -> follow-up for them.
PAIRED_BASE = [2, 3, 2, 3, 2, 3, 2, 2, 3]
PAIRED_POST = [3, 3, 3, 4, 2, 4, 3, 2, 3]
UNPAIRED_POST, UNPAIRED_FOLLOWUP = 2, 4


def test_no_baseline_means_unpaired_not_post_to_followup(app: App) -> None:
    ids = [f"P{i:02d}" for i in range(1, 13)]
    for study_id in ids:
        add_patient(app, study_id)
    make_cohort(app, "FALL", FALL, alumni_months=(3,))
    enrol(app, "FALL", ids, now=datetime(2026, 8, 15, tzinfo=UTC))
    for i, study_id in enumerate(ids[:9]):
        answer_planned(
            app, study_id, "FALL", "promis29", "baseline", promis_answers(PAIRED_BASE[i]),
            when=FALL_FIRST - timedelta(days=3),
        )  # fmt: skip
        answer_planned(
            app, study_id, "FALL", "promis29", "post", promis_answers(PAIRED_POST[i]),
            when=FALL_LAST + timedelta(days=1),
        )  # fmt: skip
    for study_id in ids[9:]:
        answer_planned(
            app, study_id, "FALL", "promis29", "post", promis_answers(UNPAIRED_POST),
            when=FALL_LAST + timedelta(days=1),
        )  # fmt: skip
    graduated = FALL_LAST + timedelta(days=2)
    graduate(app, "FALL", now=graduated)
    for study_id in ids[9:]:
        answer_planned(
            app, study_id, "FALL", "promis29", "alumni_3m", promis_answers(UNPAIRED_FOLLOWUP),
            when=graduated + timedelta(days=95),
        )  # fmt: skip

    report = build_report(app.db, "FALL", now=graduated + timedelta(days=120))
    for scale in ("physical_function", "pain_interference"):
        r = _result(report, "promis29", scale)
        want = _expected(
            [_promis_t(level, scale) for level in PAIRED_BASE],
            [_promis_t(level, scale) for level in PAIRED_POST],
        )
        s = r.stats  # type: ignore[attr-defined]
        assert s.n == want["n"] == 9
        assert s.mean_change == pytest.approx(want["mean"])
        assert (s.ci_low, s.ci_high) == (pytest.approx(want["low"]), pytest.approx(want["high"]))
        assert s.p_value == pytest.approx(want["p"])
        unpaired = {u.study_id: u.reason for u in r.unpaired}  # type: ignore[attr-defined]
        assert set(unpaired) == {"P10", "P11", "P12"}
        assert all("baseline" in reason for reason in unpaired.values())


def test_repeat_enrolment_is_its_own_row(app: App) -> None:
    """SPRING then FALL: the FALL report uses the FALL baseline (mean change 1.00, not 2.00)."""
    ids = ["R1", "R2", "R3", "R4"]
    spring_base, fall_base, fall_post = [2, 1, 2, 1], [3, 2, 3, 2], [4, 4, 3, 3]
    for study_id in ids:
        add_patient(app, study_id)
    spring_first = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
    make_cohort(app, "SPRING", date(2026, 3, 3), now=datetime(2026, 2, 1, tzinfo=UTC))
    enrol(app, "SPRING", ids, now=datetime(2026, 2, 10, tzinfo=UTC))
    for i, study_id in enumerate(ids):
        answer_planned(
            app, study_id, "SPRING", "brs", "baseline", brs_answers(spring_base[i]),
            when=spring_first - timedelta(days=2),
        )  # fmt: skip
        # A visit DVPRS in SPRING must not become the FALL cohort's "first visit".
        complete_survey(
            app, study_id, "dvprs", dvprs_answers(9), when=spring_first, timepoint="visit"
        )
    make_cohort(app, "FALL", FALL)
    enrol(app, "FALL", ids, now=datetime(2026, 8, 15, tzinfo=UTC))
    for i, study_id in enumerate(ids):
        answer_planned(
            app, study_id, "FALL", "brs", "baseline", brs_answers(fall_base[i]),
            when=FALL_FIRST - timedelta(days=2),
        )  # fmt: skip
        answer_planned(
            app, study_id, "FALL", "brs", "post", brs_answers(fall_post[i]),
            when=FALL_LAST + timedelta(days=1),
        )  # fmt: skip

    report = build_report(app.db, "FALL", now=FALL_LAST + timedelta(days=10))
    r = _result(report, "brs", "resilience")
    want = _expected([float(x) for x in fall_base], [float(x) for x in fall_post])
    s = r.stats  # type: ignore[attr-defined]
    assert s.n == want["n"] == 4
    assert s.mean_change == pytest.approx(want["mean"]) and want["mean"] == pytest.approx(1.0)
    assert (s.ci_low, s.ci_high) == (pytest.approx(want["low"]), pytest.approx(want["high"]))
    assert s.p_value == pytest.approx(want["p"])
    # The SPRING visit is not part of the FALL enrolment: no DVPRS pair at all in FALL.
    assert all(m.measure.instrument != "dvprs" for m in report.measures)


def test_cohort_not_started_has_no_change(app: App) -> None:
    """A form dated four days before the baseline is not that cohort's post."""
    add_patient(app, "W1")
    winter_first = datetime(2027, 1, 12, 19, 0, tzinfo=UTC)
    make_cohort(app, "WINTER", date(2027, 1, 12))
    enrol(app, "WINTER", ["W1"], now=datetime(2026, 12, 1, tzinfo=UTC))
    complete_survey(
        app, "W1", "brs", brs_answers(2), when=winter_first - timedelta(days=7), timepoint="adhoc"
    )
    answer_planned(
        app, "W1", "WINTER", "brs", "baseline", brs_answers(3),
        when=winter_first - timedelta(days=3),
    )  # fmt: skip
    report = build_report(app.db, "WINTER", now=winter_first - timedelta(days=1))
    assert all(r.stats.n == 0 for r in report.measures)  # nothing paired
    brs = [r for r in report.unpaired if r.instrument == "brs"]  # type: ignore[attr-defined]
    assert [(u.study_id, u.reason) for u in brs] == [("W1", "no post yet")]
