"""Invitations from a patient's page: the Telegram QR shown once, its handout PDF in the
patient's language, one live code at a time, the SMS opt-in text."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from bot.db.invite_models import EnrolmentCode
from bot.db.invites import hash_code
from bot.db.models import AuditLog, ChannelIdentity, OutboxMessage, Patient
from bot.service.settings import Settings
from tests.web.conftest import HarnessFactory
from tests.web.support import csrf_of


def telegram_settings() -> Settings:
    return Settings(_env_file=None, telegram_bot_username="pathbot_demo_bot")  # type: ignore[call-arg]


def test_a_telegram_invitation_is_shown_once_and_printed_in_the_patients_language(
    demo_harness: HarnessFactory,
) -> None:
    harness = demo_harness(telegram_settings())
    client = harness.signed_in("coordinator")
    page = client.get("/staff/patients/P001").text  # Ana Torres reads Spanish
    made = client.post("/staff/patients/P001/invite/telegram", data={"csrf_token": csrf_of(page)})
    assert made.status_code == 200
    link = re.search(r"<code>(https://t\.me/pathbot_demo_bot\?start=([\w-]+))</code>", made.text)
    assert link and "<svg" in made.text
    code = link.group(2)
    with Session(harness.app.db) as s:
        row = s.exec(select(EnrolmentCode).where(EnrolmentCode.code_hash == hash_code(code))).one()
        assert row.used_at is None  # only the hash is stored: the page was the one showing
    pdf = client.post(
        "/staff/patients/P001/invite/handout",
        data={"code": code, "csrf_token": csrf_of(made.text)},
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    assert 'filename="invitation-P001.pdf"' in pdf.headers["content-disposition"]
    # a second code while this one is live is refused (no two valid codes at once)
    page = client.get("/staff/patients/P001").text
    assert "An unused Telegram invitation exists" in page
    again = client.post("/staff/patients/P001/invite/telegram", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409
    # a forged or someone else's code gets no handout
    forged = client.post(
        "/staff/patients/P002/invite/handout", data={"code": code, "csrf_token": csrf_of(page)}
    )
    assert forged.status_code == 409
    with Session(harness.app.db) as s:
        actions = [
            (a.action, a.object_id)
            for a in s.exec(select(AuditLog).where(AuditLog.action.startswith("patient.")))  # type: ignore[attr-defined]
        ]
    assert ("patient.invite", "P001") in actions and ("patient.handout", "P001") in actions


def test_the_handout_is_in_the_patients_language_and_script() -> None:
    from datetime import UTC, datetime

    from bot.clinic.handout import Handout, handout_html, handout_pdf

    handout = Handout(
        link="https://t.me/x_bot?start=abc", study_id="P001", locale="es", program="Programa",
        help_phone="802-555-0100", help_hours="L-V 8-5",
        expires_at=datetime(2026, 12, 1, 15, tzinfo=UTC), timezone="America/New_York",
    )  # fmt: skip
    pdf = handout_pdf(handout)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "1 de diciembre de 2026" in text and "Únase a nosotros en Telegram" in text
    assert "https://t.me/x_bot?start=abc" in text.replace("\n", "") and "P001" in text
    # a right-to-left program name keeps its direction; nothing is unescaped
    html = handout_html(
        Handout(**{**handout.__dict__, "program": "برنامج الألم <b>", "locale": "en"})
    )
    assert '<h1 dir="auto">برنامج الألم &lt;b&gt;</h1>' in html


def _pdf_text(pdf: bytes) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def test_the_sms_opt_in_text_is_queued_for_a_pending_number(harness) -> None:  # type: ignore[no-untyped-def]
    with Session(harness.app.db) as s:
        patient = s.exec(select(Patient).where(Patient.study_id == "P003")).one()
        s.add(ChannelIdentity(patient_id=patient.id, channel="sms", address="+18025550199",
                              status="pending", created_at=harness.clock()))  # fmt: skip
        s.commit()
    client = harness.signed_in("coordinator")
    page = client.get("/staff/patients/P003").text
    sent = client.post("/staff/patients/P003/invite/sms", data={"csrf_token": csrf_of(page)})
    assert sent.headers["location"] == "/staff/patients/P003?notice=invite-issued"
    with Session(harness.app.db) as s:
        queued = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.address == "+18025550199", OutboxMessage.kind == "confirmation"
            )
        ).all()
    assert len(queued) == 1
    # a patient who already confirmed gets a clear refusal, not a second text
    page = client.get("/staff/patients/P002").text
    refused = client.post("/staff/patients/P002/invite/sms", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 409 and "already confirmed" in refused.text


def test_without_telegram_settings_the_page_says_so(harness) -> None:  # type: ignore[no-untyped-def]
    page = harness.signed_in("coordinator").get("/staff/patients/P001").text
    assert "Telegram is not configured" in page


def test_issue_new_invitation_revokes_the_unused_code_and_is_audited(
    demo_harness: HarnessFactory,
) -> None:
    harness = demo_harness(telegram_settings())
    client = harness.signed_in("coordinator")
    page = client.get("/staff/patients/P001").text
    first = client.post("/staff/patients/P001/invite/telegram", data={"csrf_token": csrf_of(page)})
    old_code = re.search(r"\?start=([\w-]+)</code>", first.text)
    assert old_code
    page = client.get("/staff/patients/P001").text
    assert "Issue a new invitation (revokes the unused one)" in page
    # without the CSRF token: refused, nothing revoked
    forged = client.post("/staff/patients/P001/invite/telegram/reissue", data={})
    assert forged.status_code == 403
    again = client.post(
        "/staff/patients/P001/invite/telegram/reissue", data={"csrf_token": csrf_of(page)}
    )
    assert again.status_code == 200
    new_code = re.search(r"\?start=([\w-]+)</code>", again.text)
    assert new_code and new_code.group(1) != old_code.group(1)
    with Session(harness.app.db) as s:
        rows = {r.code_hash: r for r in s.exec(select(EnrolmentCode))}
        assert rows[hash_code(old_code.group(1))].revoked_at is not None
        assert rows[hash_code(new_code.group(1))].revoked_at is None
        (entry,) = s.exec(
            select(AuditLog).where(AuditLog.action == "patient.invite_reissued")
        ).all()
        assert entry.object_id == "P001" and entry.detail["revoked_unused"] is True
    # the old code's handout is refused; the page lists it as replaced
    stale = client.post(
        "/staff/patients/P001/invite/handout",
        data={"code": old_code.group(1), "csrf_token": csrf_of(again.text)},
    )
    assert stale.status_code == 409
    assert "replaced" in client.get("/staff/patients/P001").text
    # a role without the invitation permission cannot reissue
    researcher = harness.signed_in("researcher")
    page = researcher.get("/staff/patients").text
    denied = researcher.post(
        "/staff/patients/P001/invite/telegram/reissue", data={"csrf_token": csrf_of(page)}
    )
    assert denied.status_code == 403
