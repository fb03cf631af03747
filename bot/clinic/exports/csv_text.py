"""CSV text that reads back as written, in a csv reader and in a spreadsheet.

Python's csv.writer quotes a field only for the delimiter, the quote character and the
characters of its own line terminator. With lineterminator="\n" (every pathbot CSV), a field
holding a lone carriage return was written bare - "a\rb" - and every reader (csv.reader,
Excel, LibreOffice, pandas) took the "\r" for the end of the row: one answer became two rows,
the second shifted by a column. An SMS can hold a "\r" (nothing strips it), so pathbot writes
its CSV lines here: csv.writer's format exactly (QUOTE_MINIMAL, '"' doubled, "\n" after each
row), with "\r" quoted too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

NEEDS_QUOTES = (",", '"', "\n", "\r")


def csv_field(value: Any) -> str:
    """One field as csv.writer writes it (None as empty, numbers by str), quoted if needed."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if any(mark in text for mark in NEEDS_QUOTES):
        return quoted(text)
    return text


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def csv_line(values: Iterable[Any]) -> str:
    fields = [csv_field(value) for value in values]
    if fields == [""]:
        return '""\n'  # a row of one empty field, not an empty line (as csv.writer does)
    return ",".join(fields) + "\n"


class CsvWriter:
    """csv.writer(out, lineterminator="\n") with every "\r" quoted: writerow and writerows."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def writerow(self, values: Iterable[Any]) -> None:
        self._out.write(csv_line(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)
