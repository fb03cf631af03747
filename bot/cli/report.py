"""`pathbot report COHORT [--out report.html|report.pdf]`: the pre/post program evaluation."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.common import CommandError, database_url
from bot.clinic import audit
from bot.db.database import is_current, make_engine
from bot.db.private_files import create_private_file
from bot.service.settings import get_settings


def register(sub: Any) -> None:
    rep = sub.add_parser("report", help="pre/post cohort report with plots (HTML or PDF)")
    rep.add_argument("cohort", help="cohort name")
    rep.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        help="report.html or report.pdf (default: report.html)",
    )
    rep.add_argument(
        "--page-size",
        choices=("A4", "letter"),
        help="PDF page size (default: the report_page_size setting, A4)",
    )
    rep.add_argument("--actor", help="who runs the report, for the audit log (default: OS user)")
    rep.add_argument("--db", help="database URL (default: DATABASE_URL)")
    rep.set_defaults(run=run_report)


def run_report(ns: argparse.Namespace) -> int:
    from bot.clinic.report.cohort import CohortNotFound, build_report  # matplotlib loads only here
    from bot.clinic.report.render import render_html, write_pdf

    suffix = ns.out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise CommandError("--out must end in .html or .pdf")
    url = database_url(ns)
    engine = make_engine(url)
    try:
        if not is_current(engine):
            print(
                f"pathbot: {url} has no pathbot data (run `pathbot db upgrade` first)",
                file=sys.stderr,
            )
            return 2
        now = datetime.now(UTC)
        try:
            report = build_report(engine, ns.cohort, now=now)
        except CohortNotFound as exc:
            raise CommandError(str(exc)) from None
        tmp = ns.out.with_name(ns.out.name + ".partial")
        page_size = ns.page_size or get_settings().report_page_size
        # Created 0600 before anything is written: the report names patients.
        tmp.unlink(missing_ok=True)
        create_private_file(tmp)
        if suffix == ".pdf":
            write_pdf(report, tmp, page_size=page_size)
        else:
            tmp.write_text(render_html(report, page_size=page_size), encoding="utf-8")
        os.replace(tmp, ns.out)
        audit.record_now(
            engine,
            actor=audit.current_actor(ns.actor),
            action="report",
            object_type="cohort",
            object_id=ns.cohort,
            detail={"out": ns.out.name, "participants": len(report.participants)},
            now=now,
        )
    finally:
        engine.dispose()
    print(f"wrote {ns.out}", file=sys.stderr)
    return 0
