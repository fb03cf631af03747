"""Privacy of invitations (issue 15): one live code per patient, codes never stored in clear,
strangers' STOP remembered, strangers' messages purged after the retention."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bot.conversation.engine import ProgramInfo
from bot.db import privacy
from bot.db.database import session_scope
from bot.db.invite_models import EnrolmentCode
from bot.db.invites import hash_code, issue_code
from bot.db.models import AuditLog, ChannelIdentity, InboundMessage, OutboxMessage, Patient
from bot.db.privacy_models import AddressOptOut
from bot.service import sms_optin
from tests.sms_support import sms_world
from tests.support import FakeClock
from tests.telegram_support import CHAT, TelegramHarness
from tests.test_cli import pathbot

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ProgramInfo("Pain Program", "802-555-0100", "Mon-Fri 8-5")


async def test_a_new_invitation_revokes_the_old_one_and_no_code_is_stored_in_clear(
    db_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(db_url, clock) as h:
        patient_id, first = h.new_patient()
        with session_scope(h.app.db) as s:
            patient = s.get(Patient, patient_id)
            assert patient is not None
            second = issue_code(s, patient=patient, channel="telegram", now=clock())
        # the first (lost, forwarded) link no longer binds a chat to the patient
        await h.say(f"/start {first}", chat=901)
        assert h.texts(901) == [
            "This link has expired. Please ask the clinic for a new one at 802-555-0100."
        ]
        assert h.rows(ChannelIdentity) == []
        await h.say(f"/start {second}")
        assert h.texts()[0].startswith("Welcome to Pain Program.")
        (identity,) = h.rows(ChannelIdentity)
        assert (identity.patient_id, identity.address) == (patient_id, str(CHAT))
        codes = {c.code_hash: c for c in h.rows(EnrolmentCode)}
        assert codes[hash_code(first)].revoked_at is not None
        assert codes[hash_code(second)].used_at is not None
        # what is stored of both attempts names the code by a prefix of its hash, never the code
        bodies = sorted(m.body for m in h.rows(InboundMessage))
        assert bodies == sorted(
            f"/start <code sha256:{hash_code(c)[:12]}>" for c in (first, second)
        )
        assert not any(first in b or second in b for b in bodies)


def test_every_code_is_made_by_issue_code() -> None:
    """One door: an EnrolmentCode row is built only in bot/db/invites.py (issue_code)."""
    makers = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "bot").rglob("*.py")
        if re.search(r"(?<!class )\bEnrolmentCode\(", p.read_text(encoding="utf-8"))
    ]
    assert makers == ["bot/db/invites.py"]
    source = (ROOT / "bot/db/invites.py").read_text(encoding="utf-8")
    assert source.count("EnrolmentCode(") == 1 and "def issue_code" in source


async def test_stop_from_an_unknown_number_blocks_a_later_invitation(
    db_url: str, clock: FakeClock
) -> None:
    phone = "+18025550123"
    async with sms_world(db_url, clock) as world:
        await world.text(phone, "STOP")
        assert world.received(phone) == []  # nothing said back (the carrier confirms a STOP)
        with Session(world.app.db) as s:
            (optout,) = s.exec(select(AddressOptOut)).all()
            assert (optout.channel, optout.address) == ("sms", phone)
        await world.text(phone, "stop")  # a repeat changes nothing
        # later the number is added to a patient: the opt-in text is refused, not sent
        patient_id = world.add_patient("P-STOP", phone)
        try:
            sms_optin.queue_invite(world.app.db, PROGRAM, patient_id, clock())
            raise AssertionError("an opted-out number was invited")
        except sms_optin.InviteRefused as exc:
            assert "replied STOP" in str(exc)
        # the owner opts in themselves: START confirms, and the opt-out is forgotten
        await world.text(phone, "START")
        assert "you are signed up" in world.last(phone)
        with Session(world.app.db) as s:
            assert s.exec(select(AddressOptOut)).all() == []
            identity = s.exec(select(ChannelIdentity)).one()
            assert identity.status == "active"


async def test_stop_from_an_unknown_telegram_chat_is_recorded_and_cleared_by_its_own_link(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with TelegramHarness(sqlite_url, clock) as h:
        await h.say("STOP", chat=555)
        assert h.texts(555) == []
        with Session(h.app.db) as s:
            assert [(o.channel, o.address) for o in s.exec(select(AddressOptOut))] == [
                ("telegram", "555")
            ]
        _, code = h.new_patient()
        await h.say(f"/start {code}", chat=555)
        assert h.texts(555)[0].startswith("Welcome to Pain Program.")
        assert h.rows(AddressOptOut) == []


def test_the_cli_refuses_an_sms_invitation_to_an_opted_out_number(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("patient", "add", "P-1", "--phone", "+18025550124", "--db", db).returncode == 0
    from bot.db.database import make_engine

    engine = make_engine(db)
    with engine.begin() as conn:
        privacy.record_address_optout(
            conn, channel="sms", address="+18025550124", now=FakeClock()()
        )
    engine.dispose()
    refused = pathbot("patient", "invite", "P-1", "--channel", "sms", "--db", db)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "pathbot: P-1 not invited: this number replied STOP before; only its owner can opt in "
        "(text START)"
    )
    # a patient without a phone number: one line and a non-zero exit, not "queued"
    assert pathbot("patient", "add", "P-2", "--db", db).returncode == 0
    none = pathbot("patient", "invite", "P-2", "--channel", "sms", "--db", db)
    assert none.returncode == 2 and len(none.stderr.strip().splitlines()) == 1
    assert "no phone number" in none.stderr


async def test_strangers_messages_are_purged_after_the_retention_and_their_stop_is_kept(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_world(db_url, clock) as world:
        await enrol_patient(world)
        await world.text("+18025550177", "who is this?")
        await world.text("+18025550178", "STOP")
        await world.text("+18025550170", "5")  # the patient's message
        clock.advance(days=31)
        await world.text("+18025550179", "hello again")  # recent: kept
        with session_scope(world.app.db) as s:
            purged = privacy.purge_strangers(s.connection(), before=clock() - timedelta(days=30))
        assert (purged.inbound, purged.outbox) == (2, 1)
        with Session(world.app.db) as s:
            left = s.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
            assert {m.address for m in left if m.patient_id is None} == {"+18025550179"}
            assert any(m.address == "+18025550170" and m.body == "5" for m in left)
            assert [o.address for o in s.exec(select(AddressOptOut))] == ["+18025550178"]
            strangers_out = s.exec(
                select(OutboxMessage).where(col(OutboxMessage.patient_id).is_(None))
            ).all()
            assert {o.address for o in strangers_out} == {"+18025550179"}


async def enrol_patient(world: object) -> None:
    from tests.sms_support import SmsWorld, enrol_by_sms

    assert isinstance(world, SmsWorld)
    await enrol_by_sms(world, "P-PURGE", "+18025550170")


def test_purge_strangers_command_uses_the_retention_setting_and_is_audited(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert pathbot("db", "upgrade", "--db", db).returncode == 0
    from bot.db.database import make_engine

    engine = make_engine(db)
    with Session(engine) as s:
        for days_ago, address in ((40, "+18025550001"), (3, "+18025550002")):
            s.add(
                InboundMessage(
                    channel="sms",
                    provider_message_id=f"SM{days_ago}",
                    address=address,
                    body="hi",
                    received_at=datetime.now(UTC) - timedelta(days=days_ago),
                )
            )
        s.commit()
    done = pathbot(
        "privacy", "purge-strangers", "--db", db, env={"PATHBOT_STRANGER_RETENTION_DAYS": "7"}
    )
    assert done.returncode == 0, done.stderr
    assert "purged 1 messages from strangers" in done.stderr
    with Session(engine) as s:
        assert [m.address for m in s.exec(select(InboundMessage))] == ["+18025550002"]
        (entry,) = s.exec(
            select(AuditLog).where(AuditLog.action == "privacy.purge_strangers")
        ).all()
        assert entry.detail["days"] == 7 and entry.detail["inbound"] == 1
    engine.dispose()
    refused = pathbot("privacy", "purge-strangers", "--days", "0", "--db", db)
    assert refused.returncode == 2 and "keep at least 1 day" in refused.stderr
