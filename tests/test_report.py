"""The cohort report on a generated cohort with known effects, checked against scipy."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from scipy import stats
from sqlmodel import select

from bot.clinic.report.cohort import CohortNotFound, build_report
from bot.clinic.report.render import render_html, write_pdf
from bot.clinic.report.stats import Pair, change_stats, reduction_share, reliable_change
from bot.db.database import session_scope
from bot.db.models import Cohort, Patient, Rsvp
from bot.schedule import cohorts
from bot.service.app import App
from surveys.loader import load_instrument
from surveys.scoring import score
from tests.exports_support import add_patient, dvprs_answers, make_app, promis_answers
from tests.plan_support import answer_planned, answer_visit, enrol, make_cohort
from tests.support import FakeClock

FIRST = datetime(2026, 9, 8, 18, 0, tzinfo=UTC)  # Tuesday 14:00 New York, session 1
LAST = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # session 13
DVPRS_BASE = [8, 7, 6, 9, 5, 7, 8, 6]
DVPRS_POST = [4, 6, 3, 5, 5, 2, 7, 3]
PROMIS_BASE = [4, 4, 3, 5, 4, 3, 4, 5]  # answer level at baseline
PROMIS_POST = [3, 2, 3, 3, 4, 1, 4, 2]
STUDY_IDS = [f"P-{i:02d}" for i in range(1, 9)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    clock = FakeClock(LAST + timedelta(weeks=1))
    built = make_app(f"sqlite:///{tmp_path_factory.mktemp('report')}/pathbot.db", clock)
    for study_id in [*STUDY_IDS, "OTHER"]:
        add_patient(built, study_id)
    make_cohort(built, "fall-2026", date(2026, 9, 7), now=datetime(2026, 8, 1, tzinfo=UTC))
    make_cohort(built, "other", date(2026, 9, 7), now=datetime(2026, 8, 1, tzinfo=UTC))
    enrol(built, "fall-2026", STUDY_IDS, now=datetime(2026, 8, 20, tzinfo=UTC))
    enrol(built, "other", ["OTHER"], now=datetime(2026, 8, 20, tzinfo=UTC))
    for i, study_id in enumerate(STUDY_IDS):
        base, post = DVPRS_BASE[i], DVPRS_POST[i]
        answer_visit(built, study_id, "fall-2026", 1, dvprs_answers(base), when=FIRST)
        mid = FIRST + timedelta(weeks=6)
        answer_visit(built, study_id, "fall-2026", 7, dvprs_answers((base + post) // 2), when=mid)
        answer_visit(built, study_id, "fall-2026", 13, dvprs_answers(post), when=LAST)
        answer_planned(
            built, study_id, "fall-2026", "promis29", "baseline",
            promis_answers(PROMIS_BASE[i]), when=FIRST - timedelta(days=2),
        )  # fmt: skip
        if i < 7:  # one patient never did the post battery
            answer_planned(
                built, study_id, "fall-2026", "promis29", "post",
                promis_answers(PROMIS_POST[i]), when=LAST + timedelta(days=1),
            )  # fmt: skip
    answer_visit(built, "OTHER", "other", 1, dvprs_answers(0), when=FIRST)
    with session_scope(built.db) as s:
        cohort = s.exec(select(Cohort).where(Cohort.name == "fall-2026")).one()
        patients = s.exec(select(Patient).where(Patient.study_id != "OTHER")).all()
        for week, event in enumerate(cohorts.cohort_sessions(s, cohort.id or 0)[:3]):
            for n, patient in enumerate(patients):
                s.add(
                    Rsvp(
                        event_id=event.id or 0,
                        patient_id=patient.id or 0,
                        attended=not (week == 2 and n < 2),
                    )
                )
    yield built  # type: ignore[misc]
    built.db.dispose()


def _result(report: object, instrument: str, scale: str) -> object:
    return next(
        r
        for r in report.measures  # type: ignore[attr-defined]
        if (r.measure.instrument, r.measure.scale) == (instrument, scale)
    )


def test_dvprs_change_matches_scipy(app: App) -> None:
    report = build_report(app.db, "fall-2026", now=app.pipeline.now())
    assert report.participants == STUDY_IDS
    r = _result(report, "dvprs", "pain_intensity")
    s = r.stats  # type: ignore[attr-defined]
    diffs = [b - a for a, b in zip(DVPRS_BASE, DVPRS_POST, strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / math.sqrt(n))
    test = stats.ttest_rel(DVPRS_POST, DVPRS_BASE)
    assert s.n == 8
    assert s.baseline_mean == pytest.approx(sum(DVPRS_BASE) / 8)
    assert s.post_mean == pytest.approx(sum(DVPRS_POST) / 8)
    assert s.mean_change == pytest.approx(mean) and mean == pytest.approx(-21 / 8)
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert s.p_value == pytest.approx(test.pvalue) and s.t_statistic == pytest.approx(
        test.statistic
    )
    assert s.cohens_dz == pytest.approx(mean / sd)
    # by hand: reductions 50%, 14%, 50%, 44%, 0%, 71%, 12.5%, 50%
    assert (r.reductions[30.0].count, r.reductions[30.0].of) == (5, 8)  # type: ignore[attr-defined]
    assert (r.reductions[50.0].count, r.reductions[50.0].of) == (4, 8)  # type: ignore[attr-defined]


def test_promis_group_and_individual_change(app: App) -> None:
    report = build_report(app.db, "fall-2026", now=app.pipeline.now())
    r = _result(report, "promis29", "pain_interference")
    promis = load_instrument("promis29")
    pairs = []
    for base, post in zip(PROMIS_BASE[:7], PROMIS_POST[:7], strict=True):
        b = score(promis, promis_answers(base)).scores["pain_interference"]
        p = score(promis, promis_answers(post)).scores["pain_interference"]
        assert b.t is not None and p.t is not None
        pairs.append((b.t, b.se, p.t, p.se))
    s = r.stats  # type: ignore[attr-defined]
    assert s.n == 7  # the patient without a post battery is not paired
    mean = sum(p - b for b, _, p, _ in pairs) / 7
    assert s.mean_change == pytest.approx(mean) and mean < -3
    assert r.threshold == 2.0 and r.group_meets_mid is True  # type: ignore[attr-defined]
    rcs = [(p - b) / math.sqrt(bse**2 + pse**2) for b, bse, p, pse in pairs]
    assert r.reliably_improved.count == sum(rc <= -1.96 for rc in rcs)  # type: ignore[attr-defined]
    assert r.reliably_worse.count == sum(rc >= 1.96 for rc in rcs)  # type: ignore[attr-defined]
    assert r.improved_mid.count == sum(b - p >= 2 for b, _, p, _ in pairs)  # type: ignore[attr-defined]
    # Lower answer levels are worse physical function, where higher T is better.
    pf = _result(report, "promis29", "physical_function")
    assert pf.stats.mean_change < -3 and pf.group_meets_mid is False  # type: ignore[attr-defined]
    assert pf.direction == "worsening" and r.direction == "improvement"  # type: ignore[attr-defined]
    assert pf.reliably_worse.count > 0  # type: ignore[attr-defined]


def test_attendance_and_completion(app: App) -> None:
    report = build_report(app.db, "fall-2026", now=app.pipeline.now())
    a = report.attendance
    # 13 sessions held, attendance recorded for the first 3 only: 22 of 24 recorded places.
    assert (a.sessions_held, a.participants, a.expected, a.recorded, a.attended) == (
        13, 8, 104, 24, 22
    )  # fmt: skip
    assert a.not_recorded == 80 and a.percent == pytest.approx(100 * 22 / 24)
    completion = {c.timepoint: (c.assigned, c.completed) for c in report.completion
                  if c.language == "all"}  # fmt: skip
    # The plan's battery is 4 instruments; only PROMIS-29 was answered (8 baselines, 7 posts).
    assert completion == {"baseline": (32, 8), "post": (32, 7), "visit": (104, 24)}
    weeks = report.dvprs_weeks["P-01"]
    assert [round(w) for w, _ in weeks] == [0, 6, 12] and [v for _, v in weeks] == [8, 6, 4]


def test_html_and_pdf_hold_the_plots(app: App, tmp_path: Path) -> None:
    report = build_report(app.db, "fall-2026", now=app.pipeline.now())
    page = render_html(report)
    assert page.count("<img ") == 2 and page.count("data:image/png;base64,iVBOR") == 2
    assert "dvprs pain_intensity" in page and "P-01" not in page.split("<img")[0].split("<h2>")[1]
    assert "OTHER" not in page
    pdf = tmp_path / "report.pdf"
    write_pdf(report, pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_unknown_cohort(app: App) -> None:
    with pytest.raises(CohortNotFound, match="fall-2026"):
        build_report(app.db, "nope", now=app.pipeline.now())


def test_stats_edge_cases() -> None:
    assert change_stats([]).n == 0
    one = change_stats([Pair("a", 5, 3)])
    assert one.mean_change == -2 and one.p_value is None
    same = change_stats([Pair("a", 5, 3), Pair("b", 6, 4)])
    assert same.sd_change == 0 and same.cohens_dz is None and same.ci_low == same.ci_high == -2
    assert reliable_change(Pair("a", 60, 50)) is None
    assert reliable_change(Pair("a", 60, 50, 3.0, 4.0)) == pytest.approx(-2.0)
    share = reduction_share([Pair("a", 0, 0), Pair("b", 10, 7)], 30)
    assert (share.count, share.of) == (1, 1)
