"""Shared fixtures: a controllable clock, and databases (SQLite always, PostgreSQL when given).

PostgreSQL tests run against the server named by PATHBOT_TEST_POSTGRES_URL, each in a fresh
database created for the test and dropped after it. Without that variable they skip; with
PATHBOT_REQUIRE_POSTGRES=1 (CI) a missing or unreachable server fails them instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.db.database import normalize_database_url
from tests.child_processes import no_leaked_children  # noqa: F401 - a fixture for every test
from tests.support import FakeClock

POSTGRES_ENV = "PATHBOT_TEST_POSTGRES_URL"
REQUIRE_ENV = "PATHBOT_REQUIRE_POSTGRES"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/pathbot.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    required = os.environ.get(REQUIRE_ENV) == "1"
    if not base:
        if required:
            pytest.fail(f"{REQUIRE_ENV}=1 but {POSTGRES_ENV} is not set")
        pytest.skip(f"{POSTGRES_ENV} not set: PostgreSQL tests skipped")
    admin_url = make_url(normalize_database_url(base))
    name = f"pathbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        admin.dispose()
        if required:
            pytest.fail(f"PostgreSQL at {admin_url.render_as_string()} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a database test on both backends."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))
