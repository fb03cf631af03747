"""The voice channel's tables: a patient's phone PIN, and each call's state and answered steps.

A call is a conversation of webhooks: Twilio asks for TwiML at every step. `VoiceCall` holds
where the call is (PIN, a question, a read-back waiting for "1 to confirm"); `VoiceCallStep`
keeps what was answered at each step, so a repeated webhook (same CallSid, same step) gets the
same TwiML and changes nothing. Survey progress itself lives in the patient's conversation
state, as on every channel, so a dropped call resumes at the same item next time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class VoicePin(SQLModel, table=True):
    """The PIN a patient set at voice enrolment (Argon2id hash; never the digits)."""

    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    pin_hash: str = Field(max_length=200)
    created_at: datetime


class VoiceCall(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    address: str = Field(max_length=64)  # the patient's number (From inbound, To outbound)
    direction: str = Field(max_length=16)  # inbound | outbound
    # pin | question | confirm | menu | held | ended
    phase: str = Field(default="pin", max_length=16)
    verified: bool = False
    pin_attempts: int = 0
    quiet_turns: int = 0  # gathers in a row that heard nothing
    bad_turns: int = 0  # answers in a row that were no choice of the question
    # An answer heard and read back, waiting for "1 to confirm" (never stored as an answer
    # until then): the item, its survey and the option code.
    pending_item: str | None = Field(default=None, max_length=64)
    pending_survey: int | None = None
    pending_code: int | None = None
    pending_text: str = Field(default="", max_length=200)
    # The survey (assignment) whose introduction this call said: said once per call and survey.
    introduced_survey: int | None = None
    status: str = Field(default="in-progress", max_length=32)  # Twilio's CallStatus
    answered_by: str | None = Field(default=None, max_length=32)
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None


class VoiceCallStep(SQLModel, table=True):
    """The TwiML script answered at one step of one call (for a repeated webhook)."""

    __table_args__ = (UniqueConstraint("call_sid", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64)
    step: int
    script: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime
