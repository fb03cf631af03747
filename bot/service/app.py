"""Wiring: build the engine, pipeline and database from settings, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.conversation import clinic_texts, keywords, triage
from bot.conversation.clinic_texts import ProgramInfo
from bot.conversation.engine import ConversationEngine
from bot.conversation.i18n import translator
from bot.db.database import forbid_event_loop, make_engine, upgrade
from bot.schedule.due import DueWorkSetup
from bot.schedule.rsvp import handle_rsvp_reply
from bot.schedule.voice_calls import CallRules
from bot.service.pipeline import Clock, Pipeline
from bot.service.settings import Settings, SettingsError
from bot.service.voice.phone_words import speakable_locales
from surveys.loader import load_instrument


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class App:
    settings: Settings
    db: Engine
    pipeline: Pipeline
    conversation: ConversationEngine
    program: ProgramInfo  # name, help line, hours and place per language (clinic texts)

    def due_work_setup(self) -> DueWorkSetup:
        """What the scheduler's due-work pass needs, from this app's settings."""
        return DueWorkSetup(
            db=self.db,
            conversation=self.conversation,
            program=self.program,
            reminder_offsets_minutes=tuple(self.settings.reminder_offsets_minutes),
            calls=call_rules(self.settings),
        )


def call_rules(settings: Settings) -> CallRules | None:
    """The phone tier's rules when the voice channel is on (bot/schedule/voice_calls.py)."""
    return phone_tier_rules(settings) if settings.voice_enabled else None


def phone_tier_rules(settings: Settings) -> CallRules:
    return CallRules(
        fallback_after_hours=settings.voice_fallback_after_hours,
        max_attempts=settings.voice_max_attempts,
        retry_minutes=settings.voice_retry_minutes,
        calling_start_hour=settings.voice_calling_hours_start,
        calling_end_hour=settings.voice_calling_hours_end,
        phone_locales=speakable_locales(
            settings.voice_recordings_dir,
            token.get_secret_value() if (token := settings.twilio_auth_token) else None,
        ),
    )


def build_app(
    settings: Settings,
    *,
    database_url: str | None = None,
    clock: Clock = utc_now,
    migrate: bool = True,
    serving: bool = False,
) -> App:
    """`serving`: the app behind `pathbot run`, where database work on the event loop would
    freeze every request; its engine refuses such work (bot/db/database.py)."""
    url = database_url or settings.database_url
    program = program_info(settings)  # a wrong clinic texts file stops the start, first
    # The crisis and keyword rules are read and compiled now, not by the first message (which
    # would wait a second for it), and a broken rules file stops the start with its name.
    triage.load_rules()
    keywords.load_rules()
    if migrate:
        upgrade(url)
    db = make_engine(url, settings.database_timeouts)
    if serving:
        forbid_event_loop(db)
    conversation = ConversationEngine(
        instruments=lambda instrument_id, version: load_instrument(instrument_id, version),
        translators=translator,
        program=program,
    )
    pipeline = Pipeline(
        db=db,
        conversation=conversation,
        program=program,
        clock=clock,
        default_locale=settings.default_locale,
        reply_hooks=(handle_rsvp_reply,),
    )
    return App(
        settings=settings, db=db, pipeline=pipeline, conversation=conversation, program=program
    )


def program_info(settings: Settings) -> ProgramInfo:
    """The program's texts in every language: the settings' English ones, and the clinic texts
    file's over them; a mistake in the file is a configuration error naming it."""
    english = {
        "program_name": settings.program_name,
        "help_phone": settings.help_phone,
        "help_hours": settings.help_hours,
    }
    try:
        return clinic_texts.program_info(english, settings.clinic_texts_file)
    except clinic_texts.ClinicTextsError as exc:
        raise SettingsError(f"{clinic_texts.FILE_SETTING}: {exc}") from None
