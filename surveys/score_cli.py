"""`pathbot score INSTRUMENT [--version V] < answers.json`: score answers, print JSON.

Input is one JSON object {"ITEM_ID": scored value or null}. On bad input the exit status is 2,
stdout stays empty and stderr gets exactly one line, so scripts can rely on both.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from surveys.errors import AnswerError, InstrumentError
from surveys.loader import load_instrument
from surveys.scoring import score

USAGE_ERROR = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the usage block too; we promise a single stderr line.
        raise _UsageError(message)


def _parser() -> _Parser:
    p = _Parser(prog="pathbot score", description="Score one instrument's answers (JSON on stdin).")
    p.add_argument("instrument", help="instrument id, e.g. promis29")
    p.add_argument(
        "--version", dest="instrument_version", help="instrument version (default: newest)"
    )
    return p


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _UsageError(f"item {key!r} is given twice")
        out[key] = value
    return out


def _read_answers(stdin: TextIO) -> dict[str, int | None]:
    try:
        data = json.loads(stdin.read(), object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as e:
        raise _UsageError(f"answers are not valid JSON (line {e.lineno}: {e.msg})") from None
    if not isinstance(data, dict):
        raise _UsageError('answers must be a JSON object like {"PFA11": 5}')
    answers: dict[str, int | None] = {}
    for item_id, value in data.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _UsageError(f"{item_id}: {json.dumps(value)} is not a whole number or null")
        answers[item_id] = value
    return answers


def main(
    argv: list[str] | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    try:
        args = _parser().parse_args(argv)
        instrument = load_instrument(args.instrument, args.instrument_version)
        result = score(instrument, _read_answers(stdin))
    except (_UsageError, InstrumentError, AnswerError) as e:
        message = " ".join(str(e).split())  # one line, whatever the message holds
        print(f"pathbot score: error: {message}", file=stderr)
        return USAGE_ERROR
    json.dump(result.as_dict(), stdout, indent=2, ensure_ascii=False)
    stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
