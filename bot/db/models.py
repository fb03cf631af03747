"""The tables staff read with any SQL client. Every datetime is timezone-aware UTC.

Layout follows DESIGN.md §8. Schema changes go through Alembic migrations in `bot/migrations`
(`pathbot db upgrade`); never call `create_all` outside tests.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Patient(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    study_id: str = Field(index=True, unique=True, max_length=64)
    display_name: str = Field(default="", max_length=200)
    locale: str = Field(default="en", max_length=16)
    timezone: str = Field(default="America/New_York", max_length=64)
    # active | paused | stopped (opted out everywhere) | crisis_hold (staff must clear)
    status: str = Field(default="active", max_length=16)
    alumni_opt_out: bool = False
    preferred_channel: str | None = Field(default=None, max_length=16)
    created_at: datetime
    # For the phone line's identity check (PATHBOT_VOICE_IDENTITY_CHECK=dob4, issue 20): never
    # logged, exported or put in a message.
    date_of_birth: date | None = None


class ChannelIdentity(SQLModel, table=True):
    """How to reach a patient on one channel: a Telegram chat id, an E.164 phone, a console name."""

    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    # active | stopped (opted out on this channel) | unreachable (blocked bot, dead number)
    status: str = Field(default="active", max_length=16)
    created_at: datetime


class ConsentRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    program: str = Field(default="surveys", max_length=32)  # surveys | reminders | alumni
    text_version: str = Field(max_length=32)
    language: str = Field(max_length=16)
    method: str = Field(max_length=32)  # keyword | deep_link | staff | console
    granted_at: datetime
    revoked_at: datetime | None = None
    revoked_via: str | None = Field(default=None, max_length=32)


class Cohort(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    start_date: date
    weeks: int = 13
    timezone: str = Field(max_length=64)
    session_weekday: int | None = None  # 0 = Monday
    session_time: str | None = Field(default=None, max_length=5)  # "14:00" local
    session_minutes: int = 90
    location: str | None = Field(default=None, max_length=200)
    video_link: str | None = Field(default=None, max_length=500)
    created_at: datetime


class Enrolment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cohort_id", "patient_id"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    role: str = Field(default="participant", max_length=16)  # participant | alumnus
    enrolled_at: datetime
    ended_at: datetime | None = None


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # session | alumni_meeting | visit
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime | None = None
    location: str | None = Field(default=None, max_length=200)
    video_link: str | None = Field(default=None, max_length=500)
    status: str = Field(default="scheduled", max_length=16)  # scheduled | moved | cancelled
    created_at: datetime


class Rsvp(SQLModel, table=True):
    """A patient's answer to a reminder, and whether they actually attended."""

    __table_args__ = (UniqueConstraint("event_id", "patient_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    response: str = Field(default="unknown", max_length=16)  # coming | not_coming | unknown
    responded_at: datetime | None = None
    attended: bool | None = None


class SurveyAssignment(SQLModel, table=True):
    # For the staff console: what is due or overdue (counted from the index alone), per patient.
    __table_args__ = (
        Index("ix_surveyassignment_state_due", "state", "due_at", "expires_at", "patient_id"),
        Index("ix_surveyassignment_patient_state", "patient_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    instrument_id: str = Field(max_length=64)
    instrument_version: str = Field(max_length=32)
    timepoint: str = Field(default="adhoc", max_length=32)  # baseline | post | visit | adhoc | ...
    event_id: int | None = Field(default=None, foreign_key="event.id")
    language: str = Field(max_length=16)
    translation_status: str = Field(default="validated", max_length=16)  # or "unvalidated"
    opens_at: datetime
    due_at: datetime
    expires_at: datetime
    # pending | in_progress | paused | completed | missed | cancelled | refused (no usable language)
    state: str = Field(default="pending", max_length=16, index=True)
    nudges_sent: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None


class ItemResponse(SQLModel, table=True):
    """One answer to one item. A BACK revision keeps the old row, marked superseded."""

    __table_args__ = (Index("ix_itemresponse_assignment_item", "assignment_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="surveyassignment.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    instrument_id: str = Field(max_length=64)
    item_id: str = Field(max_length=64)
    raw_text: str = ""
    option_code: int | None = None  # the number the patient chose
    coded_value: int | None = None  # the scored value printed on the form
    status: str = Field(max_length=16)  # answered | skipped
    parser_version: str = Field(max_length=16)
    language: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    provider_message_id: str | None = Field(default=None, max_length=128)
    answered_at: datetime
    superseded_at: datetime | None = None


class Score(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("assignment_id", "scale_id", "scoring_revision"),)
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="surveyassignment.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    instrument_id: str = Field(max_length=64)
    instrument_version: str = Field(max_length=32)
    scoring_revision: str = Field(max_length=32)
    scale_id: str = Field(max_length=64)
    status: str = Field(max_length=16)  # complete | incomplete
    raw: float | None = None
    t: float | None = None
    se: float | None = None
    mean: float | None = None
    band: str | None = Field(default=None, max_length=32)
    descriptor: str | None = Field(default=None, max_length=120)
    computed_at: datetime


class Conversation(SQLModel, table=True):
    """The engine's state for one patient, so a survey resumes after days or a restart."""

    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime


class InboundMessage(SQLModel, table=True):
    """Every message received; the unique provider id makes a webhook retry a no-op."""

    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        # the last hour of a channel's messages: enrolment attempts are throttled by it
        Index("ix_inboundmessage_channel_received_at", "channel", "received_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    provider_message_id: str = Field(max_length=128)
    address: str = Field(max_length=64)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    body: str = ""
    received_at: datetime
    triage_tier: int = 0


# The conditions of the outbox's partial indexes, as the claims write them too.
PENDING_SQL = "status = 'pending'"
SAFETY_SQL = "kind IN ('crisis', 'help')"  # SAFETY_KINDS (tests keep the two equal)


class OutboxMessage(SQLModel, table=True):
    """A message to send; written in the same transaction as the change that caused it."""

    # Every claim asks whether an earlier row to the same address is unsent (a patient's
    # messages keep their order): without this index each asked it of the whole backlog
    # (30,000 due rows: a claim took 4.5 ms on SQLite, 12.8 on PostgreSQL; with it 1.1, 1.9).
    # The dispatcher's claims search pending rows in id order and stop at a batch (see
    # `_due_rows`): these partial indexes hold only pending rows (few, unless a channel is
    # behind), all of them by channel (with `not_before`, so rows not yet due are passed over
    # in the index), and the safety replies apart (fewer still). The claims
    # write these same conditions as literals: SQLite uses a partial index only when the query
    # states its condition in so many words.
    __table_args__ = (
        Index("ix_outboxmessage_address_id", "address", "id"),
        Index(
            "ix_outboxmessage_pending",
            "channel",
            "id",
            "not_before",
            sqlite_where=text(PENDING_SQL),
            postgresql_where=text(PENDING_SQL),
        ),
        Index(
            "ix_outboxmessage_pending_safety",
            "channel",
            "id",
            sqlite_where=text(f"{PENDING_SQL} AND {SAFETY_SQL}"),
            postgresql_where=text(f"{PENDING_SQL} AND {SAFETY_SQL}"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # reply | prompt | crisis | confirmation | reminder
    body: str
    hint: str = ""  # "Reply 1-5. SKIP, BACK, PAUSE": text channels show it under the options
    options: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    in_reply_to: int | None = Field(default=None, foreign_key="inboundmessage.id")
    # pending | sending | sent | delivered | failed | cancelled | dropped (stale, recorded)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    not_before: datetime
    provider_message_id: str | None = Field(default=None, max_length=128)
    error_code: str | None = Field(default=None, max_length=32)
    segments: int | None = None
    created_at: datetime
    sent_at: datetime | None = None
    # A dispatcher's lease while status is "sending": an expired lease means it crashed mid-send.
    claimed_at: datetime | None = None
    # After this the message is stale (a reminder for a session that has begun): dropped, not sent.
    expires_at: datetime | None = None


class Alert(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(
        max_length=32
    )  # crisis | clinical | opt_out | missed_survey | missed_sessions
    tier: int | None = None
    rule_id: str | None = Field(default=None, max_length=64)
    rules_version: str | None = Field(default=None, max_length=32)
    inbound_message_id: int | None = Field(default=None, foreign_key="inboundmessage.id")
    # open | acknowledged | resolved | historical (a months-old paper form's flag)
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = Field(default=None, max_length=64)
    # Staff handling (the console): who it is assigned to, and when it was closed and by whom.
    # The history of each step is in AlertNote (bot/db/staff_models.py).
    assigned_to: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=64)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(index=True)


class StaffUser(SQLModel, table=True):
    """A person who signs in to the staff console; sessions and codes in staff_models.py."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(default="", max_length=255)  # Argon2id, PHC string
    # administrator | coordinator | clinician | researcher (bot/clinic/staff/roles.py)
    role: str = Field(default="coordinator", max_length=32)
    active: bool = True
    created_at: datetime
    # TOTP second factor: the shared secret (base32) once enrolment is confirmed.
    mfa_secret: str | None = Field(default=None, max_length=64)
    mfa_enrolled_at: datetime | None = None
    # The last TOTP time step accepted: a code is good once (no replay within its 30 s).
    mfa_last_step: int | None = None
    must_change_password: bool = False
    password_changed_at: datetime | None = None
    last_sign_in_at: datetime | None = None
