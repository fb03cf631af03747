"""Configuration from environment variables and `.env`, with safe defaults for local use.

Every setting is named `PATHBOT_<NAME>` in the environment, except `DATABASE_URL`, which keeps the
name every hosting platform uses. In production (`PATHBOT_ENV=production`) placeholder or missing
secrets refuse to start, because a bot that runs with a demo token would silently lose messages.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.db.database import Timeouts, normalize_database_url

ENVIRONMENTS = ("development", "test", "production")
ENV_ALIASES = {
    "dev": "development",
    "develop": "development",
    "local": "development",
    "testing": "test",
    "prod": "production",
    "live": "production",
}
PLACEHOLDER_MARKERS = ("changeme", "change-me", "placeholder", "example", "xxx", "your-")


class SettingsError(Exception):
    """A setting is missing or unsafe; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PATHBOT_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        # `PATHBOT_TELEGRAM_BOT_TOKEN=` as in deploy/.env.example means "not configured".
        env_ignore_empty=True,
    )

    # "prod", "Production" and the like are read as "production" (bot/service/settings.py
    # ENV_ALIASES); anything else unknown refuses to start, so production checks never skip.
    env: str = Field(default="development", description="development | test | production")
    database_url: str = Field(
        default="sqlite:///pathbot.db",
        validation_alias=AliasChoices("DATABASE_URL", "PATHBOT_DATABASE_URL"),
    )
    # How long one database statement may take (and SQLite may wait for its write lock) before
    # it fails and the work is retried; and how long opening a connection may take.
    database_statement_timeout_seconds: float = Field(default=15.0, gt=0, le=600)
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    default_timezone: str = "America/New_York"
    default_locale: str = "en"
    quiet_hours_start: int = Field(default=20, ge=0, le=23, description="local hour sends stop")
    quiet_hours_end: int = Field(default=9, ge=0, le=23, description="local hour sends resume")
    max_unsolicited_per_day: int = Field(default=3, ge=0)
    # Session reminders, minutes before the start (JSON list in the environment: [1440, 60]).
    reminder_offsets_minutes: list[int] = Field(default_factory=lambda: [24 * 60, 60])
    dispatch_batch_size: int = Field(default=50, ge=1, description="messages claimed per round")
    # Directories the instrument loader (surveys/) reads: clinic-defined instruments, and the
    # clinic's licensed translation packs (surveys/packs.py). See `export_survey_directories`.
    instruments_dir: str | None = None
    translation_packs_dir: str | None = None
    # The program as patients are told about it, in English; a clinic texts file (YAML, see
    # bot/conversation/clinic_texts.py and README) gives them, and the meeting place, per language.
    program_name: str = "Pain Program"
    help_phone: str = "802-555-0100"
    help_hours: str = "Mon-Fri 8-5"
    clinic_texts_file: str | None = None
    # Messages from addresses that are no patient's are deleted after this many days
    # (`pathbot privacy purge-strangers`); their STOP is kept.
    stranger_retention_days: int = Field(default=30, ge=1, le=3650)
    # Page size of the cohort report's PDF; every page has this one size.
    report_page_size: Literal["A4", "letter"] = "A4"

    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Telegram's limits for a bot: about 30 messages a second overall and one a second to one
    # chat (short bursts allowed). 0 turns pathbot's own limiter off (load tests of capacity).
    telegram_overall_per_second: float = Field(default=30.0, ge=0)
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    # An API key (SK...) for REST calls instead of the auth token; webhooks are still signed
    # with the auth token, so inbound SMS needs it too.
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: SecretStr | None = None
    public_base_url: str | None = None
    # Without PUBLIC_BASE_URL, rebuild the signed URL from X-Forwarded-Proto/Host (proxy only).
    trust_forwarded_headers: bool = False
    sms_messages_per_second: float = Field(default=1.0, gt=0)
    # Voice (bot/channels/voice/): calls use the Twilio account above; the number's voice URL
    # is {public_base_url}/twilio/voice (README). 0 on a call dials this number.
    voice_enabled: bool = False
    voice_crisis_number: str = Field(default="988", pattern=r"^\+?[0-9]{3,15}$")
    # The phone tier: a survey unanswered by text this long gets a call (at once when the
    # patient prefers voice), in their calling hours (local), at most this often; then staff.
    voice_fallback_after_hours: float = Field(default=24.0, ge=0)
    voice_max_attempts: int = Field(default=3, ge=1, le=10)
    voice_retry_minutes: int = Field(default=120, ge=5)
    voice_calling_hours_start: int = Field(default=10, ge=0, le=23)
    voice_calling_hours_end: int = Field(default=19, ge=1, le=24)
    # Who is on the phone, before anything else is said: the PIN set at voice enrolment, or
    # "dob4", the last four digits of the date of birth written year-month-day (MMDD).
    voice_identity_check: Literal["pin", "dob4"] = "pin"
    # The clinic's recorded prompts for languages Twilio cannot speak (one folder per language
    # with a manifest.yaml: bot/service/voice/recordings.py); unset: those languages have no calls.
    voice_recordings_dir: str | None = None
    # The most SMS segments a question may take before it is sent in its compact form: Latin
    # scripts (GSM-7, 153 characters a part) and other scripts (UCS-2, 67 a part) (issue 19).
    sms_max_segments_latin: int = Field(default=2, ge=1, le=10)
    sms_max_segments_other_scripts: int = Field(default=3, ge=1, le=10)

    staff_secret_key: SecretStr | None = None
    # Staff console (bot/web/): session time-outs, the second factor, cookies. In production
    # MFA is required for every role and cookies are Secure whatever these say.
    staff_session_idle_minutes: float = Field(default=30, gt=0)
    staff_session_absolute_hours: float = Field(default=12, gt=0)
    staff_require_mfa: bool = False
    staff_cookie_secure: bool = False

    # Staff alerts (bot/alerts): a Telegram staff group and/or e-mail; the body holds the study
    # id and alert kind only. The staff bot token defaults to the patient bot's token.
    staff_telegram_chat_id: str | None = None
    staff_telegram_bot_token: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    alert_email_from: str | None = None
    alert_email_to: str | None = None  # comma-separated addresses
    alert_resend_minutes: float = Field(default=10, gt=0, description="re-send open crisis")
    alert_digest_minutes: float = Field(default=60, ge=0, description="non-urgent digest gap")
    # The second contact: crisis alerts nobody acknowledged within this many minutes go there
    # too (an on-call clinician's e-mail through the same SMTP server, and/or a Telegram chat).
    alert_escalate_minutes: float = Field(default=30, gt=0, description="escalate open crisis")
    alert_escalate_email_to: str | None = None  # comma-separated addresses
    alert_escalate_telegram_chat_id: str | None = None

    @field_validator("env", mode="before")
    @classmethod
    def _known_environment(cls, value: object) -> str:
        name = str(value).strip().lower()
        name = ENV_ALIASES.get(name, name)
        if name not in ENVIRONMENTS:
            raise ValueError("must be development, test or production")
        return name

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                "unknown time zone (use an IANA name such as America/New_York)"
            ) from exc
        return value

    @field_validator(
        "public_base_url", "telegram_webhook_url", "telegram_api_base_url", "twilio_api_base_url"
    )
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        # Without a scheme the server started, then refused every signed SMS (the signature
        # covers the full URL): refuse at start instead.
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute URL starting with https:// (or http://)")
        return value.strip()

    @model_validator(mode="after")
    def _calling_hours_are_a_day_window(self) -> Settings:
        if not self.voice_calling_hours_start < self.voice_calling_hours_end:
            raise ValueError(
                "PATHBOT_VOICE_CALLING_HOURS_START must be before PATHBOT_VOICE_CALLING_HOURS_END"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.env != "production":
            return self
        problems: list[str] = []
        secrets = {
            "PATHBOT_STAFF_SECRET_KEY": self.staff_secret_key,
            "PATHBOT_TELEGRAM_BOT_TOKEN": self.telegram_bot_token,
            "PATHBOT_TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            "PATHBOT_TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "PATHBOT_TWILIO_API_KEY_SECRET": self.twilio_api_key_secret,
        }
        if self.staff_secret_key is None:
            problems.append("PATHBOT_STAFF_SECRET_KEY is not set")
        for name, secret in secrets.items():
            if secret is not None and _looks_like_placeholder(secret.get_secret_value()):
                problems.append(f"{name} is a placeholder")
        if self.telegram_bot_token is not None and self.telegram_webhook_secret is None:
            problems.append("PATHBOT_TELEGRAM_WEBHOOK_SECRET is required with a Telegram token")
        if problems:
            raise ValueError(
                "refusing to start in production: "
                + "; ".join(problems)
                + ". Set real values in the environment or .env (see deploy/.env.example)."
            )
        return self

    @property
    def staff_mfa_required(self) -> bool:
        return self.env == "production" or self.staff_require_mfa

    @property
    def staff_cookies_secure(self) -> bool:
        return self.env == "production" or self.staff_cookie_secure

    @property
    def sqlalchemy_url(self) -> str:
        return normalize_database_url(self.database_url)

    @property
    def database_timeouts(self) -> Timeouts:
        return Timeouts(
            connect=self.database_connect_timeout_seconds,
            statement=self.database_statement_timeout_seconds,
        )


def _looks_like_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return len(lowered) < 16 or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; raises SettingsError with a readable message when invalid."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise SettingsError(describe_error(exc)) from None
    export_survey_directories(settings)
    return settings


def export_survey_directories(settings: Settings) -> None:
    """Copy the two survey directories into the process environment when only `.env` names them.

    The instrument loader sits below bot/ and reads them from the environment (where compose's
    env_file and systemd's EnvironmentFile put them); without this, a pack directory named only
    in a local `.env` would be silently ignored.
    """
    for name, value in (
        ("PATHBOT_INSTRUMENTS_DIR", settings.instruments_dir),
        ("PATHBOT_TRANSLATION_PACKS_DIR", settings.translation_packs_dir),
    ):
        if value and not os.environ.get(name):
            os.environ[name] = value


def describe_error(exc: ValueError) -> str:
    """Each problem on one line, naming the setting as it is spelled in the environment, and
    never the value: a rejected value may be a secret (pydantic's own text quotes inputs)."""
    if not isinstance(exc, ValidationError):
        # pydantic-settings' own errors (a list that is not JSON) name the field, not the value
        first = str(exc).splitlines()[0] if str(exc) else "invalid settings"
        return _spell_fields(first)
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        message = error["msg"].removeprefix("Value error, ")
        location = error["loc"]
        problems.append(f"{env_name(str(location[0]))}: {message}" if location else message)
    return "; ".join(problems) or "invalid settings"


def env_name(field: str) -> str:
    """The environment variable of a setting (its field name, or an alias given as such)."""
    if field.isupper():
        return field
    return "DATABASE_URL" if field == "database_url" else f"PATHBOT_{field.upper()}"


def _spell_fields(text: str) -> str:
    for field in Settings.model_fields:
        text = text.replace(f'"{field}"', env_name(field))
    return text
