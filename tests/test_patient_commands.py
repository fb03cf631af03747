"""`pathbot patient add|list|invite` as staff use them."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import pathbot


def test_add_normalises_the_phone_and_lists_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    draft = pathbot("patient", "add", "P001", "--locale", "es", "--db", db)
    assert draft.returncode == 2 and "--draft-language" in draft.stderr
    assert "draft" in draft.stderr and "Español" in draft.stderr
    added = pathbot(
        "patient", "add", "P001", "--phone", "(802) 555-0199", "--locale", "es",
        "--draft-language", "--db", db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = pathbot("patient", "list", "--db", db)
    assert "P001\tes\tAmerica/New_York\tactive\tsms:pending" in listed.stdout
    assert "+18025550199" not in listed.stdout  # addresses stay out of listings


def test_add_refuses_bad_input_clearly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("patient", "add", "P001", "--db", db).returncode == 0
    again = pathbot("patient", "add", "P001", "--db", db)
    assert again.returncode == 2 and "already exists" in again.stderr
    phone = pathbot("patient", "add", "P002", "--phone", "12", "--db", db)
    assert phone.returncode == 2 and "not a valid phone number" in phone.stderr
    zone = pathbot("patient", "add", "P003", "--timezone", "Mars/Base", "--db", db)
    assert zone.returncode == 2 and "unknown time zone" in zone.stderr


def test_invite_unknown_patient_or_channel(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    result = pathbot("patient", "invite", "P404", "--channel", "pigeon", "--db", db)
    assert result.returncode == 2 and "cannot invite to 'pigeon'" in result.stderr


def test_alumni_messages_off_and_on_are_audited(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("patient", "add", "P001", "--db", db).returncode == 0
    off = pathbot("patient", "alumni-messages", "P001", "off", "--actor", "coord", "--db", db)
    assert off.returncode == 0 and "off for P001" in off.stdout
    from sqlmodel import Session, select

    from bot.db.database import make_engine
    from bot.db.models import AuditLog, Patient

    engine = make_engine(db)
    with Session(engine) as s:
        assert s.exec(select(Patient)).one().alumni_opt_out is True
        actions = [a.action for a in s.exec(select(AuditLog))]
    engine.dispose()
    assert "patient.alumni_messages" in actions
    on = pathbot("patient", "alumni-messages", "P001", "on", "--db", db)
    assert on.returncode == 0
    missing = pathbot("patient", "alumni-messages", "P404", "off", "--db", db)
    assert missing.returncode == 2 and "no patient P404" in missing.stderr


def test_voice_set_up_reads_the_pin_from_stdin_and_records_consent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("patient", "add", "P001", "--db", db).returncode == 0
    weak = pathbot("patient", "voice", "P001", "--phone", "8025550199", "--db", db, stdin="1111\n")
    assert weak.returncode == 2 and "one digit repeated" in weak.stderr
    done = pathbot("patient", "voice", "P001", "--phone", "8025550199", "--db", db, stdin="4826\n")
    assert done.returncode == 0 and "can now answer by phone" in done.stdout
    assert "4826" not in done.stdout + done.stderr
    listed = pathbot("patient", "list", "--db", db)
    assert "voice:active" in listed.stdout
    from sqlmodel import Session, select

    from bot.db.database import make_engine
    from bot.db.models import ConsentRecord
    from bot.db.voice_models import VoicePin

    engine = make_engine(db)
    with Session(engine) as s:
        consent = s.exec(select(ConsentRecord).where(ConsentRecord.channel == "voice")).one()
        pin = s.exec(select(VoicePin)).one()
    engine.dispose()
    assert consent.text_version == "voice-en-3" and consent.address == "+18025550199"
    assert "4826" not in pin.pin_hash
