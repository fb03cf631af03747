"""Enrolment by deep link through the real python-telegram-bot and the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.language_status import languages
from bot.db.invite_models import EnrolmentCode
from bot.db.models import ChannelIdentity, ConsentRecord, InboundMessage, Patient
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness
from tests.test_cli import pathbot


async def test_deep_link_binds_the_chat_records_consent_and_asks_the_language(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        patient_id, code = h.new_patient(locale="en")
        await h.say(f"/start {code}")
        welcome, menu = h.texts()
        assert welcome.startswith("Welcome to Pain Program.") and "not fully private" in welcome
        assert menu == "Which language do you want?"
        question = h.fake.last_question(CHAT)
        labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == [f"{n} = {i.name}" for n, i in enumerate(languages(), start=1)]
        (identity,) = h.rows(ChannelIdentity)
        assert (identity.patient_id, identity.channel, identity.address) == (
            patient_id,
            "telegram",
            str(CHAT),
        )
        (consent,) = h.rows(ConsentRecord)
        assert (consent.method, consent.text_version) == ("deep_link", "telegram-welcome-1")
        (used,) = h.rows(EnrolmentCode)
        assert used.used_at is not None and used.used_by_address == str(CHAT)

        await h.press("2 = Español")
        assert h.texts()[-1] == "A partir de ahora le escribiré en español."
        edited = h.fake.messages[(CHAT, question["message_id"])]
        assert edited["text"].endswith("Su respuesta: 2 = Español")
        assert "reply_markup" not in edited
        (patient,) = h.rows(Patient)
        assert patient.locale == "es" and patient.preferred_channel == "telegram"

        # the same link from another phone binds nothing
        await h.say(f"/start {code}", chat=777)
        assert h.texts(777) == [
            "This link was already used. Please ask the clinic for a new one at 802-555-0100."
        ]
        assert len(h.rows(ChannelIdentity)) == 1 and len(h.rows(ConsentRecord)) == 1


async def test_expired_unknown_code_and_strangers_get_a_clear_reply_and_nothing_else(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        expired = h.expired_code()
        await h.say(f"/start {expired}", chat=501)
        await h.say("/start not-a-real-code", chat=502)
        await h.say("hello, my pain is 8", chat=503, language_code="es-MX")
        await h.say("/pain", chat=504)
        assert h.texts(501) == [
            "This link has expired. Please ask the clinic for a new one at 802-555-0100."
        ]
        assert h.texts(502) == [
            "This link does not work. Please check it, or call the clinic at 802-555-0100."
        ]
        assert h.texts(503) == [
            "Pain Program: este chat no está conectado con el programa. Para unirse, abra el "
            "enlace que le dio su clínica o llame al 802-555-0100."
        ]
        assert len(h.texts(504)) == 1
        assert h.rows(ChannelIdentity) == [] and h.rows(ConsentRecord) == []
        assert {m.patient_id for m in h.rows(InboundMessage)} == {None}
        assert all(c.used_at is None for c in h.rows(EnrolmentCode))


def test_invite_prints_a_one_time_link_and_writes_a_qr_code(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("patient", "add", "P-7", "--db", db).returncode == 0
    env = {"PATHBOT_TELEGRAM_BOT_USERNAME": "@pathclinic_bot"}
    result = pathbot(
        "patient",
        "invite",
        "P-7",
        "--channel",
        "telegram",
        "--out-dir",
        str(tmp_path),
        "--db",
        db,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.splitlines()[0]
    assert link.startswith("https://t.me/pathclinic_bot?start=")
    code = link.split("=", 1)[1]
    assert 16 <= len(code) <= 64 and code.replace("-", "").replace("_", "").isalnum()
    png = (tmp_path / "telegram-invite-P-7.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    missing = pathbot("patient", "invite", "P-7", "--channel", "telegram", "--db", db)
    assert missing.returncode == 2 and "PATHBOT_TELEGRAM_BOT_USERNAME" in missing.stderr
