"""The phone scripts: every language's script complete, and an incomplete one refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.channels.voice.script import Clip, Listen, VoiceScript
from bot.channels.voice.twiml import render
from bot.conversation import language_status
from bot.service.voice.tts import phone_languages
from bot.service.voice.wording import (
    REQUIRED,
    SCRIPTS_DIR,
    VoiceScriptError,
    available_locales,
    load_script,
    wording_for,
)
from tests.recordings_support import make_recordings


def test_every_shipped_script_is_complete() -> None:
    assert set(available_locales()) >= {"en", "es"}
    for locale in available_locales():
        script = load_script(SCRIPTS_DIR / f"{locale}.yaml")
        assert set(script.texts) == set(REQUIRED)
        assert script.version and script.language and script.voice and script.speech


def test_a_missing_text_or_placeholder_is_refused(tmp_path: Path) -> None:
    text = (SCRIPTS_DIR / "en.yaml").read_text(encoding="utf-8")
    missing = tmp_path / "fr.yaml"
    missing.write_text(text.replace("  saved: ", "  unsaved: "), encoding="utf-8")
    with pytest.raises(VoiceScriptError, match="'saved' is missing"):
        load_script(missing)
    changed = tmp_path / "uk.yaml"
    changed.write_text(text.replace("{phone}. Goodbye", "{telefono}. Goodbye"), encoding="utf-8")
    with pytest.raises(VoiceScriptError, match="must use"):
        load_script(changed)


def test_twiml_listens_for_keys_and_speech_with_the_next_step() -> None:
    script = VoiceScript(
        ("Hello",), Listen(("Press",), 2), language="es-US", voice="Polly.Lupe-Neural"
    )
    xml = render(script, next_step=4)
    assert '<Gather action="/twilio/voice/gather?s=4"' in xml
    assert 'input="dtmf speech"' in xml and 'numDigits="2"' in xml and 'finishOnKey=""' in xml
    assert 'language="es-US" voice="Polly.Lupe-Neural"' in xml
    assert VoiceScript.from_dict(script.to_dict()) == script
    crisis = render(VoiceScript(("Connecting",), dial="988", after_dial=("Bye",)), next_step=1)
    assert "<Dial>988</Dial>" in crisis and crisis.endswith("<Hangup /></Response>")


def test_simulate_plays_a_call_in_the_terminal() -> None:
    from tests.test_cli import pathbot

    keys = "1357\n3#\n2\n4\n1\n*\n12\nsay I want to end my life\n"
    result = pathbot("simulate", "--channel", "voice", stdin=keys)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "call: Please enter your 4 digit PIN." in out
    assert "call: You pressed 3: Sometimes distracts me." in out
    assert "call: You pressed 4: Distracts me, can do usual activities." in out
    assert "call: Sorry, 12 is not one of the choices." in out
    assert "(connecting the caller to 988)" in out and out.endswith("(call ended)\n")


def test_every_language_has_a_row_in_the_phone_table() -> None:
    table = phone_languages()
    assert set(table) == set(language_status.codes())
    recorded = {code for code, row in table.items() if row.recorded}
    assert recorded == {"ne", "so", "sw", "rn", "fa-AF", "ps", "my"}
    for row in table.values():
        if not row.recorded:  # a neural voice of the language where Twilio has one
            assert row.voice and row.say and row.voice.endswith(("-Neural", "Wavenet-A", "2-A"))
    english = load_script(SCRIPTS_DIR / "en.yaml")
    assert (english.language, english.voice, english.speech) == (
        "en-US",
        "Polly.Joanna-Neural",
        "en-US",
    )


def test_twiml_plays_recordings_and_listens_for_keys_only() -> None:
    welcome, pin = Clip("a" * 32, "so/welcome.wav"), Clip("b" * 32, "so/enter_pin.wav")
    script = VoiceScript((welcome,), Listen((pin,), 4), language="", voice=None, speech=None)
    xml = render(
        script, next_step=1, play_url=lambda clip: f"https://bot.example.org/a/{clip.clip}"
    )
    assert f"<Play>https://bot.example.org/a/{'a' * 32}</Play>" in xml
    assert 'input="dtmf"' in xml and "<Say" not in xml and "language=" not in xml
    assert VoiceScript.from_dict(script.to_dict()) == script
    with pytest.raises(ValueError, match="URL"):
        render(script, next_step=1)


def test_simulate_shows_the_recordings_a_call_would_play(tmp_path: Path) -> None:
    from tests.test_cli import pathbot

    make_recordings(tmp_path, "ne")
    env = {"PATHBOT_VOICE_RECORDINGS_DIR": str(tmp_path)}
    result = pathbot(
        "simulate", "--channel", "voice", "--locale", "ne", stdin="1357\n7#\n1\n", env=env
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "call: [plays ne/welcome.wav]" in out and "call: [plays ne/dvprs/intro.wav]" in out
    assert "call: [plays ne/dvprs/dvprs_pain.wav]" in out
    assert "call: [plays ne/pressed.wav]\ncall: [plays ne/dvprs/dvprs_pain_7.wav]" in out
    assert "call: [plays ne/saved.wav]" in out and "(listening: up to 2 keys, or speech)" in out
    missing = pathbot("simulate", "--channel", "voice", "--locale", "so", stdin="1357\n")
    assert missing.returncode == 2
    assert "no usable phone recordings in 'so'" in missing.stderr


def test_the_recordings_check_names_every_problem(tmp_path: Path) -> None:
    from tests.test_cli import pathbot

    make_recordings(tmp_path, "ne")
    make_recordings(tmp_path, "sw")
    env = {"PATHBOT_VOICE_RECORDINGS_DIR": str(tmp_path)}
    good = pathbot("voice-recordings", env=env)
    assert good.returncode == 0, good.stderr
    assert "ne\tne-recordings-1\tcalls\tdvprs" in good.stdout
    (tmp_path / "sw" / "help.wav").unlink()
    bad = pathbot("voice-recordings", env=env)
    assert bad.returncode == 1
    assert "sw/help.wav: does not exist (prompts.help)" in bad.stderr
    assert "sw\tsw-recordings-1\tNO CALLS (fixed prompts incomplete)\tdvprs" in bad.stdout
    unset = pathbot("voice-recordings")
    assert unset.returncode == 2 and "PATHBOT_VOICE_RECORDINGS_DIR is not set" in unset.stderr


# The languages Twilio speaks (languages.yaml rows with a <Say> tag), each with its own script.
SPOKEN = tuple(sorted(code for code, row in phone_languages().items() if not row.recorded))
DRAFT_SCRIPTS = ("fr", "ar", "vi", "uk")  # written by the project, not by a native speaker
INTERPRETER = {"fr": "interprète", "ar": "مترجم", "vi": "thông dịch viên", "uk": "перекладача"}
_WORD = re.compile(r"[^\W\d_]{3,}")
# Words a script may share with the English one: PIN (said as such on the keypad), and words
# that are the same in the language.
SHARED = {"pin"}
SAME_WORD = {"es": {"crisis"}, "fr": {"question", "questions", "pause", "code", "message"}}
DUMMY = {
    "program": "Pain Program",
    "phone": "802 555 0100",
    "digits": 4,
    "title": "DVPRS",
    "count": 5,
    "number": 1,
    "total": 5,
    "text": "?",
    "low": 0,
    "high": 10,
    "low_label": "-",
    "high_label": "-",
    "first": 1,
    "second": 0,
    "label": "-",
    "code": 3,
    "answer": 12,
    "name": "-",
}


def test_every_language_twilio_speaks_has_a_script() -> None:
    """A spoken language without a script gets no phone questions (issue 20)."""
    assert set(available_locales()) == set(SPOKEN)
    for code in SPOKEN:
        script = wording_for(code)
        assert script is not None and script.language == phone_languages()[code].say


@pytest.mark.parametrize("code", SPOKEN)
def test_every_text_is_said_with_its_placeholders_filled(code: str) -> None:
    script = load_script(SCRIPTS_DIR / f"{code}.yaml")
    for key in REQUIRED:
        said = script.say(key, **DUMMY)
        assert "{" not in said and "}" not in said and said.strip(), (code, key)
        assert "*" not in said and "#" not in said and "<" not in said, (code, key)  # no markup


@pytest.mark.parametrize("code", [c for c in SPOKEN if c != "en"])
def test_a_script_has_no_english_and_names_988_and_911(code: str) -> None:
    english = load_script(SCRIPTS_DIR / "en.yaml")
    vocabulary = {
        w.casefold()
        for t in english.texts.values()
        for w in _WORD.findall(re.sub(r"{\w+}", " ", t))
    }
    script = load_script(SCRIPTS_DIR / f"{code}.yaml")
    for key, text in script.texts.items():
        words = {w.casefold() for w in _WORD.findall(re.sub(r"{\w+}", " ", text))}
        assert not (words & vocabulary) - SHARED - SAME_WORD.get(code, set()), (
            code,
            key,
        )
        assert text != english.texts[key] or not _WORD.search(text), (code, key)
    for key in ("stranger", "stopped"):
        assert "9 8 8" in script.texts[key], (code, key)
    assert "9 1 1" in script.texts["help"]


@pytest.mark.parametrize("code", DRAFT_SCRIPTS)
def test_a_draft_language_has_a_draft_script(code: str) -> None:
    """Consent records the script's version: a draft script says so in it, as long as the
    language is a draft (locales/languages.yaml)."""
    assert language_status.language(code).status.value == "draft"
    script = load_script(SCRIPTS_DIR / f"{code}.yaml")
    assert script.version == f"voice-{code}-draft-1"
    # 988 answers in English first: where a script names it, or dials the crisis line, the
    # caller is told to ask for an interpreter, as the text crisis replies do
    for key in ("stranger", "stopped", "crisis"):
        assert INTERPRETER[code] in script.texts[key], (code, key)
