"""pathbot's CSV lines: csv.writer's format exactly, except that a lone "\r" in a field is
quoted, so the row reads back whole (csv.writer with lineterminator="\n" left it bare, and every
reader ended the row there)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bot.clinic.exports.csv_text import CsvWriter

ROWS: list[list[Any]] = [
    ["study_id", "name", "value"],
    [""],
    [None],
    ["", ""],
    [None, 1, 2.5, -0.1, True, Decimal("2.50"), date(2026, 1, 2)],
    [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "2026-01-02T03:04:05+00:00"],
    ["comma, inside", 'say "hi"', '"', '""', "line\nbreak", "crlf\r\nend", "\n"],
    [" spaces ", "\ttab", "=SUM(A1)", "'quoted", "ünïcödé 痛み ألم", "😀"],
    ["semi;colon", "pipe|bar", "back\\slash", "nul-free"],
]


def written(writer_of: Any, rows: list[list[Any]]) -> str:
    out = io.StringIO(newline="")
    writer = writer_of(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def test_it_writes_what_csv_writer_writes_for_anything_without_a_lone_cr() -> None:
    expected = written(lambda out: csv.writer(out, lineterminator="\n"), ROWS)
    assert written(CsvWriter, ROWS) == expected
    out = io.StringIO(newline="")
    CsvWriter(out).writerows(ROWS)
    assert out.getvalue() == expected


def test_a_lone_cr_is_quoted_and_the_row_reads_back_whole() -> None:
    rows = [["S-1", "pain\r5", "x"], ["\r", "a\rb\rc", "end\r"], ["S-2", "ok", "y"]]
    text = written(CsvWriter, rows)
    assert text == 'S-1,"pain\r5",x\n"\r","a\rb\rc","end\r"\nS-2,ok,y\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    broken = written(lambda out: csv.writer(out, lineterminator="\n"), rows[:1])
    assert list(csv.reader(io.StringIO(broken, newline=""))) != rows[:1]  # what it fixes
