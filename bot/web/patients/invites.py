"""Invitations from a patient's page: a Telegram link shown once as a QR code, a printable
handout PDF of that same code, and the SMS opt-in text. Made by the same functions as
`pathbot patient invite` (bot/service/enrolment.py, bot/service/sms_optin.py).

A code cannot be shown again once made (only its hash is kept), so a lost one is replaced:
"Issue a new invitation" makes a fresh code, and `issue_code` revokes the unused one in the same
transaction, so two valid codes never exist at once. The plain action refuses while a code is
live, so a double click cannot silently revoke the code a patient was just handed.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from bot.clinic.handout import Handout, handout_pdf
from bot.clinic.record import PatientRecord
from bot.clinic.staff.roles import Permission
from bot.conversation.i18n import translator
from bot.db import store
from bot.db.invites import live_code
from bot.service import sms_optin
from bot.service.enrolment import TelegramInvite, new_telegram_invite_in, telegram_link
from bot.web.qr import qr_svg
from bot.web.routes import Page, StaffRoute


@dataclass(frozen=True)
class InviteState:
    telegram_configured: bool
    telegram_live: bool  # an unused, unexpired code exists (it cannot be shown again)
    sms_pending: bool  # a phone number waits for the patient's START


def invite_state(page: Page, record: PatientRecord) -> InviteState:
    return InviteState(
        telegram_configured=bool(page.console.app.settings.telegram_bot_username),
        telegram_live=any(i.channel == "telegram" and i.state == "live" for i in record.invites),
        sms_pending=any(c.channel == "sms" and c.status == "pending" for c in record.channels),
    )


def telegram_invite(page: Page) -> Response:
    study_id = page.request.path_params["study_id"]
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return page.render("layout/not_found.html", status=404, what=f"No patient {study_id}.")
    if live_telegram_codes(page, patient.id):
        return page.render(
            "patients/invite_refused.html", status=409, study_id=study_id,
            reason="This patient already has an unused invitation. To replace it, use "
            "\"Issue a new invitation\": the old code then stops working.",
        )  # fmt: skip
    invite = new_telegram_invite_in(page.db, page.console.app.settings, patient.id, page.now)
    page.record("patient.invite", "patient", study_id, channel="telegram", via="console")
    return _show_invite(page, study_id, patient.timezone, invite)


def reissue_telegram_invite(page: Page) -> Response:
    """A new Telegram code; any unused one is revoked (issue_code) in the same transaction."""
    study_id = page.request.path_params["study_id"]
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return page.render("layout/not_found.html", status=404, what=f"No patient {study_id}.")
    replaced = live_telegram_codes(page, patient.id)
    invite = new_telegram_invite_in(page.db, page.console.app.settings, patient.id, page.now)
    page.record(
        "patient.invite_reissued", "patient", study_id, channel="telegram", via="console",
        revoked_unused=replaced,
    )  # fmt: skip
    return _show_invite(page, study_id, patient.timezone, invite)


def _show_invite(page: Page, study_id: str, timezone: str, invite: TelegramInvite) -> Response:
    return page.render(
        "patients/invite.html",
        active="patients",
        study_id=study_id,
        link=invite.link,
        code=invite.link.rsplit("=", 1)[-1],
        expires_at=invite.expires_at,
        patient_timezone=timezone,
        qr=qr_svg(invite.link, label=f"Invitation QR code for {study_id}"),
    )


def handout(page: Page) -> Response:
    """The PDF of a code just shown (posted back from the invitation page), if still unused."""
    study_id = page.request.path_params["study_id"]
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return page.render("layout/not_found.html", status=404, what=f"No patient {study_id}.")
    code = page.form.get("code", "")
    row = live_code(page.db, code=code, patient_id=patient.id, channel="telegram", now=page.now)
    username = page.console.app.settings.telegram_bot_username or ""
    if row is None or not username:
        return page.render(
            "patients/invite_refused.html", status=409, study_id=study_id,
            reason="That invitation is used, expired or not this patient's: make a new one.",
        )  # fmt: skip
    program = page.console.app.program
    language = translator(patient.locale).code  # the code clinic texts are kept under
    pdf = handout_pdf(
        Handout(
            link=telegram_link(username, code.strip()),
            study_id=study_id,
            locale=patient.locale,
            program=program.name_in(language),
            help_phone=program.phone_in(language),
            help_hours=program.hours_in(language),
            expires_at=row.expires_at,
            timezone=patient.timezone,
        )
    )
    page.record("patient.handout", "patient", study_id, language=patient.locale)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="invitation-{study_id}.pdf"'},
    )


def sms_invite(page: Page) -> Response:
    study_id = page.request.path_params["study_id"]
    patient = store.patient_by_study_id(page.db, study_id)
    if patient is None or patient.id is None:
        return page.render("layout/not_found.html", status=404, what=f"No patient {study_id}.")
    try:
        sms_optin.queue_invite_in(page.db, page.console.app.program, patient.id, page.now)
    except sms_optin.InviteRefused as exc:
        return page.render(
            "patients/invite_refused.html", status=409, study_id=study_id, reason=str(exc)
        )
    page.record("patient.invite", "patient", study_id, channel="sms", via="console")
    return page.redirect("patient", study_id=study_id, _query={"notice": "invite-issued"})


def live_telegram_codes(page: Page, patient_id: int) -> bool:
    from sqlmodel import col, select

    from bot.db.invite_models import EnrolmentCode

    return (
        page.db.exec(
            select(EnrolmentCode.id).where(
                EnrolmentCode.patient_id == patient_id,
                EnrolmentCode.channel == "telegram",
                col(EnrolmentCode.used_at).is_(None),
                col(EnrolmentCode.expires_at) > page.now,
            )
        ).first()
        is not None
    )


ROUTES = [
    StaffRoute(
        "/patients/{study_id}/invite/telegram", "invite_telegram", telegram_invite,
        Permission.MANAGE_INVITES, ("POST",),
    ),
    StaffRoute(
        "/patients/{study_id}/invite/telegram/reissue", "invite_telegram_reissue",
        reissue_telegram_invite, Permission.MANAGE_INVITES, ("POST",),
    ),
    StaffRoute(
        "/patients/{study_id}/invite/handout", "invite_handout", handout,
        Permission.MANAGE_INVITES, ("POST",),
    ),
    StaffRoute(
        "/patients/{study_id}/invite/sms", "invite_sms", sms_invite, Permission.MANAGE_INVITES,
        ("POST",),
    ),
]  # fmt: skip
