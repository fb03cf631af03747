"""What pathbot keeps about people who are not patients: only their refusal to be contacted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class AddressOptOut(SQLModel, table=True):
    """STOP from an address (phone number, chat) that belongs to no patient. Kept after the
    stranger's messages are purged: an invitation to this address is refused until the person
    behind it opts in themselves (START to a pending number, redeeming a Telegram link)."""

    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    opted_out_at: datetime
