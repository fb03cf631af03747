"""Paper forms: good files are stored and scored in one go; a bad file imports nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.clinic.exports.csv_long import export_responses_csv
from bot.clinic.paper_import import ImportFileError, ImportRejected, import_responses
from bot.db.models import Alert, AuditLog, ItemResponse, Score, SurveyAssignment
from bot.service.app import App
from surveys.loader import load_instrument
from surveys.scoring import score
from tests.exports_support import add_patient, make_app
from tests.support import FakeClock

HEADER = (
    "patient,instrument,instrument_version,assignment_id,timepoint,item_id,value,status,"
    "answered_at\n"
)
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> App:
    built = make_app(db_url, clock)
    add_patient(built, "S-001")
    add_patient(built, "S-002")
    yield built  # type: ignore[misc]
    built.db.dispose()


@pytest.fixture
def sqlite_app(sqlite_url: str, clock: FakeClock) -> App:
    built = make_app(sqlite_url, clock)
    yield built  # type: ignore[misc]
    built.db.dispose()


def _file(tmp_path: Path, body: str, name: str = "paper.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _dvprs(patient: str, form: str, values: list[str], when: str = "2026-10-01") -> str:
    items = ["dvprs_pain", "dvprs_activity", "dvprs_sleep", "dvprs_mood", "dvprs_stress"]
    return "".join(
        f"{patient},dvprs,2.0,{form},adhoc,{item},{value},,{when}\n"
        for item, value in zip(items, values, strict=True)
    )


def _count(app: App, model: type) -> int:
    with Session(app.db) as s:
        return len(s.exec(select(model)).all())


def test_good_file_is_stored_scored_and_exported(app: App, tmp_path: Path) -> None:
    body = _dvprs("S-001", "F1", ["8", "2", "3", "4", "5"]) + _dvprs(
        "S-002", "F2", ["3", "1", "", "1", "1"], when="2026-10-02T09:30:00-04:00"
    )
    result = import_responses(app.db, _file(tmp_path, body), actor="nurse", now=NOW)
    assert result.rows == 10 and len(result.assignment_ids) == 2
    with Session(app.db) as s:
        assignments = s.exec(select(SurveyAssignment)).all()
        assert {a.state for a in assignments} == {"completed"}
        assert {a.timepoint for a in assignments} == {"adhoc"}
        responses = s.exec(select(ItemResponse)).all()
        assert {r.channel for r in responses} == {"paper"}
        skipped = [r for r in responses if r.status == "skipped"]
        assert [(r.item_id, r.coded_value) for r in skipped] == [("dvprs_sleep", None)]
        scores = {(sc.assignment_id, sc.scale_id): sc for sc in s.exec(select(Score))}
        first = scores[(result.assignment_ids[0], "pain_intensity")]
        assert (first.raw, first.band, first.instrument_version, first.scoring_revision) == (
            8.0,
            "severe",
            "2.0",
            "1",
        )
        expected = score(
            load_instrument("dvprs"),
            {"dvprs_activity": 2, "dvprs_sleep": 3, "dvprs_mood": 4, "dvprs_stress": 5},
        )
        assert (
            scores[(result.assignment_ids[0], "interference")].mean
            == expected.scores["interference"].mean
        )
        assert scores[(result.assignment_ids[1], "interference")].status == "incomplete"
        # a severe paper DVPRS reaches staff, marked historical: it was answered a month ago
        alerts = s.exec(select(Alert)).all()
        assert [(a.rule_id, a.status) for a in alerts] == [("dvprs_severe", "historical")]
        (entry,) = s.exec(select(AuditLog)).all()
        assert (entry.actor, entry.action, entry.detail["rows"]) == (
            "nurse",
            "import.responses",
            10,
        )
        local = s.get(SurveyAssignment, result.assignment_ids[1])
        assert local is not None and local.completed_at is not None
        assert local.completed_at.astimezone(UTC) == datetime(2026, 10, 2, 13, 30, tzinfo=UTC)
    out = io.StringIO()
    export_responses_csv(app.db, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["value"] for r in rows[:5]] == ["8", "2", "3", "4", "5"]


def test_the_long_export_imports_back(app: App, tmp_path: Path) -> None:
    first = import_responses(
        app.db,
        _file(tmp_path, _dvprs("S-001", "F1", ["1", "2", "3", "4", "5"])),
        actor="a",
        now=NOW,
    )
    out = tmp_path / "roundtrip.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        export_responses_csv(app.db, fh)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["assignment_id"] for r in rows} == {str(first.assignment_ids[0])}
    # The same rows again would be the same content: change the form number to re-enter it.
    for row in rows:
        row["assignment_id"] = "77"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = import_responses(app.db, out, actor="a", now=NOW)
    assert again.rows == 5 and _count(app, SurveyAssignment) == 2


def test_bad_rows_import_nothing_and_name_their_lines(app: App, tmp_path: Path) -> None:
    body = (
        _dvprs("S-001", "F1", ["8", "2", "3", "4", "5"])  # lines 2-6 good
        + "S-999,dvprs,2.0,F2,adhoc,dvprs_pain,3,,2026-10-01\n"  # line 7
        + "S-001,dvprs,2.0,F3,adhoc,dvprs_pain,11,,2026-10-01\n"  # line 8
        + "S-001,dvprs,2.0,F3,adhoc,nope,1,,2026-10-01\n"  # line 9
        + "S-001,dvprs,2.0,F1,adhoc,dvprs_pain,7,,2026-10-01\n"  # line 10: twice on F1
        + "S-001,dvprs,2.0,F4,adhoc,dvprs_pain,2,,yesterday\n"  # line 11
        + "S-001,nosuch,,F5,adhoc,x,1,,2026-10-01\n"  # line 12
        + "S-001,dvprs,2.0,F6,adhoc,dvprs_pain,2,,2027-01-01\n"  # line 13: future
        + "S-001,dvprs,2.0,F7,adhoc,dvprs_pain,3,skipped,2026-10-01\n"  # line 14
    )
    with pytest.raises(ImportRejected) as err:
        import_responses(app.db, _file(tmp_path, body), actor="a", now=NOW)
    lines = [p.line for p in err.value.problems]
    assert lines == [7, 8, 9, 10, 11, 12, 13, 14]
    text = "\n".join(map(str, err.value.problems))
    assert "line 7: no patient with study id 'S-999'" in text
    assert "line 8: dvprs_pain: 11 is not one of its scored values" in text
    assert "line 10: dvprs_pain answered twice on one form (line 2)" in text
    assert "unknown instrument 'nosuch'" in text and "in the future" in text
    for model in (SurveyAssignment, ItemResponse, Score, AuditLog):
        assert _count(app, model) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (
            b"patient,instrument\nS-001,dvprs\n",
            "missing column(s) item_id, answered_at, value (or option_code)",
        ),
        (b"\xff\xfe\x00p\x00a", "not UTF-8"),
        (
            HEADER.encode() + b'S-001,dvprs,2.0,F1,adhoc,dvprs_pain,"3,,2026-10-01\n',
            "broken CSV",
        ),
        (HEADER.encode(), "no data rows"),
    ],
)
def test_malformed_files_are_a_clear_error(
    sqlite_app: App, tmp_path: Path, content: bytes, message: str
) -> None:
    app = sqlite_app
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="bad.csv") as err:
        import_responses(app.db, path, actor="a", now=NOW)
    assert message in str(err.value)
    assert _count(app, ItemResponse) == 0


def test_the_same_file_twice_is_refused(app: App, tmp_path: Path) -> None:
    path = _file(tmp_path, _dvprs("S-001", "F1", ["1", "2", "3", "4", "5"]))
    import_responses(app.db, path, actor="a", now=NOW)
    with pytest.raises(ImportFileError, match="already imported"):
        import_responses(app.db, path, actor="a", now=NOW)
    assert _count(app, SurveyAssignment) == 1
