"""The long CSV's data lines made by PostgreSQL itself: `COPY (SELECT line ...) TO STDOUT`.

Reading a million rows into Python and formatting them there took 7-8 s on this 2-core machine
(`pathbot export`); the server makes the same lines as it reads the rows (~3 s for the
statement) and Python only passes the text on: 3.2-3.3 s in process, 4.5-4.8 s by the command
(a second of it the command's start), 1.65 s of Python's CPU. Each cell is made as
`csv_long._column_formats` makes it, byte for byte (tests/test_csv_long_columns.py runs both over
hostile cells): the formula guard on the text people type, quotes where csv.writer puts them
(and round a lone "\r"), empty for a missing number, answered_at in ISO 8601 UTC with its
microseconds only when there are any, as `datetime.isoformat` writes it.

COPY's text format escapes a backslash and the control characters \b \f \n \r \t \v inside a
line (and never anything else, PostgreSQL's documentation says); `_chunk` turns them back.
Every newline byte COPY sends therefore ends a row, which is how the rows are counted.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any, cast

import psycopg
from sqlalchemy import Engine, Text, case, func, text
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from bot.clinic.exports.cells import FORMULA_STARTS
from bot.clinic.exports.csv_text import NEEDS_QUOTES
from bot.clinic.exports.records import ExportFilter
from bot.db.models import ItemResponse, Patient, SurveyAssignment

CHUNK_BYTES = 256 * 1024  # text handed on at a time: flat memory, few writes

# A bracket expression of the characters that make csv.writer quote a field.
_NEEDS_QUOTES_PATTERN = "[" + "".join("\\" + c if c in "\\]^-" else c for c in NEEDS_QUOTES) + "]"
_ESCAPES = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t",
            b"v": b"\v"}  # fmt: skip
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def copied_chunks(
    db: Engine, flt: ExportFilter, line_source: Any
) -> Generator[tuple[int, str], None, None]:
    """(how many rows, their text) for each ~CHUNK_BYTES of the long CSV's data lines, in answer
    order. `line_source(columns, flt)` is the long CSV's query over the given columns."""
    statement, params = _copy_statement(db, line_source(_line_columns(flt), flt))
    with db.connect() as conn:
        # One statement makes the whole export, and a long export is not a stuck one: the
        # server's statement_timeout is lifted for it alone (SET LOCAL ends with the
        # transaction). A server that stops answering is still caught by the client's deadline
        # on every read (bot/db/postgres_deadline.py), a lock it waits for by lock_timeout.
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        encoding = driver.info.encoding
        try:
            with driver.cursor() as cursor, cursor.copy(statement, params) as copy:
                pending = bytearray()
                for data in copy:
                    pending += data
                    if len(pending) >= CHUNK_BYTES:
                        end = pending.rfind(b"\n") + 1
                        yield _chunk(bytes(pending[:end]), encoding)
                        del pending[:end]
                if pending:
                    yield _chunk(bytes(pending), encoding)
        except psycopg.Error as exc:
            # As SQLAlchemy raises it everywhere else (OperationalError and the rest), and a
            # connection that went away is not handed out again.
            invalidated = db.dialect.is_disconnect(cast(Any, exc), conn.connection, None)
            if invalidated:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                statement, params, exc, psycopg.Error, connection_invalidated=invalidated
            ) from exc


def _chunk(lines: bytes, encoding: str) -> tuple[int, str]:
    rows = lines.count(b"\n")
    if b"\\" in lines:
        lines = _ESCAPED.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), lines)
    return rows, lines.decode(encoding)


def _copy_statement(db: Engine, query: Any) -> tuple[str, dict[str, Any]]:
    """The COPY statement and its parameters, which psycopg binds client-side (COPY takes no
    server-side parameters). Values go through their column types' bind processing, as they
    would in an ordinary execute: a naive since/until is refused, an aware one made UTC."""
    compiled = query.compile(dialect=db.dialect, compile_kwargs={"render_postcompile": True})
    params = dict(compiled.params)
    for name, bind in compiled.binds.items():
        if name in params and (process := bind.type.bind_processor(db.dialect)) is not None:
            params[name] = process(params[name])
    return f"COPY ({compiled.string}) TO STDOUT", params


def _line_columns(flt: ExportFilter) -> list[Any]:
    """One column: the whole CSV line, cells in `csv_long.long_columns` order."""
    head = [_typed(Patient.study_id)]
    if flt.with_names:
        head.append(_typed(Patient.display_name))
    free_text = [_typed(ItemResponse.raw_text)] if flt.with_free_text else []
    cells = [
        *head,
        _plain(ItemResponse.instrument_id),
        _typed(SurveyAssignment.instrument_version),
        _number(ItemResponse.assignment_id),
        _typed(SurveyAssignment.timepoint),
        _typed(ItemResponse.item_id),
        _number(ItemResponse.option_code),
        _number(ItemResponse.coded_value),
        *free_text,
        _plain(ItemResponse.status),
        _plain(ItemResponse.language),
        _plain(SurveyAssignment.translation_status),
        _plain(ItemResponse.channel),
        _plain(ItemResponse.parser_version),
        _iso_utc(ItemResponse.answered_at),
    ]
    return [func.concat_ws(",", *cells)]


def _typed(column: Any) -> Any:
    """Text people type: a leading ' where it could start a formula (`safe_cell`), quoted as
    `_plain`. The guard goes on the text with its quotes doubled, which gives what quoting the
    guarded text gives (a ' needs no quoting, and doubling changes the first character only
    when it is a quote, which starts no formula): PostgreSQL works the guard out once a cell."""
    value = func.coalesce(col(column), "")
    return case(
        (_needs_quotes(value), '"' + _guarded(_quotes_doubled(value)) + '"'),
        else_=_guarded(value),
    )


def _plain(column: Any) -> Any:
    """csv.writer's QUOTE_MINIMAL (`csv_text.quoted`): in quotes, each quote doubled, when the
    cell holds a comma, a quote, a newline or a carriage return."""
    value = func.coalesce(col(column), "")
    return case((_needs_quotes(value), '"' + _quotes_doubled(value) + '"'), else_=value)


def _needs_quotes(value: Any) -> Any:
    return value.regexp_match(_NEEDS_QUOTES_PATTERN)


def _quotes_doubled(value: Any) -> Any:
    return func.replace(value, '"', '""', type_=Text)


def _guarded(value: Any) -> Any:
    return case((func.left(value, 1).in_(FORMULA_STARTS), "'" + value), else_=value)


def _number(column: Any) -> Any:
    return func.coalesce(sql_cast(col(column), Text), "")


def _iso_utc(column: Any) -> Any:
    """`datetime.isoformat()` of the time in UTC: seconds, then .microseconds only if not 0."""
    utc = func.timezone("UTC", col(column))
    micro = case(
        (func.to_char(utc, "US") != "000000", func.to_char(utc, ".US", type_=Text)), else_=""
    )
    return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS', type_=Text) + micro + "+00:00"
