"""Tables of the staff console: sessions, recovery codes, sign-in attempts, alert handling notes.

StaffUser itself lives in `bot/db/models.py`. Secrets are stored only as SHA-256 hashes (session
tokens, recovery codes): a database reader can neither take over a session nor use a code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel


class StaffSession(SQLModel, table=True):
    """One signed-in browser. Revoked by sign-out, "sign out everywhere", disable or MFA reset.

    stage: "mfa" (password accepted, code not yet), "enrol" (must set up MFA first) or "full".
    A new row (and token) is made at each step up, so a token seen before sign-in is worthless.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    stage: str = Field(max_length=16)
    csrf_token: str = Field(max_length=64)
    address: str = Field(default="", max_length=64)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute time-out; the idle one is counted from last_seen_at
    revoked_at: datetime | None = None


class StaffRecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the TOTP code (a lost phone); shown once."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime
    used_at: datetime | None = None


class SignInAttempt(SQLModel, table=True):
    """Every sign-in try, kept to throttle per account and per address (and for the audit)."""

    __table_args__ = (
        Index("ix_signinattempt_username_at", "username", "at"),
        Index("ix_signinattempt_address_at", "address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    stage: str = Field(max_length=16)  # password | mfa | done (signed in) | unlock
    succeeded: bool
    at: datetime


class AlertNote(SQLModel, table=True):
    """One step in an alert's history: acknowledged, assigned, commented, resolved, released."""

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: datetime
