"""Issue 14, point 2: a paper form fulfils the planned assignment, or is refused with the reason.

The first test is the issue's "done when": a patient who hands in a paper baseline is never asked
that baseline by text, through the real scheduler tick and dispatcher.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.clinic.paper_import import ImportFileError, ImportRejected, import_responses
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import AuditLog, ItemResponse, OutboxMessage, SurveyAssignment
from bot.db.schedule_models import PlannedSurvey
from bot.service.app import App
from surveys.loader import load_instrument
from tests.exports_support import promis_answers
from tests.plan_support import brs_answers, enrol, make_cohort, planned_assignment
from tests.schedule_support import RecordingChannel, add_patient, make_app, simulate_until
from tests.support import FakeClock

HEADER = "patient,instrument,instrument_version,timepoint,item_id,value,option_code,answered_at\n"
START = date(2026, 11, 10)  # Tuesday; first session 2026-11-10 14:00 New York
FIRST = datetime(2026, 11, 10, 19, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 4, 15, 0, tzinfo=UTC))  # baseline window opened Nov 3


@pytest.fixture
def app(sqlite_url: str, clock: FakeClock) -> App:
    built = make_app(sqlite_url, clock)
    add_patient(built, "S-001")
    add_patient(built, "S-002")
    make_cohort(built, "FALL", START, now=clock())
    enrol(built, "FALL", ["S-001", "S-002"], now=clock())
    yield built  # type: ignore[misc]
    built.db.dispose()


def _rows(patient: str, instrument: str, answers: dict[str, int | None], *, timepoint: str,
          when: str = "2026-11-03") -> str:  # fmt: skip
    version = load_instrument(instrument).version
    return "".join(
        f"{patient},{instrument},{version},{timepoint},{item},{'' if v is None else v},,{when}\n"
        for item, v in answers.items()
    )


def _file(tmp_path: Path, body: str, name: str = "paper.csv", *, crlf: bool = False) -> Path:
    path = tmp_path / name
    text = HEADER + body
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
    return path


def _import(app: App, path: Path, clock: FakeClock, **kwargs: object) -> object:
    return import_responses(app.db, path, actor="nurse", now=clock(), **kwargs)  # type: ignore[arg-type]


def _problems(caught: pytest.ExceptionInfo[ImportRejected]) -> str:
    return "\n".join(str(p) for p in caught.value.problems)


def test_paper_baseline_is_never_asked_by_text(app: App, clock: FakeClock, tmp_path: Path) -> None:
    body = _rows("S-001", "promis29", promis_answers(3), timepoint="baseline")
    _import(app, _file(tmp_path, body), clock)
    channel = RecordingChannel(clock)
    simulate_until(app, clock, channel, FIRST + timedelta(days=1))
    with Session(app.db) as s:
        planned = planned_assignment(s, "S-001", "FALL", "promis29", "baseline")
        assert planned.state == "completed"
        assert s.exec(select(SurveyAssignment)).all().count(planned) == 1
        offered = s.get(PlannedSurvey, planned.id)
        assert offered is not None and offered.offered_at is None
        offers = s.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.dedupe_key).startswith(f"offer:{planned.id}")
            )
        ).all()
        assert offers == []
        # The other patient, who did not hand in a paper form, was asked by text.
        other = planned_assignment(s, "S-002", "FALL", "promis29", "baseline")
        assert (
            s.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.dedupe_key).startswith(f"offer:{other.id}")
                )
            ).first()
            is not None
        )


def test_misspelt_timepoint_is_refused(app: App, clock: FakeClock, tmp_path: Path) -> None:
    body = _rows("S-001", "brs", brs_answers(3), timepoint="basline")
    with pytest.raises(ImportRejected) as caught:
        _import(app, _file(tmp_path, body), clock)
    assert "basline" in _problems(caught) and "baseline, post" in _problems(caught)


def test_second_baseline_needs_replace(app: App, clock: FakeClock, tmp_path: Path) -> None:
    _import(
        app, _file(tmp_path, _rows("S-001", "brs", brs_answers(2), timepoint="baseline")), clock
    )
    again = _file(
        tmp_path, _rows("S-001", "brs", brs_answers(4), timepoint="baseline"), "again.csv"
    )
    with pytest.raises(ImportRejected) as caught:
        _import(app, again, clock)
    assert "already" in _problems(caught)
    _import(app, again, clock, replace=True)
    with Session(app.db) as s:
        planned = planned_assignment(s, "S-001", "FALL", "brs", "baseline")
        assert planned.state == "completed"


def test_partial_form_is_stored_as_partial(app: App, clock: FakeClock, tmp_path: Path) -> None:
    one_item = {"brs_1": 4}
    _import(app, _file(tmp_path, _rows("S-001", "brs", one_item, timepoint="baseline")), clock)  # type: ignore[arg-type]
    with Session(app.db) as s:
        assert planned_assignment(s, "S-001", "FALL", "brs", "baseline").state == "partial"


def test_option_code_must_agree_with_value(app: App, clock: FakeClock, tmp_path: Path) -> None:
    # brs_2 is reverse-keyed on paper; code 2 with value 4 is an entry error, not a choice.
    body = "S-001,brs,1.0,baseline,brs_2,4,2,2026-11-03\n"
    with pytest.raises(ImportRejected) as caught:
        _import(app, _file(tmp_path, body), clock)
    assert "option_code" in _problems(caught)


def test_same_forms_with_other_line_endings_are_a_duplicate(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    body = _rows("S-002", "brs", brs_answers(3), timepoint="baseline")
    _import(app, _file(tmp_path, body, "unix.csv"), clock)
    with pytest.raises((ImportFileError, ImportRejected), match="already imported"):
        _import(app, _file(tmp_path, body, "windows.csv", crlf=True), clock)


def test_a_missed_baseline_handed_in_late_on_paper_is_fulfilled(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    clock.now = FIRST + timedelta(days=2)  # the baseline window has closed
    with session_scope(app.db) as s:
        planned = planned_assignment(s, "S-001", "FALL", "brs", "baseline")
        planned.state = "missed"
        s.add(planned)
    body = _rows("S-001", "brs", brs_answers(4), timepoint="baseline", when="2026-11-09")
    result = _import(app, _file(tmp_path, body), clock)
    assert result.fulfilled == 1  # type: ignore[attr-defined]
    with Session(app.db) as s:
        assert planned_assignment(s, "S-001", "FALL", "brs", "baseline").state == "completed"


def test_a_form_for_a_survey_not_planned_is_refused(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    body = _rows("S-001", "brs", brs_answers(3), timepoint="alumni_3m")
    with pytest.raises(ImportRejected) as caught:
        _import(app, _file(tmp_path, body), clock)
    assert "no planned brs alumni_3m" in _problems(caught)


def test_template_lists_item_ids_and_allowed_values() -> None:
    from bot.clinic.paper_template import template_csv

    rows = list(csv.reader(io.StringIO(template_csv("brs"))))
    assert rows[0][:4] == ["patient", "instrument", "instrument_version", "timepoint"]
    assert [r[rows[0].index("item_id")] for r in rows[1:]] == [f"brs_{i}" for i in range(1, 7)]
    allowed = rows[1][rows[0].index("allowed_values")]
    assert allowed.startswith("1=Strongly disagree | 2=Disagree")


def test_cli_template_then_import_with_replace(
    app: App, clock: FakeClock, tmp_path: Path, sqlite_url: str
) -> None:
    from tests.test_cli import pathbot

    done = pathbot("import", "template", "brs")
    assert done.returncode == 0 and "brs_6" in done.stdout
    first = _file(tmp_path, _rows("S-001", "brs", brs_answers(2), timepoint="baseline"), "a.csv")
    again = _file(tmp_path, _rows("S-001", "brs", brs_answers(5), timepoint="baseline"), "b.csv")
    # The CLI reads the clock of the machine; the forms are dated in the past.
    assert pathbot("import", "responses", str(first), "--db", sqlite_url).returncode == 0
    refused = pathbot("import", "responses", str(again), "--db", sqlite_url)
    assert refused.returncode == 1 and "--replace" in refused.stderr
    replaced = pathbot("import", "responses", str(again), "--replace", "--db", sqlite_url)
    assert replaced.returncode == 0, replaced.stderr
    with Session(app.db) as s:
        planned = planned_assignment(s, "S-001", "FALL", "brs", "baseline")
        responses = s.exec(
            select(ItemResponse).where(ItemResponse.assignment_id == planned.id)
        ).all()
        assert sum(r.superseded_at is not None for r in responses) == 6  # old answers kept
        assert sum(r.superseded_at is None for r in responses) == 6
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
        assert actions.count("import.replace") == 1


def test_paper_form_after_the_text_offer_stops_nudges_and_leaves_the_conversation(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    channel = RecordingChannel(clock)
    simulate_until(app, clock, channel, clock() + timedelta(hours=1))  # offered by text
    with Session(app.db) as s:
        planned = planned_assignment(s, "S-001", "FALL", "promis29", "baseline")
        assert s.get(PlannedSurvey, planned.id).offered_at is not None  # type: ignore[union-attr]
    body = _rows("S-001", "promis29", promis_answers(3), timepoint="baseline", when="2026-11-04")
    clock.advance(hours=2)
    _import(app, _file(tmp_path, body), clock)
    simulate_until(app, clock, channel, FIRST)
    with Session(app.db) as s:
        nudges = s.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.dedupe_key).startswith(f"nudge:{planned.id}:")
            )
        ).all()
        assert nudges == []
        state = store.load_state(s, planned.patient_id, for_update=False)
        held = [p.assignment_id for p in state.queue] + (
            [state.survey.assignment_id] if state.survey else []
        )
        assert planned.id not in held
