"""The pipeline against real databases (SQLite, and PostgreSQL when configured): every answer
lands once, scored; a restart loses nothing; safety and opt-out run before anything else."""

from __future__ import annotations

import asyncio
import io

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.channels.console import ConsoleChannel
from bot.conversation import keywords, triage
from bot.conversation.messages import Inbound
from bot.db import inbound_store, store
from bot.db.database import session_scope
from bot.db.models import (
    Alert,
    ConsentRecord,
    InboundMessage,
    ItemResponse,
    OutboxMessage,
    Patient,
    Score,
    SurveyAssignment,
)
from bot.service import pipeline as pipeline_module
from bot.service.app import App, build_app
from bot.service.dispatcher import dispatch_pending
from bot.service.settings import Settings
from tests.support import FakeClock


class Patient1:
    """A console patient driving the real pipeline, with the channel's sent messages at hand."""

    def __init__(self, app: App, clock: FakeClock, *, locale: str = "en") -> None:
        self.app, self.clock = app, clock
        self.channel = ConsoleChannel(io.StringIO())
        self.address = f"p-{locale}"
        with session_scope(app.db) as s:
            patient = store.add_patient(s, study_id=f"S-{locale}", now=clock(), locale=locale)
            store.bind_channel(
                s,
                patient=patient,
                channel="console",
                address=self.address,
                consent_text_version="t1",
                method="console",
                now=clock(),
            )
            assert patient.id is not None
            self.patient_id = patient.id
        self.count = 0

    def start(self, instrument: str) -> int:
        assignment = self.app.pipeline.start_survey(self.patient_id, instrument)
        self.flush()
        return assignment

    def say(self, text: str, *, message_id: str | None = None) -> str:
        self.count += 1
        inbound = Inbound(
            "console", self.address, message_id or f"m{self.count}", text, self.clock()
        )
        status = self.app.pipeline.handle(inbound).status
        self.clock.advance(seconds=5)
        self.flush()
        return status

    def flush(self) -> None:
        asyncio.run(dispatch_pending(self.app.db, {"console": self.channel}, self.clock()))

    @property
    def last(self) -> str:
        return self.channel.sent[-1].text if self.channel.sent else ""


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> App:
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield built  # type: ignore[misc]
    built.db.dispose()


def _rows(app: App, model: type) -> list:  # type: ignore[type-arg]
    with Session(app.db) as s:
        return list(s.exec(select(model)).all())


def test_dvprs_answers_are_stored_coded_and_scored(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    assignment_id = p.start("dvprs")
    for reply in ["7", "three", "٣", "3️⃣", "my pain is 5 today"]:
        assert p.say(reply) == "processed"
    responses = _rows(app, ItemResponse)
    assert [(r.item_id, r.coded_value, r.raw_text) for r in responses] == [
        ("dvprs_pain", 7, "7"),
        ("dvprs_activity", 3, "three"),
        ("dvprs_sleep", 3, "٣"),
        ("dvprs_mood", 3, "3️⃣"),
        ("dvprs_stress", 5, "my pain is 5 today"),
    ]
    scores = {s.scale_id: s for s in _rows(app, Score)}
    assert scores["pain_intensity"].raw == 7 and scores["pain_intensity"].band == "severe"
    assert scores["interference"].mean == pytest.approx(3.5)
    assert {s.instrument_version for s in scores.values()} == {"2.0"}
    assert all(s.scoring_revision for s in scores.values())
    with Session(app.db) as s:
        assignment = s.get(SurveyAssignment, assignment_id)
        assert assignment is not None and assignment.state == "completed"


def test_promis_physical_function_stores_the_printed_value(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("promis29")
    p.say("1")  # "1 = Without any difficulty"
    (response,) = _rows(app, ItemResponse)
    assert (response.item_id, response.option_code, response.coded_value) == ("PFA11", 1, 5)


def test_a_retried_message_is_stored_once(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    assert p.say("7", message_id="twilio-SM1") == "processed"
    sent = len(p.channel.sent)
    assert p.say("7", message_id="twilio-SM1") == "duplicate"
    assert len(p.channel.sent) == sent
    assert len(_rows(app, ItemResponse)) == 1
    assert len(_rows(app, InboundMessage)) == 1


def test_survey_resumes_after_restart(db_url: str, app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    p.say("4")
    p.say("2")
    app.db.dispose()
    clock.advance(days=3)
    restarted = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    p.app = restarted
    p.say("RESUME")
    assert p.last.startswith("Q3/5.")
    for reply in ["1", "0", "0"]:
        p.say(reply)
    assert len(_rows(restarted, ItemResponse)) == 5
    assert len(_rows(restarted, Score)) == 2
    restarted.db.dispose()


def test_back_keeps_history_and_export_uses_the_new_answer(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    p.say("7")
    p.say("BACK")
    p.say("6")
    rows = _rows(app, ItemResponse)
    assert [(r.coded_value, r.superseded_at is not None) for r in rows] == [(7, True), (6, False)]


def test_stop_confirms_once_revokes_consent_and_cancels_queue(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    p.say("STOP")
    p.say("stop")
    p.say("5")
    confirmations = [m for m in p.channel.sent if m.kind == "confirmation"]
    assert len(confirmations) == 1
    assert p.channel.sent[-1].kind == "confirmation"
    (consent,) = _rows(app, ConsentRecord)
    assert consent.revoked_at is not None
    (patient,) = _rows(app, Patient)
    assert patient.status == "stopped"
    assert any(a.kind == "opt_out" for a in _rows(app, Alert))
    assert _rows(app, ItemResponse) == []


def test_crisis_reply_alert_and_hold(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock, locale="es")
    p.start("dvprs")
    p.say("me quiero morir")
    assert "988" in p.last and "911" in p.last
    (alert,) = [a for a in _rows(app, Alert) if a.kind == "crisis"]
    assert alert.tier in (1, 2) and alert.rule_id and alert.inbound_message_id
    p.say("5")
    assert _rows(app, ItemResponse) == []  # held until staff clear it
    (patient,) = _rows(app, Patient)
    assert patient.status == "crisis_hold"


def test_triage_runs_before_the_transaction_and_still_puts_crisis_first(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Triage is pure: it runs with no connection taken (no write lock held), and its result
    # still decides first (crisis resources before anything else).
    p = Patient1(app, clock)
    p.start("dvprs")
    seen: list[tuple[int, int]] = []
    real_assess = triage.assess

    def assess(text: str) -> triage.TriageResult:
        seen.append((app.db.pool.checkedout(), real_assess(text).tier))
        return real_assess(text)

    monkeypatch.setattr(triage, "assess", assess)
    p.say("7")
    p.say("I want to kill myself")
    assert seen == [(0, 0), (0, 1)]
    assert "988" in p.last
    assert [r.coded_value for r in _rows(app, ItemResponse)] == [7]
    (alert,) = [a for a in _rows(app, Alert) if a.kind == "crisis"]
    assert alert.tier == 1


def test_a_plain_answer_builds_no_orm_rows(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reply hooks (an RSVP "C") get the message's ORM session and patient on first use: an
    # answer they let pass costs no ORM session and no Patient object.
    p = Patient1(app, clock)
    p.start("dvprs")
    sessions: list[object] = []
    patients: list[object] = []
    monkeypatch.setattr(
        pipeline_module._RareEvents, "session", property(lambda self: sessions.append(self))
    )
    monkeypatch.setattr(
        pipeline_module._RareEvents, "patient", property(lambda self: patients.append(self))
    )
    assert p.say("7") == "processed"
    assert p.say("three") == "processed"
    assert (sessions, patients) == ([], [])
    assert [r.coded_value for r in _rows(app, ItemResponse)] == [7, 3]


def test_rules_are_compiled_when_the_app_is_built(db_url: str, clock: FakeClock) -> None:
    triage.load_rules.cache_clear()
    keywords.load_rules.cache_clear()
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    try:
        assert triage.load_rules.cache_info().currsize == 1
        assert keywords.load_rules.cache_info().currsize == 1
    finally:
        built.db.dispose()


def test_unknown_sender_gets_one_polite_reply(app: App, clock: FakeClock) -> None:
    for n in range(3):
        inbound = Inbound("console", "stranger", f"x{n}", "hello", clock())
        assert app.pipeline.handle(inbound).status == "unknown_sender"
    replies = _rows(app, OutboxMessage)
    assert len(replies) == 1 and "not enrolled" in replies[0].body
    assert len(_rows(app, InboundMessage)) == 3


def test_everything_in_one_transaction(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If storing fails half-way, nothing of that message is kept, and a retry works."""
    p = Patient1(app, clock)
    p.start("dvprs")
    original = inbound_store.enqueue  # the last write of the inbound path

    def broken(*args: object, **kwargs: object) -> list[int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound_store, "enqueue", broken)
    with pytest.raises(RuntimeError):
        p.app.pipeline.handle(Inbound("console", p.address, "retry-me", "7", clock()))
    assert _rows(app, ItemResponse) == [] and _rows(app, InboundMessage) == []
    monkeypatch.setattr(inbound_store, "enqueue", original)
    assert p.say("7", message_id="retry-me") == "processed"
    assert len(_rows(app, ItemResponse)) == 1


def test_a_failed_completion_keeps_no_scores(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores and the completed assignment (written through the ORM session) roll back with the
    answers (written through Core) when a later write of the same message fails."""
    p = Patient1(app, clock)
    p.start("dvprs")
    for reply in ["1", "2", "3", "4"]:
        p.say(reply)
    original = inbound_store.enqueue

    def broken(*args: object, **kwargs: object) -> list[int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound_store, "enqueue", broken)
    with pytest.raises(RuntimeError):
        p.app.pipeline.handle(Inbound("console", p.address, "last", "5", clock()))
    assert _rows(app, Score) == [] and len(_rows(app, ItemResponse)) == 4
    assert [a.state for a in _rows(app, SurveyAssignment)] == ["in_progress"]
    monkeypatch.setattr(inbound_store, "enqueue", original)
    assert p.say("5", message_id="last") == "processed"
    assert _rows(app, Score) != [] and len(_rows(app, ItemResponse)) == 5
    assert [a.state for a in _rows(app, SurveyAssignment)] == ["completed"]


def test_counts_are_consistent(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    for reply in ["1", "2", "3", "4", "5"]:
        p.say(reply)
    with Session(app.db) as s:
        assert s.exec(select(func.count()).select_from(ItemResponse)).one() == 5
        assert (
            s.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            ).one()
            == 0
        )


def test_distress_that_is_also_an_answer_is_kept(app: App, clock: FakeClock) -> None:
    """The Spanish DVPRS option 9 reads like distress: staff hear of it and the 9 is stored."""
    p = Patient1(app, clock, locale="es")
    p.start("dvprs")
    p.say("No aguanto el dolor, no puedo hacer nada")
    (response,) = _rows(app, ItemResponse)
    assert (response.item_id, response.coded_value) == ("dvprs_pain", 9)
    assert any(a.kind == "distress" and a.tier == 3 for a in _rows(app, Alert))
    assert p.last.startswith("P2/5.")
    p.say("withdrawal is awful")  # distress that is not an answer: no re-prompt, no answer
    assert len(_rows(app, ItemResponse)) == 1
