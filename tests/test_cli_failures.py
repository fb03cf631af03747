"""The command line as a new user meets it (issue 15): every failure is one line and a non-zero
exit, configuration errors name the setting and never echo its value, nothing succeeds
silently or falsely, and every change staff make is audited. Each case failed before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db.database import make_engine
from bot.db.models import Alert, AuditLog, Event, OutboxMessage, Patient
from tests.test_cli import pathbot

REAL_KEY = "q8Vd2LzR7pX4mN9sK1tY6wB3"
TOKEN = "changeme-7f3a9c2e51d04b8aa6e2f1c9"  # a placeholder: production refuses it


def one_line_error(result: object, code: int = 2) -> str:
    returncode = result.returncode  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert returncode == code, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathbot: "), stderr
    return lines[0]


# ---- configuration ----------------------------------------------------------------------------


def test_a_configuration_error_names_the_setting_and_never_shows_its_value() -> None:
    env = {
        "PATHBOT_ENV": "production",
        "PATHBOT_STAFF_SECRET_KEY": REAL_KEY,
        "PATHBOT_TWILIO_AUTH_TOKEN": TOKEN,
    }
    line = one_line_error(pathbot("db", "upgrade", env=env))
    assert "PATHBOT_TWILIO_AUTH_TOKEN is a placeholder" in line
    fragments = {TOKEN[i : i + 6] for i in range(len(TOKEN) - 5)}
    assert not [f for f in fragments if f in line], line  # not even part of the token
    assert REAL_KEY[:6] not in line
    line = one_line_error(pathbot("db", "upgrade", env={"PATHBOT_QUIET_HOURS_START": "25"}))
    assert "PATHBOT_QUIET_HOURS_START" in line and "25" not in line
    line = one_line_error(pathbot("db", "upgrade", env={"PATHBOT_DEFAULT_TIMEZONE": "Mars/Base"}))
    assert "PATHBOT_DEFAULT_TIMEZONE: unknown time zone" in line and "Mars" not in line
    assert "validation error" not in line


@pytest.mark.parametrize("name", ["prod", "Production", " PRODUCTION ", "live"])
def test_production_spelled_otherwise_is_still_production(name: str) -> None:
    env = {"PATHBOT_ENV": name, "PATHBOT_STAFF_SECRET_KEY": "changeme"}
    line = one_line_error(pathbot("db", "upgrade", env=env))
    assert "refusing to start in production" in line


def test_an_unknown_environment_is_refused() -> None:
    line = one_line_error(pathbot("db", "upgrade", env={"PATHBOT_ENV": "staging"}))
    assert line == (
        "pathbot: configuration error: PATHBOT_ENV: must be development, test or production"
    )


def test_a_public_url_without_a_scheme_is_refused_at_start() -> None:
    line = one_line_error(
        pathbot("db", "upgrade", env={"PATHBOT_PUBLIC_BASE_URL": "bot.example.org"})
    )
    assert "PATHBOT_PUBLIC_BASE_URL: must be an absolute URL" in line


def test_an_unsupported_database_url_is_one_line() -> None:
    line = one_line_error(pathbot("export", "--db", "mysql://u:secret@h/db"), code=3)
    assert "SQLite or PostgreSQL" in line and "secret" not in line


# ---- the simulator ------------------------------------------------------------------------------


def test_simulate_on_a_clinic_database_sends_nothing_of_the_real_patients(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    added = pathbot("patient", "add", "REAL-1", "--phone", "+18025550142", "--db", db)
    assert added.returncode == 0, added.stderr
    invited = pathbot("patient", "invite", "REAL-1", "--channel", "sms", "--db", db)
    assert invited.returncode == 0, invited.stderr
    sim = pathbot("simulate", "--instrument", "brs", "--db", db, stdin="4\n")
    assert sim.returncode == 0, sim.stderr
    assert "reply START" not in sim.stdout  # the real patient's invitation is not printed
    engine = make_engine(db)
    with Session(engine) as s:
        real = s.exec(select(OutboxMessage).where(OutboxMessage.address == "+18025550142")).one()
        assert (real.status, real.sent_at) == ("pending", None)  # still there for `pathbot run`
        simulated = s.exec(select(OutboxMessage).where(OutboxMessage.channel == "console")).all()
        assert simulated and all(m.status == "sent" for m in simulated)
    engine.dispose()


# ---- alerts, attendance, visits, cohorts ---------------------------------------------------------


def test_alerts_list_honours_the_groups_db_option(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    assert pathbot("patient", "add", "A-1", "--db", db).returncode == 0
    engine = make_engine(db)
    with Session(engine) as s:
        patient = s.exec(select(Patient)).one()
        s.add(
            Alert(patient_id=patient.id or 0, kind="crisis", tier=1, created_at=datetime.now(UTC))
        )
        s.commit()
    engine.dispose()
    # run where a default pathbot.db would be empty: the alert shows only if --db is read
    listed = pathbot("alerts", "--db", db, "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "A-1\tcrisis" in listed.stdout
    assert not (tmp_path / "pathbot.db").exists()


def test_cohort_attendance_visit_and_event_failures_and_audit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    monday = date.today() - timedelta(days=date.today().weekday() + 14)  # two weeks ago
    for study_id in ("C-1", "C-2", "OUT"):
        assert pathbot("patient", "add", study_id, "--db", db).returncode == 0
    create = ["cohort", "create", "spring", "--weekday", "mon", "--time", "14:00", "--db", db]
    line = one_line_error(pathbot(*create, "--start", str(monday), "--weeks", "0"))
    assert "a cohort runs 1 to 104 weeks" in line
    tuesday = monday + timedelta(days=1)
    line = one_line_error(pathbot(*create, "--start", str(tuesday)))
    assert f"--start {tuesday} is a Tuesday, but sessions are on Mondays" in line
    assert f"use --start {monday + timedelta(days=7)}" in line
    made = pathbot(*create, "--start", str(monday), "--actor", "coord")
    assert made.returncode == 0, made.stderr
    assert pathbot("cohort", "add", "spring", "C-1", "C-2", "--db", db).returncode == 0

    # a study id that is not in the cohort was silently recorded as "present" for the others
    line = one_line_error(
        pathbot("attendance", "spring", "--record", "1", "--absent", "OUT", "--db", db)
    )
    assert line == "pathbot: OUT is not a participant of cohort spring"
    done = pathbot("attendance", "spring", "--record", "1", "--absent", "C-2", "--db", db)
    assert done.returncode == 0, done.stderr

    # a visit for a patient with no confirmed channel printed "queued"; nothing was ever sent
    line = one_line_error(pathbot("visit", "C-1", "--db", db))
    assert "C-1 has not confirmed any channel yet" in line and "nothing sent" in line
    engine = make_engine(db)
    with Session(engine) as s:
        last = s.exec(select(Event.id).where(Event.kind == "session")).all()[-1]
    engine.dispose()
    later = monday + timedelta(weeks=12, days=1)  # the last session, a day later
    moved = pathbot("event", "move", str(last), "--to", f"{later} 15:00", "--db", db)
    assert moved.returncode == 0, moved.stderr
    cancelled = pathbot("event", "cancel", str(last), "--db", db)
    assert cancelled.returncode == 0, cancelled.stderr
    rule = pathbot("event", "alumni-rule", "first Tuesday 17:30", "--db", db)
    assert rule.returncode == 0, rule.stderr
    assert pathbot("cohort", "graduate", "spring", "--db", db).returncode == 0

    audit = pathbot("audit", "--db", db)
    entries = [line.split("\t") for line in audit.stdout.splitlines()[1:]]
    actions = {e[2]: e for e in entries}
    for action in (
        "cohort.create", "cohort.enrol", "attendance.record", "event.move", "event.cancel",
        "event.alumni_rule", "cohort.graduate",
    ):  # fmt: skip
        assert action in actions, (action, audit.stdout)
    assert actions["cohort.create"][1] == "coord"
    assert json.loads(actions["attendance.record"][4])["absent"] == ["C-2"]


def test_a_visit_is_refused_on_a_crisis_hold_and_audited_when_sent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    sim = pathbot("simulate", "--instrument", "brs", "--db", db, stdin="4\n")
    assert sim.returncode == 0, sim.stderr
    engine = make_engine(db)
    with Session(engine) as s:
        study_id = s.exec(select(Patient.study_id)).one()
    ok = pathbot("visit", study_id, "--db", db, "--actor", "nurse")
    assert ok.returncode == 0, ok.stderr
    assert "waits until the survey in progress is finished" in ok.stdout  # the BRS is open
    crisis = pathbot("simulate", "--instrument", "brs", "--db", db, stdin="I want to die\n")
    assert crisis.returncode == 0, crisis.stderr
    with Session(engine) as s:
        held = s.exec(select(Patient.study_id).where(Patient.status == "crisis_hold")).one()
        (entry,) = s.exec(select(AuditLog).where(AuditLog.action == "visit.record")).all()
        assert (entry.actor, entry.object_id) == ("nurse", study_id)
    engine.dispose()
    line = one_line_error(pathbot("visit", held, "--db", db))
    assert "is on a crisis hold" in line and "nothing sent" in line
