"""Issue 13 through the real pipeline and database: skipped items answered after the end make
domains complete again (scores replaced, not added), undone answers stay as history, and a survey
completed twice raises its clinical alert once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.db.models import Alert, ItemResponse, Score, SurveyAssignment
from bot.service.app import App, build_app
from bot.service.settings import Settings
from tests.support import FakeClock
from tests.test_pipeline import Patient1


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield built
    built.db.dispose()


def rows(app: App, model: type) -> list:  # type: ignore[type-arg]
    with Session(app.db) as s:
        return list(s.exec(select(model)).all())


def current(app: App) -> dict[str, tuple[str, int | None]]:
    return {
        r.item_id: (r.status, r.coded_value)
        for r in rows(app, ItemResponse)
        if r.superseded_at is None
    }


def test_promis29_two_skips_then_yes_and_two_answers_stores_complete_scores(
    app: App, clock: FakeClock
) -> None:
    patient = Patient1(app, clock)
    assignment = patient.start("promis29")
    replies = ["2"] * 28 + ["4"]
    replies[5] = "SKIP"  # EDANX40
    replies[17] = "SKIP"  # Sleep116
    for reply in replies:
        patient.say(reply)
    assert patient.last == "You skipped 2 questions. Answer them now? YES / NO"
    # scored at once, so nothing is lost if the patient never answers the offer
    scores = {s.scale_id: s.status for s in rows(app, Score)}
    assert scores["anxiety"] == scores["sleep_disturbance"] == "incomplete"
    assert scores["physical_health_summary"] == scores["mental_health_summary"] == "incomplete"
    (first,) = rows(app, SurveyAssignment)
    completed_at = first.completed_at

    patient.say("YES")
    patient.say("3")
    patient.say("2")
    assert patient.last.startswith("Thank you! Your answers are saved.")
    final = rows(app, Score)
    assert len(final) == 10  # replaced, not added: one row per scale
    assert {s.scale_id: s.status for s in final} == {s.scale_id: "complete" for s in final}
    summaries = {s.scale_id: s.t for s in final if s.scale_id.endswith("summary")}
    assert None not in summaries.values()
    answers = current(app)
    assert len(answers) == 29 and {status for status, _ in answers.values()} == {"answered"}
    assert answers["EDANX40"] == ("answered", 3) and answers["Sleep116"] == ("answered", 4)
    history = [r for r in rows(app, ItemResponse) if r.superseded_at is not None]
    assert sorted((r.item_id, r.status) for r in history) == [
        ("EDANX40", "skipped"),
        ("Sleep116", "skipped"),
    ]
    (survey,) = rows(app, SurveyAssignment)
    assert survey.id == assignment and survey.state == "completed"
    assert survey.completed_at == completed_at  # the first completion time is kept


def test_an_undone_read_back_stays_as_history(app: App, clock: FakeClock) -> None:
    patient = Patient1(app, clock)
    patient.start("dvprs")
    patient.say("like a 6")
    sent = [m.text for m in patient.channel.sent]
    assert sent[-2].startswith("Recorded: 6 = Hard to ignore") and sent[-1].startswith("Q2/5.")
    patient.say("NO")
    sent = [m.text for m in patient.channel.sent]
    assert sent[-2].startswith("Removed: 6 = Hard to ignore") and sent[-1].startswith("Q1/5.")
    assert "dvprs_pain" not in current(app)
    patient.say("7")
    assert current(app)["dvprs_pain"] == ("answered", 7)
    old = [r for r in rows(app, ItemResponse) if r.superseded_at is not None]
    assert [(r.item_id, r.coded_value, r.raw_text) for r in old] == [("dvprs_pain", 6, "like a 6")]


def test_a_severe_pain_survey_completed_twice_alerts_once(app: App, clock: FakeClock) -> None:
    patient = Patient1(app, clock)
    patient.start("dvprs")
    for reply in ["9", "SKIP", "4", "3", "2"]:
        patient.say(reply)
    assert [a.rule_id for a in rows(app, Alert) if a.kind == "clinical"] == ["dvprs_severe"]
    patient.say("yes")
    patient.say("5")
    assert patient.last == "Pain today: 9 of 10."  # the trend, once the survey is final
    assert [a.rule_id for a in rows(app, Alert) if a.kind == "clinical"] == ["dvprs_severe"]
    assert {s.scale_id: s.status for s in rows(app, Score)}["interference"] == "complete"


def test_pain_answered_only_after_the_end_still_alerts(app: App, clock: FakeClock) -> None:
    patient = Patient1(app, clock)
    patient.start("dvprs")
    for reply in ["SKIP", "5", "4", "3", "2"]:
        patient.say(reply)
    assert not [a for a in rows(app, Alert) if a.kind == "clinical"]
    patient.say("yes")
    patient.say("9")
    assert [a.rule_id for a in rows(app, Alert) if a.kind == "clinical"] == ["dvprs_severe"]
