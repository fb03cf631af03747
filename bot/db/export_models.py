"""Tables for what the clinic gets out: staff notices of alerts, and imported paper-form files."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class AlertNotice(SQLModel, table=True):
    """One alert told to staff on one staff channel (immediate, re-send or part of a digest)."""

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    channel: str = Field(max_length=16)  # telegram | email
    kind: str = Field(max_length=16)  # immediate | resend | digest
    sent_at: datetime


class ImportBatch(SQLModel, table=True):
    """A paper-form file entered by staff; the file hash makes a second import of it a refusal."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True, max_length=64)
    file_name: str = Field(max_length=255)
    actor: str = Field(max_length=64)
    rows: int
    forms: int
    imported_at: datetime
