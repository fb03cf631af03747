"""`pathbot import responses FILE.csv`: enter paper forms (the long export's columns)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import CommandError, database_url
from bot.clinic import audit
from bot.clinic.paper_import import ImportFileError, ImportRejected, import_responses
from bot.db.database import is_current, make_engine


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="enter paper forms")
    isub = imp.add_subparsers(title="import commands")
    responses = isub.add_parser(
        "responses",
        help="import item responses from a CSV with the columns of `pathbot export --format csv`",
    )
    responses.add_argument("file", type=Path)
    responses.add_argument(
        "--replace",
        action="store_true",
        help="replace forms already answered for the same survey (audited; old answers kept)",
    )
    responses.add_argument("--actor", help="who is importing, for the audit log (default: OS user)")
    responses.add_argument("--db", help="database URL (default: DATABASE_URL)")
    responses.set_defaults(run=run_import_responses)
    template = isub.add_parser(
        "template", help="print a ready CSV for one instrument: item ids and allowed values"
    )
    template.add_argument("instrument")
    template.add_argument("--version", help="instrument version (default: the newest)")
    template.set_defaults(run=run_template)


def run_template(ns: argparse.Namespace) -> int:
    from bot.clinic.paper_template import template_csv

    sys.stdout.write(template_csv(ns.instrument, ns.version))
    return 0


def run_import_responses(ns: argparse.Namespace) -> int:
    url = database_url(ns)
    engine = make_engine(url)
    try:
        if not is_current(engine):
            print(
                f"pathbot: {url} has no pathbot data (run `pathbot db upgrade` first)",
                file=sys.stderr,
            )
            return 2
        try:
            result = import_responses(
                engine,
                ns.file,
                actor=audit.current_actor(ns.actor),
                now=datetime.now(UTC),
                replace=ns.replace,
            )
        except ImportRejected as exc:
            print(f"pathbot: {ns.file.name}: {exc}", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
    print(
        f"imported {result.rows} responses on {len(result.assignment_ids)} forms "
        f"(batch {result.batch_id}): {result.fulfilled} fulfilled a planned survey, "
        f"{result.partial} partial, {result.replaced} replaced"
    )
    return 0
