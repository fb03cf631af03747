"""Tables for cohort calendars, alumni rules and survey plans (DESIGN.md §4).

Cohort, Enrolment, Event and Rsvp live in `bot/db/models.py`; these tables add what makes the
calendar reproducible: the rule behind each event, and which survey is due when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
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
    sitting: int = 1  # a long battery is split into sittings that open on different days
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
