"""Issue 14, point 5: the PDF is the report's HTML printed, checked page by page.

A 12-patient cohort with every battery instrument and visit DVPRS. The text pypdf extracts from
the PDF must hold every row of every table of the HTML report, the cohort line and the methods
note; every row must sit on one page (not cut across pages); every page has one size.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clinic.report.cohort import build_report
from bot.clinic.report.render import render_html, write_pdf
from bot.service.app import App
from surveys.loader import load_instrument
from tests.exports_support import add_patient, dvprs_answers, make_app
from tests.plan_support import answer_planned, answer_visit, enrol, graduate, make_cohort
from tests.support import FakeClock

FALL = date(2026, 9, 8)
FIRST = datetime(2026, 9, 8, 18, 0, tzinfo=UTC)
LAST = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
A4_POINTS = (595.0, 842.0)


def level_answers(instrument_id: str, index: int) -> dict[str, int | None]:
    """Every item at its index-th option (in scored-value order), for any instrument."""
    out: dict[str, int | None] = {}
    for item in load_instrument(instrument_id).items:
        values = sorted(o.value for o in item.options)
        out[item.id] = values[min(index, len(values) - 1)]
    return out


@pytest.fixture
def report_app(sqlite_url: str) -> App:
    app = make_app(sqlite_url, FakeClock(datetime(2026, 8, 1, 15, 0, tzinfo=UTC)))
    ids = [f"PDF-{i:02d}" for i in range(1, 13)]
    for study_id in ids:
        add_patient(app, study_id)
    make_cohort(app, "FALL 2026", FALL)
    enrol(app, "FALL 2026", ids, now=datetime(2026, 8, 15, tzinfo=UTC))
    for n, study_id in enumerate(ids):
        for instrument in ("promis29", "cpaq8", "scs_sf", "brs"):
            before, after = (
                level_answers(instrument, 1 + n % 2),
                level_answers(instrument, 2 + n % 3),
            )
            answer_planned(
                app,
                study_id,
                "FALL 2026",
                instrument,
                "baseline",
                before,
                when=FIRST - timedelta(days=2),
            )
            if n < 10:  # two patients miss the post battery: listed as unpaired
                answer_planned(
                    app,
                    study_id,
                    "FALL 2026",
                    instrument,
                    "post",
                    after,
                    when=LAST + timedelta(days=1),
                )
        answer_visit(app, study_id, "FALL 2026", 1, dvprs_answers(7 + n % 3), when=FIRST)
        answer_visit(app, study_id, "FALL 2026", 13, dvprs_answers(3 + n % 4), when=LAST)
    graduate(app, "FALL 2026", now=LAST + timedelta(days=9))
    yield app  # type: ignore[misc]
    app.db.dispose()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _table_rows(page: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells:
            rows.append([_squash(html.unescape(c)) for c in cells])
    return rows


def test_pdf_holds_every_row_on_pages_of_one_size(report_app: App, tmp_path: Path) -> None:
    import pypdf

    report = build_report(report_app.db, "FALL 2026", now=LAST + timedelta(days=10))
    html = render_html(report)
    rows = _table_rows(html)
    assert len(rows) >= 20  # measures, unpaired, attendance, completion
    out = tmp_path / "report.pdf"
    write_pdf(report, out)
    reader = pypdf.PdfReader(out)
    pages = [_squash(p.extract_text() or "") for p in reader.pages]
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    }
    assert len(sizes) == 1, sizes
    assert sizes.pop() in {(595, 842), (842, 595)}  # A4 by default, portrait or landscape
    text = "".join(pages)
    assert _squash("Cohort report: FALL 2026") in text
    assert _squash(f"Cohort start {FALL.isoformat()}") in text
    assert _squash("Methods") in text and _squash("Chen") in text  # the methods note's sources
    for row in rows:
        assert any(all(cell in page for cell in row) for page in pages), row


def test_cli_prints_the_pdf_on_us_letter(report_app: App, sqlite_url: str, tmp_path: Path) -> None:
    import pypdf

    from tests.test_cli import pathbot

    out = tmp_path / "letter.pdf"
    done = pathbot("report", "FALL 2026", "--out", str(out), "--page-size", "letter",
                   "--db", sqlite_url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height)))
        for p in pypdf.PdfReader(out).pages
    }
    assert sizes == {(792, 612)}  # US Letter landscape, every page
