"""Exports asked for in the staff console: made in the background, kept until downloaded or
expired. The file lives in the row, so the console needs no shared disk and a restart loses
nothing but the exports still being made (marked failed when the service starts again)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel


class StaffExport(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64, index=True)
    format: str = Field(max_length=32)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Study ids only: no names, phone numbers or free text (always so for researchers).
    deidentified: bool = True
    state: str = Field(default="queued", max_length=16)  # queued | running | ready | failed
    file_name: str = Field(default="", max_length=128)
    media_type: str = Field(default="", max_length=128)
    rows: int | None = None
    size: int | None = None
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    finished_at: datetime | None = None
    expires_at: datetime
