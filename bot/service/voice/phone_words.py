"""Which words a call can use in a language: the phone script where Twilio speaks it, else the
clinic's recordings. The call (flow) and the phone tier (which patients may be called at all)
ask the same question here, so a patient is never called in a language the call cannot speak."""

from __future__ import annotations

from bot.service.voice.recordings import recorded_wording
from bot.service.voice.tts import phone_language, phone_languages
from bot.service.voice.wording import PhoneWords, available_locales, wording_for


def phone_words_for(
    locale: str, recordings_dir: str | None, auth_token: str | None
) -> tuple[PhoneWords | None, str]:
    """The phone words of a language, or None and why (for staff)."""
    spoken = phone_language(locale)
    if spoken is not None and spoken.recorded:
        return recorded_wording(locale, recordings_dir, auth_token)
    words = wording_for(locale)
    return words, "" if words is not None else f"no phone script in {locale}"


def speakable_locales(recordings_dir: str | None, auth_token: str | None) -> frozenset[str]:
    """Every language a call can be held in now (recordings are read once per process)."""
    candidates = set(phone_languages()) | set(available_locales())
    return frozenset(
        locale
        for locale in candidates
        if phone_words_for(locale, recordings_dir, auth_token)[0] is not None
    )
