"""The long CSV on PostgreSQL, where the server writes the lines
(bot/clinic/exports/csv_long_copy.py): what happens when the database fails part way, and that a
long export is not cut short by the statement timeout meant for stuck statements. That its text
is byte for byte the Python writer's is tests/test_csv_long_columns.py's, on both databases."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.clinic.exports import csv_long_copy
from bot.clinic.exports.csv_long import export_responses_csv, long_csv_chunks
from bot.db.database import Timeouts, make_engine
from tests.test_csv_long_columns import seed

_COLUMNS = (
    "assignment_id, patient_id, instrument_id, item_id, raw_text, option_code, coded_value, "
    "status, parser_version, language, channel, provider_message_id, answered_at, superseded_at"
)


@pytest.fixture
def big_db(postgres_url: str) -> Iterator[Engine]:
    """~16 MB of CSV (64k responses): more than the sockets between server and client hold,
    so the COPY is still running while the first chunks are read."""
    db = seed(postgres_url, 1000)
    with db.begin() as conn:
        for _ in range(6):
            conn.execute(
                text(f"INSERT INTO itemresponse ({_COLUMNS}) SELECT {_COLUMNS} FROM itemresponse")
            )
    yield db
    db.dispose()


def test_a_database_error_is_raised_as_sqlalchemy_raises_it(postgres_url: str) -> None:
    db = seed(postgres_url, 10)
    with db.begin() as conn:
        conn.execute(text("DROP TABLE itemresponse CASCADE"))
    with pytest.raises(ProgrammingError, match="itemresponse"):
        export_responses_csv(db, io.StringIO())
    assert db.pool.checkedout() == 0
    db.dispose()


def test_a_connection_lost_part_way_is_an_error_and_is_not_reused(
    big_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_long_copy, "CHUNK_BYTES", 16 * 1024)
    chunks = long_csv_chunks(big_db)
    rows, _ = next(chunks)
    with big_db.connect() as admin:
        killed = admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'COPY (SELECT concat_ws%' AND pid <> pg_backend_pid()"
            )
        ).scalars().all()  # fmt: skip
    assert killed == [True]
    with pytest.raises(OperationalError) as lost:
        for more, _ in chunks:
            rows += more
    assert lost.value.connection_invalidated
    assert big_db.pool.checkedout() == 0
    # The export read part of the rows, never all of them and never silently: and the next
    # export, on a fresh connection, is whole.
    whole = export_responses_csv(big_db, io.StringIO())
    assert rows < whole


def test_a_long_export_outlives_the_statement_timeout(
    big_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole export is one COPY statement; a reader slower than the statement timeout (a
    big export, a slow disk) must still get every row."""
    monkeypatch.setattr(csv_long_copy, "CHUNK_BYTES", 16 * 1024)
    expected = export_responses_csv(big_db, io.StringIO())
    url = big_db.url.render_as_string(hide_password=False)
    impatient = make_engine(url, Timeouts(statement=0.3))
    try:
        chunks = long_csv_chunks(impatient)
        rows, _ = next(chunks)
        time.sleep(1.0)  # the server waits on a full socket meanwhile, its statement running
        rows += sum(more for more, _ in chunks)
        assert rows == expected
        # ... and the timeout still holds for every other statement on that connection.
        with impatient.connect() as conn, pytest.raises(OperationalError, match="timeout"):
            conn.execute(text("SELECT pg_sleep(1)"))
    finally:
        impatient.dispose()
