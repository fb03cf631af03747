"""Tables that keep failures visible: the health check's heartbeat, and inbound messages that
could not be processed (quarantined, never dropped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class HealthProbe(SQLModel, table=True):
    """One row (id 1), rewritten by every /healthz: proof the database takes writes (a full disk
    or a read-only file still answers a SELECT, but refuses this)."""

    id: int | None = Field(default=None, primary_key=True)
    checked_at: datetime
    beats: int = 0  # always changes, so every check really writes a page


class QuarantinedInbound(SQLModel, table=True):
    """An inbound message the pipeline failed on for a reason a retry cannot fix (a value the
    database refuses, a bug): kept here, whole, instead of being retried for ever or lost.

    Text fields are unbounded and hold the values JSON-escaped (`json.dumps`), so whatever made
    the pipeline fail (any length, any code point) can still be written and read back exactly.
    """

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    provider_message_id: str = Field(sa_column=Column(Text, nullable=False))
    address: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    error: str = Field(max_length=200)  # the error's class and cause, never the message's text
    triage_tier: int = 0
    received_at: datetime
    quarantined_at: datetime
    reviewed_at: datetime | None = Field(default=None, index=True)
