"""Every patient in their own language (issue 19): a full survey in every language, and no
English leaking into prompts, re-prompts, HELP, STOP or crisis replies.

Runs the real pipeline and dispatcher through the console channel (as `pathbot simulate` does),
one patient per language. English words are found by comparing every word the patient is sent
with the vocabulary of the English wording; the few words that are the same in a language
(French "questions", Swahili "video") are listed with the language.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from bot.conversation import language_status
from bot.conversation.bidi import strip_marks
from bot.conversation.i18n import LOCALES_DIR, translator
from bot.conversation.keywords import Command, classify
from bot.service.app import build_app
from bot.service.console_session import ConsoleSession
from bot.service.settings import Settings
from surveys.loader import load_instrument
from tests.support import FakeClock

sys.path.insert(0, str(LOCALES_DIR / "tools"))
from message_keys import KEYS  # noqa: E402

OTHERS = tuple(code for code in language_status.codes() if code != "en")
NEW = tuple(code for code in OTHERS if code != "es")
CRISIS_EN = "I want to kill myself"

# Words every language may carry: product and carrier names, START (carriers re-subscribe a
# number only on START), /stop (Telegram's command), Ctrl-D (the demo), DVPRS (the name).
SHARED = {"telegram", "start", "stop", "ctrl", "dvprs"}
# Words that are the same in the language as in English.
SAME_WORD = {
    "es": {"chat", "chats", "crisis", "video", "use"},
    "fr": {
        "question",
        "questions",
        "questionnaire",
        "message",
        "messages",
        "pause",
        "code",
        "point",
        "stress",
    },
    "sw": {"video", "data"},
    "vi": {"camera", "video"},
    "so": {"link"},
    "rn": {"link"},
}
_WORD = re.compile(r"[^\W\d_]{3,}")


def _english_vocabulary() -> set[str]:
    texts = [re.sub(r"{\w+}", " ", m) for m in KEYS.values()]
    dvprs = load_instrument("dvprs")
    texts += [dvprs.title["en"], dvprs.instructions["en"]]
    for item in dvprs.items:
        texts.append(item.text["en"])
        texts += [o.label["en"] for o in item.options]
    return {w.casefold() for t in texts for w in _WORD.findall(t)}


ENGLISH = _english_vocabulary()


def english_words(text: str, code: str, settings: Settings) -> set[str]:
    """The English words in `text`, clinic texts (program name, hours) left out: they are set
    per language by the clinic (issue 19 point 6), not by the catalogs."""
    for clinic_text in (settings.program_name, settings.help_hours):
        text = text.replace(clinic_text, " ")
    allowed = SHARED | SAME_WORD.get(code, set())
    return {w for w in (w.casefold() for w in _WORD.findall(text)) if w in ENGLISH} - allowed


def _session(tmp_path: Path, code: str) -> tuple[ConsoleSession, Settings]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, database_url=f"sqlite:///{tmp_path / 'l.db'}", clock=FakeClock())
    console = ConsoleSession(app, locale=code, style="sms", out=io.StringIO(), as_json=False)
    return console, settings


def _texts(console: ConsoleSession) -> list[str]:
    return [strip_marks(m.text + ("\n" + m.hint if m.hint else "")) for m in console.channel.sent]


@pytest.mark.parametrize("code", OTHERS)
def test_a_full_dvprs_survey_and_every_reply_in_the_patients_language(
    code: str, tmp_path: Path
) -> None:
    console, settings = _session(tmp_path, code)
    tr = translator(code)
    console.start("dvprs")
    console.say("zzz")  # not an answer: a re-prompt
    for _ in range(5):
        console.say("5")
    survey = _texts(console)
    thank_you = tr.gettext(KEYS["thank_you"])
    assert thank_you != KEYS["thank_you"] and any(thank_you in t for t in survey), survey
    for n in range(1, 6):
        header = tr.gettext(KEYS["question_number"]).format(number=n, total=5)
        assert any(t.startswith(header) for t in survey), (code, n)
    assert any(tr.gettext(KEYS["reprompt"]).format(first=0, last=10) in t for t in survey)
    console.say("HELP")  # English keywords always work
    console.say(tr.gettext("HELP"))  # and the word the patient was told
    console.say(CRISIS_EN)
    console.say(tr.gettext("STOP"))
    texts = _texts(console)
    crisis = tr.gettext(KEYS["crisis"])
    assert any(crisis in t for t in texts), texts[-4:]
    help_text = tr.gettext(KEYS["help_text"]).split("{")[1].split("}")[1][:12]
    assert sum(help_text in t for t in texts) == 2, (code, help_text)
    stopped = tr.gettext(KEYS["stopped"]).split("}")[1][:12]
    assert any(stopped in t for t in texts), texts[-2:]
    leaks = {w for t in texts for w in english_words(t, code, settings)}
    assert not leaks, (code, leaks)
    console.app.db.dispose()


@pytest.mark.parametrize("code", NEW)
def test_a_refused_instrument_is_said_in_the_patients_language(code: str, tmp_path: Path) -> None:
    """PROMIS-29 has no text in these languages: the refusal itself is in the language."""
    console, settings = _session(tmp_path, code)
    console.start("promis29")
    texts = _texts(console)
    refused = translator(code).gettext(KEYS["refused"])
    assert refused != KEYS["refused"] and texts == [refused]
    assert not english_words(texts[0], code, settings)
    console.app.db.dispose()


@pytest.mark.parametrize("code", NEW)
def test_crisis_and_distress_replies_give_911_988_and_its_interpreters(code: str) -> None:
    tr = translator(code)
    for name in ("crisis", "distress"):
        text = tr.gettext(KEYS[name])
        assert "911" in text and "988" in text and "200" in text, (code, name)
    for name in ("help_text", "holding", "handout_safety"):
        text = tr.gettext(KEYS[name])
        assert "911" in text and "988" in text, (code, name)


@pytest.mark.parametrize("code", OTHERS)
def test_every_keyword_the_patient_is_told_works(code: str) -> None:
    """What the wording tells a patient to send (SKIP, BACK, ...) is understood, in that form
    and in capitals or not; LANGUAGE opens the menu in every language."""
    tr = translator(code)
    expected = {
        "STOP": Command.STOP,
        "HELP": Command.HELP,
        "SKIP": Command.SKIP,
        "BACK": Command.BACK,
        "PAUSE": Command.PAUSE,
        "RESUME": Command.RESUME,
        "LANGUAGE": Command.LANGUAGE,
        "START": Command.START,
    }
    for english, command in expected.items():
        word = tr.gettext(english)
        for form in (word, word.lower(), english):
            found = classify(form)
            assert found is not None and found.command is command, (code, form)


@pytest.mark.parametrize("code", OTHERS)
def test_the_language_menu_names_each_language_in_its_own_script(code: str) -> None:
    info = language_status.language(code)
    found = classify(f"{translator(code).gettext('LANGUAGE')} {info.name}")
    assert found is not None and found.command is Command.LANGUAGE and found.argument == code


def test_simulate_runs_dvprs_in_dari_from_the_command_line() -> None:
    from tests.test_cli import pathbot

    sim = pathbot("simulate", "--locale", "fa-AF", "--instrument", "dvprs", stdin="5\n" * 5)
    assert sim.returncode == 0, sim.stderr
    assert translator("fa-AF").gettext(KEYS["thank_you"]) in strip_marks(sim.stdout)
    assert "\u200f" in sim.stdout  # right-to-left lines carry their mark
