"""`pathbot demo` and `pathbot simulate`: the console channel over the real pipeline."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.cli.common import CommandError
from bot.conversation.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, normalize_locale, translator
from bot.conversation.keywords import language_names
from bot.conversation.text_normalize import match_key
from bot.service.app import App, build_app
from bot.service.console_session import ConsoleSession
from bot.service.settings import get_settings
from bot.service.voice.enrol import VoiceEnrolmentError
from bot.service.voice.simulate import VoiceSimulation
from surveys.loader import load_all, load_instrument


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="chat with the bot as a demo patient in the terminal")
    demo.add_argument("--db", help="database URL (default: DATABASE_URL or sqlite:///pathbot.db)")
    demo.add_argument("--locale", help="language code, e.g. en or es (asked if not given)")
    demo.add_argument("--instrument", help="instrument id, e.g. dvprs (asked if not given)")
    demo.set_defaults(run=run_demo)

    sim = sub.add_parser("simulate", help="read patient lines on stdin, print the bot's replies")
    sim.add_argument("--locale", default="en")
    sim.add_argument("--channel", choices=["sms", "telegram", "voice"], default="sms")
    sim.add_argument("--instrument", default="dvprs")
    sim.add_argument("--db", help="database URL to keep (default: a temporary database)")
    sim.add_argument("--json", action="store_true", help="one JSON object per outbound message")
    sim.set_defaults(run=run_simulate)


def run_simulate(ns: argparse.Namespace) -> int:
    load_instrument(ns.instrument)  # fail early, with the loader's message, on a bad id
    with tempfile.TemporaryDirectory() as tmp:
        url = ns.db or f"sqlite:///{Path(tmp) / 'simulate.db'}"
        app = build_app(get_settings(), database_url=url)
        if ns.channel == "voice":
            _simulate_call(app, ns)
            app.db.dispose()
            return 0
        console = ConsoleSession(
            app,
            locale=normalize_locale(ns.locale),
            style=ns.channel,
            out=sys.stdout,
            as_json=ns.json,
        )
        console.start(ns.instrument)
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            if text.strip():
                console.say(text)
        app.db.dispose()
    return 0


def _simulate_call(app: App, ns: argparse.Namespace) -> None:
    """A phone call in the terminal: its words printed, each stdin line a key press or speech."""
    try:
        call = VoiceSimulation(app, locale=normalize_locale(ns.locale), out=sys.stdout)
    except VoiceEnrolmentError as exc:  # no phone words in that language: say which and why
        raise CommandError(f"--channel voice: {exc}") from None
    call.start(ns.instrument)
    for line in sys.stdin:
        if call.ended:
            break
        if line.strip():
            sys.stdout.write(f"> {line.strip()}\n")
            call.act(line)


def run_demo(ns: argparse.Namespace) -> int:
    settings = get_settings()
    locale = normalize_locale(ns.locale) if ns.locale else _ask_locale()
    if locale is None:
        return 0
    tr = translator(locale)
    instrument_id = ns.instrument or _ask_instrument(locale)
    if instrument_id is None:
        return 0
    app = build_app(settings, database_url=ns.db)
    console = ConsoleSession(app, locale=locale, style="sms", out=sys.stdout, as_json=False)
    print(
        tr.gettext(
            "You are the demo patient {study_id}. Type your replies; an empty line "
            "or Ctrl-D ends the demo."
        ).format(study_id=console.study_id)
    )
    print()
    console.start(instrument_id)
    while True:
        try:
            text = input("> ")
        except EOFError:
            break
        if not text.strip():
            break
        console.say(text)
    print(
        tr.gettext("Demo finished. Your answers are in {database}.").format(
            database=ns.db or settings.database_url
        )
    )
    app.db.dispose()
    return 0


def _ask_locale() -> str | None:
    print(" / ".join(translator(code).gettext("Choose a language:") for code in SUPPORTED_LOCALES))
    for number, code in enumerate(SUPPORTED_LOCALES, start=1):
        print(f"{number} = {LANGUAGE_NAMES[code]}")
    names = language_names()
    answer = _ask_choice(
        [
            [code, LANGUAGE_NAMES[code], *(n for n, c in names.items() if c == code)]
            for code in SUPPORTED_LOCALES
        ]
    )
    return None if answer is None else SUPPORTED_LOCALES[answer - 1]


def _ask_instrument(locale: str) -> str | None:
    tr = translator(locale)
    usable = [inst for inst in load_all().values() if inst.usable_language(locale) is not None]
    print(tr.gettext("Which questionnaire do you want to answer?"))
    for number, inst in enumerate(usable, start=1):
        print(f"{number} = {inst.title[locale]}")
    answer = _ask_choice([[inst.id, inst.title[locale]] for inst in usable])
    return None if answer is None else usable[answer - 1].id


def _ask_choice(names: list[list[str]]) -> int | None:
    """A menu answered by its number or by an option's words ("2", "Español", "dvprs")."""
    keys = [{match_key(n) for n in option} for option in names]
    while True:
        try:
            text = match_key(input("> "))
        except EOFError:
            return None
        if text.isdecimal() and 1 <= int(text) <= len(names):
            return int(text)
        chosen = [n for n, option in enumerate(keys, start=1) if text and text in option]
        if len(chosen) == 1:
            return chosen[0]
        print(f"1-{len(names)}?")
