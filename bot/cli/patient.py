"""`pathbot patient add|list|invite|voice|dob`: enrol patients and invite them to a channel."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.cli.common import CommandError, command_app
from bot.clinic import audit
from bot.clinic.roster import PatientFilter, list_patients
from bot.conversation import language_status
from bot.conversation.i18n import SUPPORTED_LOCALES
from bot.conversation.phone import InvalidPhoneNumber, to_e164
from bot.db import store
from bot.db.database import session_scope
from bot.db.models import ChannelIdentity
from bot.service.app import build_app
from bot.service.enrolment import INVITERS, InviteRequest
from bot.service.settings import get_settings
from bot.service.sms_optin import InviteRefused
from bot.service.voice.enrol import VoiceEnrolmentError, set_date_of_birth, set_up_voice


def register(sub: Any) -> None:
    patient = sub.add_parser("patient", help="enrol patients and invite them to a channel")
    psub = patient.add_subparsers(title="patient commands")

    add = psub.add_parser("add", help="enrol a patient")
    add.add_argument("study_id")
    add.add_argument("--name", default="", help="display name (staff only; never in exports)")
    add.add_argument(
        "--locale",
        default=None,
        choices=SUPPORTED_LOCALES,
        help="the patient's language: "
        + ", ".join(
            f"{i.code} {i.english} ({i.status.value})" for i in language_status.languages()
        ),
    )
    add.add_argument(
        "--draft-language",
        action="store_true",
        help="confirm a language whose wording is a draft, not reviewed by a native speaker",
    )
    add.add_argument("--timezone", default=None, help="IANA name, e.g. America/New_York")
    add.add_argument("--phone", default=None, help="mobile number for SMS (stored as E.164)")
    add.add_argument("--db", help="database URL (default: DATABASE_URL)")
    add.add_argument("--actor", help="who enrols, for the audit log (default: OS user)")
    add.set_defaults(run=run_add)

    lst = psub.add_parser("list", help="list patients and their channels")
    lst.add_argument("--db", help="database URL (default: DATABASE_URL)")
    lst.set_defaults(run=run_list)

    alumni = psub.add_parser(
        "alumni-messages", help="turn a patient's alumni meeting reminders off or on"
    )
    alumni.add_argument("study_id")
    alumni.add_argument("setting", choices=["off", "on"])
    alumni.add_argument("--actor", help="who changes it, for the audit log (default: OS user)")
    alumni.add_argument("--db", help="database URL (default: DATABASE_URL)")
    alumni.set_defaults(run=run_alumni_messages)

    invite = psub.add_parser("invite", help="invite a patient to a channel")
    invite.add_argument("study_id")
    invite.add_argument("--channel", required=True, help="telegram or sms")
    invite.add_argument("--out-dir", default=".", help="where to write files such as a QR code")
    invite.add_argument("--db", help="database URL (default: DATABASE_URL)")
    invite.add_argument("--actor", help="who invites, for the audit log (default: OS user)")
    invite.set_defaults(run=run_invite)

    voice = psub.add_parser(
        "voice",
        help="set up phone calls: the patient's number, and the PIN read from the terminal "
        "(none where the program checks callers by date of birth)",
    )
    voice.add_argument("study_id")
    voice.add_argument("--phone", required=True, help="the number the patient calls from")
    voice.add_argument("--db", help="database URL (default: DATABASE_URL)")
    voice.add_argument("--actor", help="who sets it up, for the audit log (default: OS user)")
    voice.set_defaults(run=run_voice)

    dob = psub.add_parser(
        "dob",
        help="set or correct a patient's date of birth, YYYY-MM-DD read from the terminal "
        "(the phone line's identity check; never on the command line, never logged)",
    )
    dob.add_argument("study_id")
    dob.add_argument("--db", help="database URL (default: DATABASE_URL)")
    dob.add_argument("--actor", help="who sets it, for the audit log (default: OS user)")
    dob.set_defaults(run=run_dob)


def _check_language(code: str, *, confirmed: bool) -> None:
    """A draft language is a deliberate choice (issue 19): its crisis wording is unreviewed."""
    info = language_status.language(code)
    if info.needs_explicit_choice and not confirmed:
        raise CommandError(
            f"--locale {code}: {info.english} ({info.name}) is a {info.status_label()}; "
            "its crisis and help texts have not been checked by a native speaker. "
            "Add --draft-language to enrol the patient in it anyway."
        )


def run_add(ns: argparse.Namespace) -> int:
    settings = get_settings()
    timezone = ns.timezone or settings.default_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(
            f"pathbot: unknown time zone {timezone!r} (use an IANA name such as America/New_York)",
            file=sys.stderr,
        )
        return 2
    locale = ns.locale or settings.default_locale
    _check_language(locale, confirmed=ns.draft_language)
    phone = None
    if ns.phone:
        try:
            phone = to_e164(ns.phone)
        except InvalidPhoneNumber as exc:
            raise CommandError(f"--phone: {exc}") from None
    app = build_app(settings, database_url=ns.db)
    now = app.pipeline.now()
    try:
        with session_scope(app.db) as session:
            if store.patient_by_study_id(session, ns.study_id) is not None:
                raise CommandError(f"patient {ns.study_id} already exists")
            if phone and store.find_identity(session, "sms", phone) is not None:
                raise CommandError("that phone number belongs to another patient")
            patient = store.add_patient(
                session,
                study_id=ns.study_id,
                display_name=ns.name,
                locale=locale,
                timezone=timezone,
                now=now,
            )
            if phone:
                # Pending until the patient confirms the SMS opt-in; nothing is sent before that.
                session.add(
                    ChannelIdentity(
                        patient_id=patient.id or 0,
                        channel="sms",
                        address=phone,
                        status="pending",
                        created_at=now,
                    )
                )
            audit.record(
                session,
                actor=audit.current_actor(ns.actor),
                action="patient.add",
                object_type="patient",
                object_id=ns.study_id,
                detail={"locale": patient.locale, "timezone": timezone, "sms": bool(phone)},
                now=now,
            )
    finally:
        app.db.dispose()
    print(f"enrolled {ns.study_id}")
    return 0


def run_list(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        with Session(app.db) as session:
            # the same query as the console's Patients page (bot/clinic/roster.py)
            roster = list_patients(
                session, PatientFilter(), now=app.pipeline.now(), with_names=False, limit=None
            )
            print("study_id\tlocale\ttimezone\tstatus\tchannels")
            for p in roster.rows:
                channels = (
                    ",".join(
                        f"{c}:{status}" + (" (last send failed)" if c in p.failed_channels else "")
                        for c, status in p.channels
                    )
                    or "-"
                )
                status = "ON HOLD (crisis)" if p.status == "crisis_hold" else p.status
                print(f"{p.study_id}\t{p.locale}\t{p.timezone}\t{status}\t{channels}")
    return 0


def run_invite(ns: argparse.Namespace) -> int:
    inviter = INVITERS.get(ns.channel)
    if inviter is None:
        known = ", ".join(sorted(INVITERS)) or "none configured"
        raise CommandError(f"cannot invite to {ns.channel!r} (channels: {known})")
    with command_app(ns) as app:
        with Session(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
        if patient is None:
            raise CommandError(f"no patient {ns.study_id}")
        try:
            lines = inviter(InviteRequest(app=app, patient=patient, out_dir=Path(ns.out_dir)))
        except InviteRefused as exc:
            raise CommandError(f"{ns.study_id} not invited: {exc}") from None
        for line in lines:
            print(line)
        audit.record_now(
            app.db,
            actor=audit.current_actor(ns.actor),
            action="patient.invite",
            object_type="patient",
            object_id=ns.study_id,
            detail={"channel": ns.channel},
            now=app.pipeline.now(),
        )
    return 0


def _secret_line(prompt: str) -> str:
    """A PIN or a date of birth: never on the command line (shell history), so typed at a
    prompt without echo, or read as one line from standard input when that is not a terminal."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def run_voice(ns: argparse.Namespace) -> int:
    """Voice enrolment: the PIN is read like a password (none for the birthday check)."""
    settings = get_settings()
    by_birthday = settings.voice_identity_check == "dob4"
    pin = None if by_birthday else _secret_line("PIN (4 digits): ")
    token = settings.twilio_auth_token
    with command_app(ns) as app:
        with Session(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
        if patient is None or patient.id is None:
            raise CommandError(f"no patient {ns.study_id}")
        try:
            set_up_voice(
                app.db,
                patient.id,
                ns.phone,
                pin,
                app.pipeline.now(),
                identity_check=settings.voice_identity_check,
                recordings_dir=settings.voice_recordings_dir,
                auth_token=token.get_secret_value() if token else None,
            )
        except (VoiceEnrolmentError, InvalidPhoneNumber) as exc:
            raise CommandError(str(exc)) from None
        audit.record_now(
            app.db,
            actor=audit.current_actor(ns.actor),
            action="patient.voice",
            object_type="patient",
            object_id=ns.study_id,
            detail={"channel": "voice"},
            now=app.pipeline.now(),
        )
    print(f"{ns.study_id} can now answer by phone (voice consent recorded)")
    return 0


def run_dob(ns: argparse.Namespace) -> int:
    """The date of birth for the phone line's check; the audit log records that it was set,
    never the date."""
    text = _secret_line("date of birth (YYYY-MM-DD): ")
    try:
        born = date.fromisoformat(text)
    except ValueError:
        raise CommandError("the date of birth must be written YYYY-MM-DD") from None
    with command_app(ns) as app:
        with Session(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
        if patient is None or patient.id is None:
            raise CommandError(f"no patient {ns.study_id}")
        now = app.pipeline.now()
        try:
            set_date_of_birth(app.db, patient.id, born, now.date())
        except VoiceEnrolmentError as exc:
            raise CommandError(str(exc)) from None
        audit.record_now(
            app.db,
            actor=audit.current_actor(ns.actor),
            action="patient.date_of_birth",
            object_type="patient",
            object_id=ns.study_id,
            detail={"set": True},
            now=now,
        )
    print(f"{ns.study_id}: date of birth recorded")
    return 0


def run_alumni_messages(ns: argparse.Namespace) -> int:
    """Alumni reminders only: surveys, session reminders and everything else are untouched."""
    with command_app(ns) as app:
        with session_scope(app.db) as session:
            patient = store.patient_by_study_id(session, ns.study_id)
            if patient is None:
                raise CommandError(f"no patient {ns.study_id}")
            patient.alumni_opt_out = ns.setting == "off"
            session.add(patient)
            audit.record(
                session,
                actor=audit.current_actor(ns.actor),
                action="patient.alumni_messages",
                object_type="patient",
                object_id=ns.study_id,
                detail={"alumni_messages": ns.setting},
                now=app.pipeline.now(),
            )
    print(f"alumni meeting reminders {ns.setting} for {ns.study_id}")
    return 0
