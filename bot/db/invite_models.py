"""One-time enrolment codes: staff hand one to a patient (a Telegram link, a QR code)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class EnrolmentCode(SQLModel, table=True):
    """Only the code's SHA-256 is stored, so a database reader cannot redeem codes."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    channel: str = Field(max_length=16)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by_address: str | None = Field(default=None, max_length=64)
    # Set when a newer code was issued to the patient on the same channel (issue_code).
    revoked_at: datetime | None = None
