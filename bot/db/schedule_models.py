"""Tables for cohort calendars, alumni rules and survey plans (DESIGN.md §4).

Cohort, Enrolment, Event and Rsvp live in `bot/db/models.py`; these tables add what makes the
calendar reproducible: the rule behind each event, and which survey is due when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class EventOccurrence(SQLModel, table=True):
    """The rule occurrence an event was made from; the unique key makes materialising idempotent.

    Keys: "cohort:{cohort_id}:week:{n}" for group sessions, "alumni:{rule_id}:{yyyy-mm}" for
    alumni meetings. A second scheduler that tries the same occurrence hits the unique key.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=100)
    event_id: int = Field(foreign_key="event.id", index=True)
    sequence: int = 0  # week number (1-based) or month index


class AlumniRule(SQLModel, table=True):
    """A monthly alumni meeting: "first Tuesday 17:30", "2nd Thursday 18:00", "last Friday"."""

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=100)  # as staff typed it
    ordinal: int  # 1..4, or -1 for the last such weekday of the month
    weekday: int  # 0 = Monday
    local_time: str = Field(max_length=5)  # "17:30"
    timezone: str = Field(max_length=64)
    minutes: int = 60
    location: str | None = Field(default=None, max_length=200)
    video_link: str | None = Field(default=None, max_length=500)
    active: bool = True
    created_at: datetime


class SurveyPlanEntry(SQLModel, table=True):
    """One instrument a cohort's patients answer, and its window relative to an anchor event.

    anchor: first_session | last_session | each_session | graduation. Offsets are minutes of
    local wall time from the anchor's start (so a DST change does not move them by an hour).
    """

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id", index=True)
    instrument_id: str = Field(max_length=64)
    timepoint: str = Field(max_length=32)  # baseline | post | visit | alumni_3m | alumni_6m
    anchor: str = Field(max_length=16)
    # A long battery is split into sittings of at most about 15 items (bot/schedule/battery.py);
    # an instrument cut between two sittings has one entry per part, each naming its items.
    sitting: int = 1
    item_ids: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    open_offset_minutes: int = 0
    due_offset_minutes: int = 0
    expire_offset_minutes: int = 0
    # Nudges for an unfinished survey, minutes after it opens; at most two are ever sent.
    nudge_minutes: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PlannedSurvey(SQLModel, table=True):
    """An assignment made from a plan entry, and when it was put in front of the patient."""

    assignment_id: int = Field(foreign_key="surveyassignment.id", primary_key=True)
    plan_entry_id: int = Field(foreign_key="surveyplanentry.id", index=True)
    offered_at: datetime | None = Field(default=None, index=True)
    last_nudge_at: datetime | None = None
    # A late baseline (the patient enrolled after the first session): due before the session
    # that followed enrolment, so moving the first session does not re-time it.
    late: bool = False


class BatteryProgress(SQLModel, table=True):
    """A patient's way through one battery (a cohort timepoint answered in several sittings).

    Every answer of one instrument must come from one window of about 72 hours from the first
    answer (recall periods: PROMIS asks about "the past 7 days"); when the window lapses, the
    instruments left unfinished are asked again from their first item and `window_from` moves
    on (bot/schedule/sittings.py).
    """

    __table_args__ = (UniqueConstraint("patient_id", "cohort_id", "timepoint"),)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    cohort_id: int = Field(foreign_key="cohort.id")
    timepoint: str = Field(max_length=32)
    sitting: int = 0  # the sitting offered last, numbered within the current offer
    sittings: int = 0  # how many sittings the current offer has
    offered_at: datetime  # when the current window's first sitting was offered
    next_at: datetime | None = Field(default=None, index=True)  # the next sitting goes out then
    window_from: datetime  # answers at or after this belong to the current window
    reoffers: int = 0  # windows that lapsed with instruments unfinished
    finished_at: datetime | None = None  # nothing left to ask (answered, expired or cancelled)
