"""The `pathbot` command line: demo, simulate, score, export, db."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.app import App, build_app, utc_now
from bot.channels.console import ConsoleChannel, Style
from bot.db import store
from bot.db.database import DatabaseUnavailable, is_current, make_engine, session_scope, upgrade
from bot.dispatch import dispatch_pending
from bot.export import export_responses_csv
from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, normalize_locale, translator
from bot.messages import Inbound
from bot.settings import SettingsError, get_settings
from surveys import score_cli
from surveys.loader import InstrumentError, load_all, load_instrument

CONSOLE_CONSENT_VERSION = "console-1"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["score"]:  # its own parser, so `pathbot score --help` is the scorer's
        return score_cli.main(args[1:])
    parser = _parser()
    ns = parser.parse_args(args)
    if not hasattr(ns, "run"):
        parser.print_help()
        return 2
    try:
        return int(ns.run(ns))
    except SettingsError as exc:
        print(f"pathbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"pathbot: {exc}", file=sys.stderr)
        return 3
    except InstrumentError as exc:
        print(f"pathbot: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pathbot", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    demo = sub.add_parser("demo", help="chat with the bot as a demo patient in the terminal")
    demo.add_argument("--db", help="database URL (default: DATABASE_URL or sqlite:///pathbot.db)")
    demo.add_argument("--locale", help="language code, e.g. en or es (asked if not given)")
    demo.add_argument("--instrument", help="instrument id, e.g. dvprs (asked if not given)")
    demo.set_defaults(run=_run_demo)

    sim = sub.add_parser("simulate", help="read patient lines on stdin, print the bot's replies")
    sim.add_argument("--locale", default="en")
    sim.add_argument("--channel", choices=["sms", "telegram"], default="sms")
    sim.add_argument("--instrument", default="dvprs")
    sim.add_argument("--db", help="database URL to keep (default: a temporary database)")
    sim.add_argument("--json", action="store_true", help="one JSON object per outbound message")
    sim.set_defaults(run=_run_simulate)

    sub.add_parser("score", help="score answers given as JSON on stdin (see `pathbot score -h`)")

    exp = sub.add_parser("export", help="export item responses")
    exp.add_argument("--format", choices=["csv"], default="csv")
    exp.add_argument("--db", help="database URL (default: DATABASE_URL)")
    exp.add_argument("--out", help="output file (default: standard output)")
    exp.set_defaults(run=_run_export)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(title="db commands")
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--db", help="database URL (default: DATABASE_URL)")
    up.set_defaults(run=_run_db_upgrade)
    return parser


# ---- simulate and demo: the console channel over the real pipeline ---------------------------


class ConsoleSession:
    """One simulated patient talking through the console channel."""

    def __init__(self, app: App, *, locale: str, style: Style, out: TextIO, as_json: bool) -> None:
        self.app = app
        self.channel_name = style
        self.channel = ConsoleChannel(out, style=style, as_json=as_json)
        self.study_id = f"demo-{uuid.uuid4().hex[:8]}"
        self._message_ids = itertools.count(1)
        now = utc_now()
        with session_scope(app.db) as session:
            patient = store.add_patient(
                session,
                study_id=self.study_id,
                now=now,
                locale=locale,
                timezone=app.settings.default_timezone,
            )
            store.bind_channel(
                session,
                patient=patient,
                channel=self.channel_name,
                address=self.study_id,
                consent_text_version=CONSOLE_CONSENT_VERSION,
                method="console",
                now=now,
            )
            assert patient.id is not None
            self.patient_id = patient.id

    def start(self, instrument_id: str) -> None:
        self.app.pipeline.start_survey(self.patient_id, instrument_id)
        self._flush()

    def say(self, text: str) -> None:
        inbound = Inbound(
            channel=self.channel_name,
            address=self.study_id,
            provider_message_id=f"{self.study_id}-{next(self._message_ids)}",
            text=text,
            received_at=utc_now(),
        )
        self.app.pipeline.handle(inbound)
        self._flush()

    def _flush(self) -> None:
        asyncio.run(dispatch_pending(self.app.db, {self.channel_name: self.channel}, utc_now()))


def _run_simulate(ns: argparse.Namespace) -> int:
    load_instrument(ns.instrument)  # fail early, with the loader's message, on a bad id
    with tempfile.TemporaryDirectory() as tmp:
        url = ns.db or f"sqlite:///{Path(tmp) / 'simulate.db'}"
        app = build_app(get_settings(), database_url=url)
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


def _run_demo(ns: argparse.Namespace) -> int:
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
    answer = _ask_number(len(SUPPORTED_LOCALES))
    return None if answer is None else SUPPORTED_LOCALES[answer - 1]


def _ask_instrument(locale: str) -> str | None:
    tr = translator(locale)
    usable = [inst for inst in load_all().values() if inst.usable_language(locale) is not None]
    print(tr.gettext("Which questionnaire do you want to answer?"))
    for number, inst in enumerate(usable, start=1):
        print(f"{number} = {inst.title[locale]}")
    answer = _ask_number(len(usable))
    return None if answer is None else usable[answer - 1].id


def _ask_number(highest: int) -> int | None:
    while True:
        try:
            text = input("> ").strip()
        except EOFError:
            return None
        if text.isdecimal() and 1 <= int(text) <= highest:
            return int(text)
        print(f"1-{highest}?")


# ---- staff commands --------------------------------------------------------------------------


def _database_url(ns: argparse.Namespace) -> str:
    return str(ns.db or get_settings().database_url)


def _run_export(ns: argparse.Namespace) -> int:
    url = _database_url(ns)
    engine = make_engine(url)
    if not is_current(engine):
        print(
            f"pathbot: {url} has no pathbot data (run `pathbot db upgrade` first)", file=sys.stderr
        )
        return 2
    if ns.out:
        tmp = f"{ns.out}.partial"
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            count = export_responses_csv(engine, fh)
        os.replace(tmp, ns.out)  # a half-written export never looks finished
        print(f"exported {count} responses to {ns.out}", file=sys.stderr)
    else:
        export_responses_csv(engine, sys.stdout)
    engine.dispose()
    return 0


def _run_db_upgrade(ns: argparse.Namespace) -> int:
    url = _database_url(ns)
    upgrade(url)
    print("database is up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
