"""Migrations build the schema from empty on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot.db import import_all_models
from bot.db.database import make_engine, upgrade

import_all_models()

TABLES = {
    "patient",
    "channelidentity",
    "consentrecord",
    "cohort",
    "enrolment",
    "event",
    "rsvp",
    "surveyassignment",
    "itemresponse",
    "score",
    "conversation",
    "inboundmessage",
    "outboxmessage",
    "alert",
    "auditlog",
    "staffuser",
    "staffsession",
    "staffrecoverycode",
    "signinattempt",
    "alertnote",
}


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    """A model change without a migration would break `pathbot db upgrade` in production."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
