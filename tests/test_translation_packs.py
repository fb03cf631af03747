"""Issue 19, point 5, end to end: a Spanish patient answers the pre/post battery (PROMIS-29,
CPAQ-8, SCS-SF, BRS) through the real pipeline, engine and store when the clinic's translation
packs are installed, scored exactly as in English; without them each survey is refused in
Spanish with a staff alert. The packs are the FAKE ones in tests/packs ("[TEST] ..." text)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.channels.base import OutboundEnvelope
from bot.channels.console import ConsoleChannel
from bot.clinic.exports.csv_long import export_responses_csv
from bot.conversation.messages import Inbound
from bot.conversation.render import render_text
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import Alert, ChannelIdentity, Patient, Score, SurveyAssignment
from bot.schedule import cohorts
from bot.service.app import App, build_app
from bot.service.dispatcher import dispatch_pending
from bot.service.settings import Settings
from surveys.loader import clear_cache, load_instrument
from surveys.packs import PACKS_DIR_ENV
from tests.packs.make_fake_packs import BATTERY, HERE
from tests.schedule_support import RecordingChannel, add_patient, tick
from tests.support import FakeClock


class ConsolePatient:
    """A patient on the console channel, answering through the real pipeline."""

    def __init__(self, app: App, clock: FakeClock, study_id: str, locale: str) -> None:
        self.app, self.clock = app, clock
        self.channel = ConsoleChannel(io.StringIO())
        self.address = f"addr-{study_id}"
        with session_scope(app.db) as s:
            patient = store.add_patient(s, study_id=study_id, now=clock(), locale=locale)
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

    def start(self, instrument_id: str) -> int:
        assignment = self.app.pipeline.start_survey(self.patient_id, instrument_id)
        self._flush()
        return assignment

    def say(self, text: str) -> None:
        self.count += 1
        inbound = Inbound(
            "console", self.address, f"{self.address}-{self.count}", text, self.clock()
        )
        assert self.app.pipeline.handle(inbound).status == "processed"
        self.clock.advance(seconds=5)
        self._flush()

    def _flush(self) -> None:
        asyncio.run(dispatch_pending(self.app.db, {"console": self.channel}, self.clock()))

    @property
    def texts(self) -> list[str]:
        """What the patient read: each message with its options, as SMS shows them."""
        return [self.channel_out_of(m) for m in self.channel.sent]

    @staticmethod
    def channel_out_of(message: OutboundEnvelope) -> str:
        options = [(int(o["code"]), str(o["label"])) for o in message.options]
        return render_text(message.text, options, message.hint, with_options=True)


def answers_for(instrument_id: str) -> list[str]:
    """A fixed answer per item, varied so every option position is used somewhere."""
    instrument = load_instrument(instrument_id)
    return [str(it.options[n % len(it.options)].code) for n, it in enumerate(instrument.items)]


@pytest.fixture
def packs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(PACKS_DIR_ENV, str(HERE))
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def no_packs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(PACKS_DIR_ENV, raising=False)
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield built
    built.db.dispose()


def _scores(app: App, assignment_id: int) -> dict[str, tuple[object, ...]]:
    with Session(app.db) as s:
        rows = s.exec(select(Score).where(Score.assignment_id == assignment_id)).all()
        return {r.scale_id: (r.status, r.raw, r.t, r.se, r.mean, r.band) for r in rows}


def _assignment(app: App, assignment_id: int) -> SurveyAssignment:
    with Session(app.db) as s:
        row = s.get(SurveyAssignment, assignment_id)
        assert row is not None
        return row


@pytest.mark.usefixtures("packs")
def test_spanish_patient_completes_the_battery_with_packs(app: App, clock: FakeClock) -> None:
    spanish = ConsolePatient(app, clock, "S-ES", "es")
    english = ConsolePatient(app, clock, "S-EN", "en")
    for instrument_id in BATTERY:
        instrument = load_instrument(instrument_id)
        replies = answers_for(instrument_id)
        done: dict[str, int] = {}
        for patient in (spanish, english):
            before = len(patient.texts)
            assignment_id = patient.start(instrument_id)
            for reply in replies:
                patient.say(reply)
            done[patient.address] = assignment_id
            row = _assignment(app, assignment_id)
            assert row.state == "completed", (instrument_id, patient.texts[before:])
            seen = "\n".join(patient.texts[before:])
            if patient is spanish:
                assert (row.language, row.translation_status) == ("es", "validated")
                # the pack's words, and never the English ones, for every item
                assert seen.count("[TEST] pregunta ") == len(instrument.items)
                assert all(it.text["en"] not in seen for it in instrument.items)
                assert "[TEST] respuesta 1" in seen
            else:
                assert row.language == "en" and "[TEST]" not in seen
        es_scores = _scores(app, done[spanish.address])
        assert es_scores and es_scores == _scores(app, done[english.address]), instrument_id
        assert all(status == "complete" for status, *_ in es_scores.values()), instrument_id
    with Session(app.db) as s:
        assert s.exec(select(Alert).where(Alert.kind == "language_unavailable")).all() == []
    # the long export holds the same answers for both, told apart only by patient and language
    out = io.StringIO()
    export_responses_csv(app.db, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    kept = ("instrument", "instrument_version", "item_id", "option_code", "value", "status")

    def answers(study_id: str) -> list[tuple[str, ...]]:
        return [tuple(r[k] for k in kept) for r in rows if r["patient"] == study_id]

    assert answers("S-ES") == answers("S-EN") and len(answers("S-ES")) == sum(
        len(load_instrument(i).items) for i in BATTERY
    )
    assert {(r["language"], r["translation_status"]) for r in rows if r["patient"] == "S-ES"} == {
        ("es", "validated")
    }


@pytest.mark.usefixtures("no_packs")
def test_without_packs_the_battery_is_refused_with_an_alert(app: App, clock: FakeClock) -> None:
    spanish = ConsolePatient(app, clock, "S-ES", "es")
    for instrument_id in BATTERY:
        before = len(spanish.texts)
        assignment_id = spanish.start(instrument_id)
        assert _assignment(app, assignment_id).state == "refused"
        assert "no está disponible en su idioma" in "\n".join(spanish.texts[before:])
    with Session(app.db) as s:
        alerts = s.exec(
            select(Alert).where(Alert.kind == "language_unavailable").order_by(col(Alert.id))
        ).all()
        assert len(alerts) == len(BATTERY)
        assert {a.patient_id for a in alerts} == {spanish.patient_id}


@pytest.mark.usefixtures("packs")
def test_the_planned_battery_sittings_are_answered_in_spanish(app: App, clock: FakeClock) -> None:
    """The cohort plan's baseline battery, in its sittings (issue 14), offered by the scheduler
    and answered over SMS through the pipeline: every planned survey completes in Spanish."""
    pid = add_patient(app, "B001", locale="es")
    with session_scope(app.db) as s:
        cohort = cohorts.create_cohort(
            s, name="packs", start_date=date(2026, 11, 10), timezone="America/New_York",
            rule=cohorts.WeeklyRule(weekday=1, time="14:00"), now=clock(), weeks=2,
        )  # fmt: skip
        patient = s.get(Patient, pid)
        assert patient is not None
        cohorts.enrol(s, cohort, patient, clock())
        address = s.exec(select(ChannelIdentity.address)).one()
        baseline = s.exec(
            select(SurveyAssignment).where(SurveyAssignment.timepoint == "baseline")
        ).all()
        assert {a.instrument_id for a in baseline} == set(BATTERY)
        last_open = max(a.opens_at for a in baseline)
    channel = RecordingChannel(clock)
    sent = 0
    count = 0
    total = sum(len(load_instrument(i).items) for i in BATTERY)
    asked_next: set[int] = set()
    # until every question is answered: replies wait out the quiet hours (20:00-09:00)
    while count < total:
        assert clock() < last_open + timedelta(days=2), f"stuck after {count} answers"
        tick(app, channel)
        while sent < len(channel.sent):  # grows as questions are answered
            envelope = channel.sent[sent][1]
            sent += 1
            if envelope.kind != "prompt" or not envelope.options:
                continue
            assert "[TEST] pregunta " in envelope.text, envelope.text
            count += 1
            reply = str(envelope.options[count % len(envelope.options)]["code"])
            inbound = Inbound("sms", address, f"b-{count}", reply, clock())
            assert app.pipeline.handle(inbound).status == "processed"
            clock.advance(seconds=30)
            tick(app, channel)
        if count < total and count not in asked_next and not _asking(app, pid):
            # between sittings (issue 14): the next part now, in Spanish, rather than later
            asked_next.add(count)
            nxt = Inbound("sms", address, f"b-next-{count}", "SIGUIENTE", clock())
            assert app.pipeline.handle(nxt).status == "processed"
            continue
        clock.advance(hours=1)
    with Session(app.db) as s:
        rows = s.exec(select(SurveyAssignment).where(SurveyAssignment.timepoint == "baseline"))
        assert {(a.instrument_id, a.state, a.language) for a in rows} == {
            (i, "completed", "es") for i in BATTERY
        }
    assert count == total
    assert asked_next, "the battery came in sittings, crossed here with SIGUIENTE"


def _asking(app: App, patient_id: int) -> bool:
    """True while a question is open in the patient's conversation."""
    with Session(app.db) as s:
        return store.load_state(s, patient_id, for_update=False).survey is not None
