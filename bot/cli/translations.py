"""`pathbot translations`: which instrument is offered in which language, the bot wording's
status per language, and which languages lack the clinic's own texts (program name, help line,
hours, place: they get the English ones); `pathbot translations check DIR` validates translation
packs before a clinic drops them into PATHBOT_TRANSLATION_PACKS_DIR."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.conversation import language_status
from bot.conversation.clinic_texts import FILE_SETTING, ClinicTexts
from bot.conversation.coverage import Coverage, coverage_matrix
from bot.service.app import program_info
from bot.service.settings import get_settings
from surveys.loader import load_versions_without_packs
from surveys.packs import PACKS_DIR_ENV, check_directory


def register(sub: Any) -> None:
    tr = sub.add_parser(
        "translations",
        help="instrument x language coverage (validated / pack / draft / refused)",
        description=__doc__,
    )
    tr.set_defaults(run=run_matrix)
    commands = tr.add_subparsers(title="commands")
    check = commands.add_parser("check", help="validate the translation packs in a directory")
    check.add_argument("directory", help="a directory of <instrument>.<language>.yaml packs")
    check.set_defaults(run=run_check)


def run_matrix(ns: argparse.Namespace) -> int:
    del ns
    settings = get_settings()  # a packs directory named only in .env counts too
    texts = program_info(settings).texts  # a wrong clinic texts file: a configuration error
    print(render_matrix(coverage_matrix()), end="")
    if texts is not None:
        print(render_clinic_texts(texts), end="")
    return 0


def render_clinic_texts(texts: ClinicTexts) -> str:
    """Per language, the clinic texts it has of its own and those it gets in English."""
    source = texts.source or f"{FILE_SETTING} not set"
    lines = ["", f"Clinic texts ({source}; a language without its own gets the English):"]
    lines.append(f"  en English: {', '.join(texts.keys())}")
    missing = texts.missing()
    for info in language_status.languages():
        if info.code == "en":
            continue
        lacking = missing.get(info.code, ())
        own = texts.own(info.code)
        parts = [f"own {', '.join(own)}" if own else "none of its own"]
        if lacking:
            parts.append(f"English {', '.join(lacking)}")
        lines.append(f"  {info.code} {info.english}: {'; '.join(parts)}")
    lines.append("")
    return "\n".join(lines)


def render_matrix(coverage: Coverage) -> str:
    langs = coverage.languages
    name_width = max([len("instrument"), *(len(_name(r)) for r in coverage.instruments)])
    width = max([len("validated"), *(len(lang) for lang in langs)])
    lines = ["Instruments x languages (validated / pack / draft / refused)", ""]
    header = ["instrument".ljust(name_width), *(lang.ljust(width) for lang in langs)]
    lines.append(" ".join(header).rstrip())
    for row in coverage.instruments:
        cells = (row.cells[lang].status.ljust(width) for lang in langs)
        lines.append(" ".join([_name(row).ljust(name_width), *cells]).rstrip())
    details = [
        f"  {_name(row)} {lang}: {row.cells[lang].status}: {row.cells[lang].detail}"
        for row in coverage.instruments
        for lang in langs
        if lang != "en"
    ]
    lines += ["", "Where each non-English cell comes from:", *details, "", "Bot wording:"]
    for w in coverage.wording:
        lines.append(f"  {w.language} {w.name}: {w.detail}")
    lines.append("")
    return "\n".join(lines)


def _name(row: Any) -> str:
    return f"{row.instrument_id} {row.version}"


def run_check(ns: argparse.Namespace) -> int:
    get_settings()  # PATHBOT_INSTRUMENTS_DIR from .env: packs may translate clinic instruments
    directory = Path(ns.directory)
    packs, errors = check_directory(directory, load_versions_without_packs())
    if not errors and not packs:
        errors = [f"{directory}: no pack files (<instrument>.<language>.yaml) in it"]
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        return 2
    for pack in packs:
        print(f"ok {pack.file}: {pack.instrument_id} {pack.version} in {pack.language}")
    print(f"{len(packs)} pack(s) valid; to offer them, set {PACKS_DIR_ENV} to this directory")
    return 0
