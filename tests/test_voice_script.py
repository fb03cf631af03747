"""The phone scripts: every language's script complete, and an incomplete one refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.voice.script import Listen, VoiceScript
from bot.channels.voice.twiml import render
from bot.service.voice.wording import (
    REQUIRED,
    SCRIPTS_DIR,
    VoiceScriptError,
    available_locales,
    load_script,
)


def test_every_shipped_script_is_complete() -> None:
    assert set(available_locales()) >= {"en", "es"}
    for locale in available_locales():
        script = load_script(SCRIPTS_DIR / f"{locale}.yaml")
        assert set(script.texts) == set(REQUIRED)
        assert script.version and script.language and script.voice


def test_a_missing_text_or_placeholder_is_refused(tmp_path: Path) -> None:
    text = (SCRIPTS_DIR / "en.yaml").read_text(encoding="utf-8")
    missing = tmp_path / "xx.yaml"
    missing.write_text(text.replace("  saved: ", "  unsaved: "), encoding="utf-8")
    with pytest.raises(VoiceScriptError, match="'saved' is missing"):
        load_script(missing)
    changed = tmp_path / "yy.yaml"
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
