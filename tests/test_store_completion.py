"""A completed survey's assignment is written with Core (bot/db/store.py `_complete`), beside
ORM writes of the same message: neither may overwrite the other, whatever their order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.conversation.events import Event, SurveyCompleted, SurveyResumed, SurveyStarted
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Patient, Score, SurveyAssignment
from bot.service.app import App
from surveys.loader import load_instrument
from tests.exports_support import add_patient, dvprs_answers, make_app
from tests.support import FakeClock

VERSION = load_instrument("dvprs").version


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    """The app on each database, with its one patient."""
    app = make_app(db_url, clock)
    try:
        add_patient(app, "S-001")
        yield app
    finally:
        app.db.dispose()


def _new_assignment(s: Session, now: datetime) -> tuple[Patient, int]:
    """The one patient's new DVPRS assignment, flushed (it has its id)."""
    patient = s.exec(select(Patient)).one()
    assignment = store.create_assignment(
        s, patient=patient, instrument_id="dvprs", version=VERSION, now=now
    )
    s.flush()
    assert assignment.id is not None
    return patient, assignment.id


def _complete(s: Session, aid: int, pain: int, now: datetime) -> list[store.ScoredSurvey]:
    patient = s.exec(select(Patient)).one()
    completed = SurveyCompleted(aid, "dvprs", VERSION, dvprs_answers(pain))
    return store.apply_events(s, patient=patient, events=[completed], channel="sms", now=now)


def test_started_resumed_and_completed_in_one_message_ends_completed(
    app: App, clock: FakeClock
) -> None:
    now = clock()
    with session_scope(app.db) as s:
        patient, aid = _new_assignment(s, now)
        assignment = s.get(SurveyAssignment, aid)
        assert assignment is not None
        # The ORM changes the object (not yet flushed) before the Core completion runs
        events: list[Event] = [
            SurveyStarted(assignment_id=aid, language="en", translation_status="validated"),
            SurveyResumed(assignment_id=aid),
            SurveyCompleted(aid, "dvprs", VERSION, dvprs_answers(6)),
        ]
        scored = store.apply_events(s, patient=patient, events=events, channel="sms", now=now)
        assert [sv.completed_at for sv in scored] == [now]
        # the session's own object shows the completion, not its stale state
        assert (assignment.state, assignment.completed_at) == ("completed", now)
        assert assignment.started_at == now and assignment.language == "en"
    with Session(app.db) as s:
        stored = s.get(SurveyAssignment, aid)
        assert stored is not None
        assert (stored.state, stored.completed_at, stored.started_at) == ("completed", now, now)
        assert len(s.exec(select(Score).where(Score.assignment_id == aid)).all()) >= 1


def test_completing_again_keeps_the_first_time_and_replaces_the_scores(
    app: App, clock: FakeClock
) -> None:
    first = clock()
    with session_scope(app.db) as s:
        _patient, aid = _new_assignment(s, first)
        _complete(s, aid, 4, first)
    later = first + timedelta(minutes=3)
    with session_scope(app.db) as s:
        again = _complete(s, aid, 7, later)
        assert again[0].completed_at == first
        assert again[0].previous is not None  # the replaced scores, for the flags to compare
    with Session(app.db) as s:
        stored = s.get(SurveyAssignment, aid)
        assert stored is not None and stored.completed_at == first
        scores = s.exec(select(Score).where(Score.assignment_id == aid)).all()
        assert scores and all(score.computed_at == later for score in scores)


def test_completing_an_assignment_that_does_not_exist_is_an_error(
    app: App, clock: FakeClock
) -> None:
    with session_scope(app.db) as s, pytest.raises(LookupError, match="999"):
        _complete(s, 999, 4, clock())
