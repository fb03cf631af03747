"""A crisis hold has a way out (issue 12 point 4): staff release it with a required note, as a
false alarm or handled; audited; the patient gets a short, kind message and the paused survey
resumes where it stopped. Through the real pipeline and, at the end, the real `pathbot` command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.clinic.alerts.notify import plan_notices
from bot.clinic.holds import HoldError
from bot.db.models import Alert, AuditLog, ItemResponse, Patient
from bot.db.staff_models import AlertNote
from bot.service.app import App, build_app
from bot.service.settings import Settings
from tests.support import FakeClock
from tests.test_cli import pathbot
from tests.test_pipeline import Patient1, _rows


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    built = build_app(Settings(_env_file=None), database_url=db_url, clock=clock)  # type: ignore[call-arg]
    yield built
    built.db.dispose()


def _held(app: App, clock: FakeClock, *, locale: str = "en") -> Patient1:
    p = Patient1(app, clock, locale=locale)
    p.start("dvprs")
    p.say("7")  # the first answer, then crisis language mid-survey
    p.say("i want to kill myself tonight" if locale == "en" else "me quiero matar")
    (patient,) = _rows(app, Patient)
    assert patient.status == "crisis_hold"
    return p


def test_release_resumes_the_survey_where_it_stopped(app: App, clock: FakeClock) -> None:
    p = _held(app, clock)
    p.say("3")
    assert "paused" in p.last  # held: nothing is recorded
    sent_before = len(p.channel.sent)
    release = app.pipeline.release_hold(
        p.patient_id, outcome="false_alarm", note="spoke by phone: song lyrics", actor="nurse.a"
    )
    p.flush()
    kind, question = [m.text for m in p.channel.sent[sent_before:]]
    assert "Thank you for talking with our team" in kind
    assert question.startswith("Q2/5.")  # where it stopped, not from the start
    assert release.survey_resumed and release.outcome == "false_alarm"
    p.say("4")
    answers = _rows(app, ItemResponse)
    assert [(a.item_id, a.option_code) for a in answers] == [
        ("dvprs_pain", 7),
        ("dvprs_activity", 4),
    ]
    (patient,) = _rows(app, Patient)
    assert patient.status == "active"
    (alert,) = [a for a in _rows(app, Alert) if a.kind == "crisis"]
    assert alert.status == "resolved" and alert.resolved_by == "nurse.a"
    assert alert.id in release.alerts_resolved
    notes = [(n.action, n.text) for n in _rows(app, AlertNote) if n.alert_id == alert.id]
    assert ("released", "hold released (a false alarm): spoke by phone: song lyrics") in notes
    (audit,) = [a for a in _rows(app, AuditLog) if a.action == "hold.release"]
    assert audit.actor == "nurse.a" and audit.detail["outcome"] == "false_alarm"
    assert "song lyrics" not in str(audit.detail)  # the note lives in the alert's history


def test_spanish_patient_gets_the_kind_word_in_spanish(app: App, clock: FakeClock) -> None:
    p = _held(app, clock, locale="es")
    before = len(p.channel.sent)
    app.pipeline.release_hold(p.patient_id, outcome="handled", note="llamada", actor="x")
    p.flush()
    assert "Gracias por hablar con nuestro equipo" in p.channel.sent[before].text


@pytest.mark.parametrize(
    ("outcome", "note", "message"),
    [
        ("handled", "   ", "note is required"),
        ("fixed", "ok", "outcome must be"),
    ],
)
def test_a_release_needs_a_note_and_an_outcome(
    app: App,
    clock: FakeClock,
    outcome: str,
    note: str,
    message: str,
) -> None:
    p = _held(app, clock)
    with pytest.raises(HoldError, match=message):
        app.pipeline.release_hold(p.patient_id, outcome=outcome, note=note, actor="x")
    (patient,) = _rows(app, Patient)
    assert patient.status == "crisis_hold"  # nothing changed


def test_no_hold_no_release(app: App, clock: FakeClock) -> None:
    p = Patient1(app, clock)
    p.start("dvprs")
    with pytest.raises(HoldError, match="not on hold"):
        app.pipeline.release_hold(p.patient_id, outcome="handled", note="x", actor="x")


def test_stop_during_a_hold_stays_stopped_after_release(app: App, clock: FakeClock) -> None:
    p = _held(app, clock)
    p.say("STOP")
    before = len(p.channel.sent)
    release = app.pipeline.release_hold(p.patient_id, outcome="handled", note="x", actor="x")
    p.flush()
    assert len(p.channel.sent) == before and release.messages_queued == 0
    (patient,) = _rows(app, Patient)
    assert patient.status == "stopped"
    p.say("START")  # opting back in: the hold is gone, the survey carries on
    assert p.last.startswith("Q2/5.")


def test_unacknowledged_crisis_alert_escalates_to_the_second_contact(
    app: App,
    clock: FakeClock,
) -> None:
    _held(app, clock)
    (alert,) = [a for a in _rows(app, Alert) if a.kind == "crisis"]

    def plan(after_minutes: float) -> list[tuple[str, str]]:
        with Session(app.db) as s:
            notices = plan_notices(
                s,
                ["email"],
                clock() + timedelta(minutes=after_minutes),
                resend_after=timedelta(minutes=10),
                digest_every=timedelta(minutes=60),
                escalation=["esc-email"],
                escalate_after=timedelta(minutes=30),
            )
        return [(n.channel, n.kind) for n in notices if alert.id in n.alert_ids]

    assert plan(0) == [("email", "immediate")]
    assert ("esc-email", "escalation") in plan(31)
    with Session(app.db) as s:
        row = s.get(Alert, alert.id)
        assert row is not None
        row.status = "acknowledged"
        s.add(row)
        s.commit()
    assert plan(31) == []  # acknowledged: nobody is chased


def test_cli_resolve_release_and_visit_say_so(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    sim = pathbot("simulate", "--instrument", "dvprs", "--db", db, stdin="7\nkms\n")
    assert sim.returncode == 0, sim.stderr
    listing = pathbot("alerts", "list", "--db", db).stdout.splitlines()[1:]
    (alert_id, study_id) = next(
        line.split("\t")[:2] for line in listing if line.split("\t")[2] == "crisis"
    )
    visit = pathbot("visit", study_id, "--db", db)
    assert visit.returncode != 0 and "crisis hold" in visit.stderr and "--release" in visit.stderr
    assert "ON HOLD" in pathbot("patient", "list", "--db", db).stdout
    no_outcome = pathbot("alerts", "resolve", alert_id, "--release", "--note", "x", "--db", db)
    assert no_outcome.returncode != 0 and "--outcome" in no_outcome.stderr
    no_note = pathbot(
        "alerts", "resolve", alert_id, "--release", "--outcome", "handled", "--db", db
    )
    assert no_note.returncode != 0
    ok = pathbot(
        "alerts", "resolve", alert_id, "--release", "--outcome", "handled",
        "--note", "called, safe, plan made", "--actor", "dr.b", "--db", db,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "hold released" in ok.stdout and f"#{alert_id}" in ok.stdout
    again = pathbot(
        "alerts", "resolve", alert_id, "--release", "--outcome", "handled", "--note", "x",
        "--db", db,
    )  # fmt: skip
    assert again.returncode != 0 and "not on hold" in again.stderr
    assert "ON HOLD" not in pathbot("patient", "list", "--db", db).stdout


def test_resolve_without_release_keeps_the_hold(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    pathbot("simulate", "--instrument", "dvprs", "--db", db, stdin="kms\n")
    listing = pathbot("alerts", "list", "--db", db).stdout.splitlines()[1:]
    alert_id = next(line.split("\t")[0] for line in listing if line.split("\t")[2] == "crisis")
    done = pathbot("alerts", "resolve", alert_id, "--note", "talked", "--db", db)
    assert done.returncode == 0 and "resolved" in done.stdout
    assert "ON HOLD" in pathbot("patient", "list", "--db", db).stdout
