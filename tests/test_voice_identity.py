"""Who is on the phone (issue 20): the program checks callers by PIN or by the last four digits of
the date of birth (year-month-day: the month and day, MMDD), with the PIN's attempt limit, a safe
goodbye and a staff alert; the date is set from the terminal and never logged."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.db.database import make_engine
from bot.db.models import Alert, AuditLog, ConsentRecord, Patient
from bot.db.voice_models import VoicePin
from bot.service.voice.enrol import VoiceEnrolmentError
from tests.support import FakeClock
from tests.test_cli import pathbot
from tests.voice_support import voice_world

BORN = date(1956, 3, 14)


async def test_the_birthday_lets_the_caller_in(
    db_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with voice_world(db_url, clock, voice_identity_check="dob4") as w:
        pid = w.add_voice_patient("D1", pin=None, born=BORN)
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        assert "birthday as four digits" in call.said and "PIN" not in call.said
        assert "Question" not in call.said
        await call.press("1403")  # the day first: not how the line asked
        assert "That did not match" in call.said and "Question" not in call.said
        await call.press("0314")
        assert "Question 1 of 5" in call.said
        with Session(w.app.db) as s:
            assert s.get(VoicePin, pid) is None  # no PIN was needed
    assert "0314" not in caplog.text and "1956" not in caplog.text


async def test_three_wrong_birthdays_say_goodbye_and_tell_staff(
    db_url: str, clock: FakeClock
) -> None:
    async with voice_world(db_url, clock, voice_identity_check="dob4") as w:
        pid = w.add_voice_patient("D2", pin=None, born=BORN)
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        for keys in ("1111", "3141"):
            await call.press(keys)
            assert "did not match" in call.said
        await call.press("1956")  # the year is not what the line asks for
        assert call.ended and "could not check who you are" in call.said
        assert "802-555-0100" in call.said and "Question" not in " ".join(call.heard)
        with Session(w.app.db) as s:
            alerts = s.exec(select(Alert).where(Alert.patient_id == pid)).all()
        assert [a.kind for a in alerts] == ["voice_dob_failed"]


async def test_no_birthday_on_file_no_phone_line(db_url: str, clock: FakeClock) -> None:
    async with voice_world(db_url, clock, voice_identity_check="dob4") as w:
        with pytest.raises(VoiceEnrolmentError, match="no date of birth|none on file"):
            w.add_voice_patient("D3", pin=None)
    async with voice_world(db_url, clock) as w:  # the PIN program still needs a PIN
        with pytest.raises(VoiceEnrolmentError, match="PIN must be 4 digits"):
            w.add_voice_patient("D4", pin=None, born=BORN)


def test_the_date_of_birth_is_read_from_the_terminal_and_audited_without_it(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    dob4 = {"PATHBOT_VOICE_IDENTITY_CHECK": "dob4"}
    assert pathbot("patient", "add", "P001", "--db", db).returncode == 0
    early = pathbot("patient", "voice", "P001", "--phone", "8025550199", "--db", db, env=dob4)
    assert early.returncode == 2 and "none on file" in early.stderr
    bad = pathbot("patient", "dob", "P001", "--db", db, stdin="14/03/1956\n")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "1956" not in bad.stderr
    future = pathbot("patient", "dob", "P001", "--db", db, stdin="2090-01-01\n")
    assert future.returncode == 2 and "past date" in future.stderr
    done = pathbot("patient", "dob", "P001", "--db", db, stdin="1956-03-14\n")
    assert done.returncode == 0 and "1956" not in done.stdout + done.stderr
    voice = pathbot("patient", "voice", "P001", "--phone", "8025550199", "--db", db, env=dob4)
    assert voice.returncode == 0 and "can now answer by phone" in voice.stdout
    engine = make_engine(db)
    with Session(engine) as s:
        patient = s.exec(select(Patient)).one()
        consent = s.exec(select(ConsentRecord).where(ConsentRecord.channel == "voice")).one()
        audits = s.exec(select(AuditLog).where(AuditLog.action == "patient.date_of_birth")).all()
    engine.dispose()
    assert patient.date_of_birth == BORN and consent.text_version == "voice-en-3"
    assert len(audits) == 1 and "1956" not in str(audits[0].detail)
