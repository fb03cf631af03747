"""Settings: safe local defaults, environment overrides, refusal of placeholder secrets."""

from __future__ import annotations

import pytest

from bot.db.database import normalize_database_url
from bot.service.settings import Settings, SettingsError, get_settings


def test_defaults_run_locally_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite:///")
    assert (settings.quiet_hours_start, settings.quiet_hours_end) == (20, 9)
    assert settings.telegram_api_base_url == "https://api.telegram.org"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("PATHBOT_TWILIO_API_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("PATHBOT_DEFAULT_TIMEZONE", "America/Chicago")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"
    assert settings.twilio_api_base_url == "http://127.0.0.1:9999"
    assert settings.default_timezone == "America/Chicago"


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHBOT_DEFAULT_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="unknown time zone"):
        get_settings()
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"PATHBOT_STAFF_SECRET_KEY": "changeme"},
        {"PATHBOT_STAFF_SECRET_KEY": "k" * 40, "PATHBOT_TELEGRAM_BOT_TOKEN": "your-token-here"},
        {"PATHBOT_STAFF_SECRET_KEY": "k" * 40, "PATHBOT_TELEGRAM_BOT_TOKEN": "1234:" + "A" * 35},
    ],
)
def test_production_refuses_placeholders(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setenv("PATHBOT_ENV", "production")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="refusing to start in production"):
        get_settings()
    get_settings.cache_clear()


def test_production_with_real_secrets_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHBOT_ENV", "production")
    monkeypatch.setenv("PATHBOT_STAFF_SECRET_KEY", "q8Vd2LzR7pX4mN9sK1tY6wB3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "production"


def test_database_url_forms() -> None:
    assert normalize_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalize_database_url("data/x.db") == "sqlite:///data/x.db"


def test_empty_values_mean_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/.env.example ships empty channel lines; they must not enable a channel."""
    monkeypatch.setenv("PATHBOT_TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("PATHBOT_TWILIO_ACCOUNT_SID", "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_bot_token is None
    assert settings.twilio_account_sid is None
