"""Clinic texts per language (issue 19 point 6): the program's name, help line, help hours and
meeting place as the clinic writes them in each language (PATHBOT_CLINIC_TEXTS_FILE), the
English ones for a language without its own, and a wrong file refused with its path.

The patient-facing checks run the real pipeline, dispatcher and console channel (as `pathbot
simulate` does); right-to-left lines are laid out by FriBidi (tests/bidi_support.py).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.sms.render import render_sms
from bot.conversation import clinic_texts
from bot.conversation.bidi import LRE, PDF, RLM, mark_rtl, strip_marks
from bot.conversation.clinic_texts import ClinicTextsError, ProgramInfo
from bot.conversation.i18n import translator
from bot.db.models import Event, Patient
from bot.schedule.reminders import reminder_text
from bot.service.app import build_app, program_info
from bot.service.console_session import ConsoleSession
from bot.service.settings import Settings, SettingsError
from bot.service.sms_optin import optin_text
from tests.bidi_support import visual
from tests.support import FakeClock
from tests.test_cli import pathbot
from tests.voice_support import voice_world

CLINIC_FILE = """\
# The clinic's texts; English from the settings, the place from here.
en:
  location: Room 2, Pain Clinic
es:
  program_name: Programa del Dolor PATH
  help_phone: 802-555-0111
  help_hours: lunes a viernes, de 8 a 17 h
  location: Sala 2, Clínica del Dolor
ar:
  program_name: برنامج الألم
  help_hours: من الاثنين إلى الجمعة، 8-5
fa-AF:
  program_name: برنامج درد
"""
# English hours in numbers only: unembedded, a right-to-left line would show "17:00 - 8:00".
ENGLISH = {"program_name": "Pain Program", "help_hours": "8:00 - 17:00"}


@pytest.fixture
def clinic_file(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC_FILE, encoding="utf-8")
    return path


def _settings(clinic_file: Path | None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        clinic_texts_file=str(clinic_file) if clinic_file else None,
        help_phone="802-555-0100",
        **ENGLISH,
    )


def _console(
    tmp_path: Path, code: str, clinic_file: Path | None
) -> tuple[ConsoleSession, io.StringIO]:
    app = build_app(
        _settings(clinic_file), database_url=f"sqlite:///{tmp_path / 'c.db'}", clock=FakeClock()
    )
    out = io.StringIO()
    return ConsoleSession(app, locale=code, style="sms", out=out, as_json=False), out


def _help_reply(tmp_path: Path, code: str, clinic_file: Path | None) -> str:
    """The HELP reply as the console renders it (bidi marks included)."""
    console, out = _console(tmp_path, code, clinic_file)
    out.truncate(0)
    console.say("HELP")
    console.app.db.dispose()
    return out.getvalue().strip()


def _rtl_lines_read_right(text: str) -> None:
    """The structure tests/test_bidi.py checks, and FriBidi's layout of each embedded run."""
    for line in text.split("\n"):
        if not line.strip():
            continue
        assert line.startswith(RLM), line
        assert line.count(LRE) == line.count(PDF), line
        shown = strip_marks(visual(line))
        for run in re.findall(f"{LRE}([^{PDF}]*){PDF}", line):
            assert run in shown, (run, shown)
        outside = re.sub(f"{LRE}[^{PDF}]*{PDF}", "", line)
        assert not re.search(r"[A-Za-z]", outside), line


# ---- what patients are told -------------------------------------------------------------


def test_a_spanish_patient_gets_the_clinics_spanish_name_hours_and_line(
    tmp_path: Path, clinic_file: Path
) -> None:
    console, out = _console(tmp_path, "es", clinic_file)
    console.start("dvprs")
    assert out.getvalue().startswith("Programa del Dolor PATH: ")  # the survey's intro
    out.truncate(0)
    out.seek(0)
    console.say("AYUDA")
    help_text = out.getvalue()
    assert help_text.startswith("Programa del Dolor PATH. Ayuda: 802-555-0111, ")
    assert "lunes a viernes, de 8 a 17 h" in help_text
    assert "Pain Program" not in help_text and "17:00" not in help_text
    console.say("PARAR")
    assert out.getvalue().split("\n\n")[-2].startswith("Programa del Dolor PATH: ya no recibirá")
    console.app.db.dispose()


def test_an_arabic_patients_help_has_the_arabic_texts_and_its_bidi_structure(
    tmp_path: Path, clinic_file: Path
) -> None:
    reply = _help_reply(tmp_path, "ar", clinic_file)
    plain = strip_marks(reply)
    assert plain.startswith("برنامج الألم")
    assert "من الاثنين إلى الجمعة، 8-5" in plain
    assert "802-555-0100" in plain  # no Arabic line: the clinic's one number
    _rtl_lines_read_right(reply)
    # and as an SMS renders it
    tr = translator("ar")
    program = program_info(_settings(clinic_file))
    text = tr.gettext(
        "{program}. Help: {phone}, {hours}. Messages are not watched 24/7. "
        "Emergency: call 911. Crisis: call or text 988. "
        "Reply {stop} to end, {language} to change language."
    ).format(
        program=program.name_in(tr.code),
        phone=program.phone_in(tr.code),
        hours=program.hours_in(tr.code),
        stop=tr.gettext("STOP"),
        language=tr.gettext("LANGUAGE"),
    )
    _rtl_lines_read_right(render_sms(text, [], "", tr))


def test_a_language_without_texts_gets_the_english_ones(tmp_path: Path, clinic_file: Path) -> None:
    french = strip_marks(_help_reply(tmp_path, "fr", clinic_file))
    assert french.startswith("Pain Program. ") and "8:00 - 17:00" in french


def test_english_in_a_right_to_left_message_is_one_run_shown_in_order(
    tmp_path: Path, clinic_file: Path
) -> None:
    """Pashto has no clinic texts: the English hours are embedded whole, so FriBidi shows
    "8:00 - 17:00" as written; marked run by run, the two halves come out swapped."""
    reply = _help_reply(tmp_path, "ps", clinic_file)
    assert f"{LRE}8:00 - 17:00{PDF}" in reply
    _rtl_lines_read_right(reply)
    line = next(line for line in reply.split("\n") if "17:00" in line)
    assert "8:00 - 17:00" in strip_marks(visual(line))
    run_by_run = mark_rtl(strip_marks(line))
    assert "8:00 - 17:00" not in strip_marks(visual(run_by_run))


def test_dari_texts_are_found_by_the_languages_code_not_its_babel_locale(
    tmp_path: Path, clinic_file: Path
) -> None:
    tr = translator("fa-AF")
    assert (tr.code, tr.locale) == ("fa-AF", "fa_AF")
    reply = strip_marks(_help_reply(tmp_path, "fa-AF", clinic_file))
    assert reply.startswith("برنامج درد") and "8:00 - 17:00" in reply


def test_reminders_name_the_clinics_place_in_the_patients_language(clinic_file: Path) -> None:
    program = program_info(_settings(clinic_file))
    starts = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    at_clinic = Event(kind="session", starts_at=starts, location="room 2,  Pain Clinic")
    elsewhere = Event(kind="session", starts_at=starts, location="Library, 2nd floor")
    spanish = Patient(study_id="S", locale="es", created_at=starts)
    arabic = Patient(study_id="A", locale="ar", created_at=starts)
    text = reminder_text(at_clinic, spanish, program)
    assert text.startswith("Programa del Dolor PATH: ") and "Sala 2, Clínica del Dolor" in text
    assert "Library, 2nd floor" in reminder_text(elsewhere, spanish, program)
    # Arabic has no place of its own: the English one, whole, in order on screen
    arabic_text = reminder_text(at_clinic, arabic, program)
    assert arabic_text.startswith("برنامج الألم")
    assert f"{LRE}Room 2, Pain Clinic{PDF}" in arabic_text
    _rtl_lines_read_right(mark_rtl(arabic_text))


async def test_a_call_in_spanish_says_the_spanish_name_and_line(
    db_url: str, clock: FakeClock, clinic_file: Path
) -> None:
    async with voice_world(db_url, clock, clinic_texts_file=str(clinic_file)) as w:
        pid = w.add_voice_patient("V1", locale="es")
        w.app.pipeline.start_survey(pid, "dvprs")
        call = await w.call_in()
        assert "Hola, le habla Programa del Dolor PATH." in call.said, call.said
        assert "Pain Program" not in call.said
        await call.press("0000")  # a wrong PIN three times: the clinic's Spanish line
        await call.press("0000")
        await call.press("0000")
        assert call.ended and "802-555-0111" in call.said, call.said


def test_the_sms_invitation_names_the_program_in_the_patients_language(clinic_file: Path) -> None:
    program = program_info(_settings(clinic_file))
    assert optin_text(translator("es"), program).startswith("Programa del Dolor PATH: ")
    assert optin_text(translator("fr"), program).startswith("Pain Program")


def test_without_a_file_every_language_has_the_settings_texts() -> None:
    program = program_info(_settings(None))
    assert (
        program.name_in("es") == "Pain Program" and program.hours_in("vi") == ENGLISH["help_hours"]
    )
    assert program.texts is not None and program.texts.missing()["es"] == (
        "program_name",
        "help_hours",
    )
    bare = ProgramInfo("PP", "1", "9-5")  # as tests and benchmarks build it
    assert bare.name_in("es") == "PP" and bare.name_in("ar") == f"{LRE}PP{PDF}"


def test_an_english_section_overrides_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("en:\n  program_name: PATH Program\n", encoding="utf-8")
    program = program_info(_settings(path))
    assert program.name == "PATH Program" and program.name_in("fr") == "PATH Program"
    assert program.help_hours == ENGLISH["help_hours"]


# ---- a wrong file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("prs:\n  program_name: x\n", "prs: unknown language code (write fa-AF)"),
        ("xx:\n  program_name: x\n", "xx: unknown language code; known: en, es"),
        ("es:\n  hours: x\n", "es.hours: unknown key; known: program_name"),
        ("es:\n  program_name: '  '\n", "es.program_name: empty"),
        ("es:\n  program_name:\n", "es.program_name: must be text"),
        ("es:\n  help_hours: 9\n", "es.help_hours: must be text"),
        ("es:\n  location: |\n    a\n    b\n", "es.location: must be one line"),
        ("es:\n  program_name: " + "x" * 61 + "\n", "es.program_name: longer than 60"),
        ("es:\n  program_name: \u202ax\u202c\n", "es.program_name: must not hold bidi marks"),
        ("es: Programa\n", "es: must be a mapping of program_name"),
        ("- es\n", "must be a mapping of language codes"),
        ("es:\n  program_name: a\n  program_name: b\n", "line 3: duplicate key 'program_name'"),
        ("es: [unclosed\n", "YAML syntax error"),
        ("es:\n  location: Sala 2\n", "es.location: needs en.location"),
    ],
)
def test_a_wrong_file_is_refused_naming_the_file_and_the_path(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ClinicTextsError) as caught:
        clinic_texts.load(path, ENGLISH)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert "\n" not in message


def test_every_mistake_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text("es:\n  hours: x\n  program_name: ''\nzz: {}\n", encoding="utf-8")
    with pytest.raises(ClinicTextsError) as caught:
        clinic_texts.load(path, ENGLISH)
    assert all(p in str(caught.value) for p in ("es.hours", "es.program_name", "zz:"))


def test_the_app_does_not_start_with_a_wrong_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PATHBOT_CLINIC_TEXTS_FILE: .*nope.yaml: cannot read"):
        build_app(_settings(tmp_path / "nope.yaml"), database_url=f"sqlite:///{tmp_path}/x.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text("es:\n  hours: x\n", encoding="utf-8")
    result = pathbot("simulate", "--locale", "es", env={clinic_texts.FILE_SETTING: str(bad)})
    assert result.returncode == 2
    assert result.stderr.startswith("pathbot: configuration error: PATHBOT_CLINIC_TEXTS_FILE: ")
    assert "es.hours: unknown key" in result.stderr and result.stderr.count("\n") == 1


# ---- the command line -------------------------------------------------------------------


def test_simulate_in_spanish_shows_the_clinics_texts(clinic_file: Path) -> None:
    sim = pathbot(
        "simulate",
        "--locale",
        "es",
        "--instrument",
        "dvprs",
        stdin="AYUDA\n",
        env={clinic_texts.FILE_SETTING: str(clinic_file)},
    )
    assert sim.returncode == 0, sim.stderr
    assert sim.stdout.startswith("Programa del Dolor PATH: ")
    assert (
        "Programa del Dolor PATH. Ayuda: 802-555-0111, lunes a viernes, de 8 a 17 h" in sim.stdout
    )


def test_translations_lists_the_languages_that_lack_clinic_texts(clinic_file: Path) -> None:
    result = pathbot("translations", env={clinic_texts.FILE_SETTING: str(clinic_file)})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Clinic texts ({clinic_file}; a language without its own gets the English):" in out
    assert "  es Spanish: own program_name, help_phone, help_hours, location\n" in out
    assert "  ar Arabic: own program_name, help_hours; English location\n" in out
    assert "  fr French: none of its own; English program_name, help_hours, location\n" in out


def test_a_kept_embedding_survives_marking_again() -> None:
    """Channels mark a message once, but marking is idempotent: the clinic text's embedding is
    kept whole, not re-split, however often the text is marked."""
    text = f"ساعات: {LRE}8:00 - 17:00{PDF}. Pain Program\n0 = لا"
    once = mark_rtl(text)
    assert mark_rtl(once) == once
    assert f"{LRE}8:00 - 17:00{PDF}" in once and f"{LRE}Pain Program{PDF}" in once
    assert strip_marks(once) == strip_marks(text)
