"""`pathbot export`: responses and scores for staff tools (CSV long/wide, Excel, JSON, FHIR R4)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.cli.common import CommandError, database_url
from bot.clinic import audit
from bot.clinic.exports.csv_long import FORMAT_NAMES, export_format
from bot.clinic.exports.records import ExportFilter, UnknownFilter, check_filter
from bot.db.database import is_current, make_engine
from bot.db.private_files import open_private


def register(sub: Any) -> None:
    exp = sub.add_parser("export", help="export item responses and scores")
    exp.add_argument(
        "--format",
        choices=sorted(FORMAT_NAMES),
        default="csv",
        help="csv: one row per response; csv-wide: one row per completed survey "
        "with scores; xlsx: a sheet per instrument and a codebook; json; fhir: an R4 Bundle "
        "(LOINC codes where LOINC has them); redcap: a row per patient and timepoint (with --out, "
        "its data dictionary is written beside it as NAME_dictionary.csv); redcap-dictionary",
    )
    exp.add_argument("--cohort", help="only patients enrolled in this cohort")
    exp.add_argument("--patient", action="append", default=[], help="study id (repeatable)")
    exp.add_argument("--instrument", action="append", default=[], help="instrument id (repeatable)")
    exp.add_argument("--since", type=_when, help="from this date or time (UTC), inclusive")
    exp.add_argument("--until", type=_until, help="up to this date (inclusive) or time (UTC)")
    exp.add_argument(
        "--with-names", action="store_true", help="add patients' names (default: study ids only)"
    )
    exp.add_argument("--actor", help="who is exporting, for the audit log (default: OS user)")
    exp.add_argument("--db", help="database URL (default: DATABASE_URL)")
    exp.add_argument("--out", help="output file (default: standard output)")
    exp.set_defaults(run=run_export)


def _when(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _until(text: str) -> datetime:
    moment = _when(text)
    return moment + timedelta(days=1) if len(text) == 10 else moment


def _dictionary_path(out: str) -> str:
    root, ext = os.path.splitext(out)
    return f"{root}_dictionary{ext or '.csv'}"


def _write_text(engine: Any, fmt: Any, path: str, flt: ExportFilter) -> int:
    tmp = f"{path}.partial"
    with open_private(tmp, "w", newline="", encoding="utf-8") as fh:
        count = int(fmt.write(engine, fh, flt))
    os.replace(tmp, path)
    return count


def run_export(ns: argparse.Namespace) -> int:
    url = database_url(ns)
    fmt = export_format(ns.format)
    if fmt.binary and not ns.out:
        raise CommandError(f"--format {ns.format} needs --out FILE")
    flt = ExportFilter(
        cohort=ns.cohort,
        patients=tuple(ns.patient),
        instruments=tuple(ns.instrument),
        since=ns.since,
        until=ns.until,
        with_names=ns.with_names,
    )
    engine = make_engine(url)
    try:
        if not is_current(engine):
            print(
                f"pathbot: {url} has no pathbot data (run `pathbot db upgrade` first)",
                file=sys.stderr,
            )
            return 2
        try:
            check_filter(engine, flt)  # before any file is opened: no empty or partial output
        except UnknownFilter as exc:
            raise CommandError(str(exc)) from None
        if ns.out and ns.format == "redcap":
            dictionary = _dictionary_path(ns.out)
            _write_text(engine, export_format("redcap-dictionary"), dictionary, flt)
            print(f"wrote the REDCap data dictionary to {dictionary}", file=sys.stderr)
        if ns.out:
            tmp = f"{ns.out}.partial"
            if fmt.binary:
                with open_private(tmp, "wb") as fb:
                    count = fmt.write(engine, fb, flt)
            else:
                with open_private(tmp, "w", newline="", encoding="utf-8") as fh:
                    count = fmt.write(engine, fh, flt)
            os.replace(tmp, ns.out)  # a half-written export never looks finished
            print(f"exported {count} {fmt.counts} to {ns.out}", file=sys.stderr)
        else:
            count = fmt.write(engine, sys.stdout, flt)
        audit.record_now(
            engine,
            actor=audit.current_actor(ns.actor),
            action="export",
            object_type="export",
            object_id=ns.format,
            detail={
                "format": ns.format,
                "filters": flt.describe(),
                "count": count,
                "out": os.path.basename(ns.out) if ns.out else "stdout",
            },
            now=datetime.now(UTC),
        )
    finally:
        engine.dispose()
    return 0
