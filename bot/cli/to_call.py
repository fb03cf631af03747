"""`pathbot to-call`: the staff "to call" list, surveys that text and phone calls did not reach.

The third tier after text and automated calls (bot/schedule/voice_calls.py): study id,
instrument, when it is due, the calls tried and why a person should call. No phone numbers:
staff look the patient up where numbers are shown to them.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from bot.cli.common import command_app
from bot.schedule.voice_calls import to_call
from bot.service.app import phone_tier_rules


def register(sub: Any) -> None:
    cmd = sub.add_parser("to-call", help="surveys staff should phone the patient about")
    cmd.add_argument("--db", help="database URL (default: DATABASE_URL)")
    cmd.set_defaults(run=run_to_call)


def run_to_call(ns: argparse.Namespace) -> int:
    with command_app(ns) as app:
        rules = phone_tier_rules(app.settings)
        with Session(app.db) as session:
            rows = to_call(session, app.pipeline.now(), rules)
    if not rows:
        print("nobody to call")
        return 0
    print("study_id\tinstrument\tdue\tcalls\treason")
    for row in rows:
        due = row.due_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"{row.study_id}\t{row.instrument_id}\t{due}\t{row.attempts}\t{row.reason}")
    return 0
