"""The patient list, searched and filtered: one query for the console's Patients page and for
`pathbot patient list`.

Names are searched and returned only when the caller may see them (`with_names`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from bot.db.models import (
    ChannelIdentity,
    Cohort,
    Enrolment,
    OutboxMessage,
    Patient,
    SurveyAssignment,
)
from bot.db.store import FAILED_SEND_STATUSES

OPEN_STATES = ("pending", "in_progress", "paused")
STATUSES = ("active", "paused", "stopped", "crisis_hold")


@dataclass(frozen=True)
class PatientFilter:
    text: str = ""  # part of the study id (or of the name, when names may be seen)
    cohort: str = ""  # cohort name
    status: str = ""  # active | paused | stopped | crisis_hold
    channel: str = ""  # has an identity on this channel
    language: str = ""
    opted_out: bool = False  # stopped everywhere, or on at least one channel
    on_hold: bool = False
    overdue: bool = False  # a survey past its due time and still open


@dataclass(frozen=True)
class RosterRow:
    id: int
    study_id: str
    name: str | None
    locale: str
    timezone: str
    status: str
    channels: list[tuple[str, str]] = field(default_factory=list)  # (channel, status)
    cohorts: list[str] = field(default_factory=list)
    overdue: int = 0
    # Channels whose newest message failed for good: staff must see it beside the channel's
    # status (a pending SMS number whose opt-in text never arrived is not just "pending").
    failed_channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    total: int


def list_patients(
    session: Session,
    filters: PatientFilter,
    *,
    now: datetime,
    with_names: bool,
    offset: int = 0,
    limit: int | None = 50,
) -> Roster:
    conditions = _conditions(filters, now=now, with_names=with_names)
    total = session.exec(select(func.count()).select_from(Patient).where(*conditions)).one()
    query = select(Patient).where(*conditions).order_by(col(Patient.study_id)).offset(offset)
    if not with_names:  # the name is not even loaded; touching it would raise
        query = query.options(defer(Patient.display_name, raiseload=True))  # type: ignore[arg-type]  # sqlmodel types the column as Mapped[str]
    if limit is not None:
        query = query.limit(limit)
    patients = session.exec(query).all()
    ids = [p.id for p in patients if p.id is not None]
    channels, cohorts, overdue = _details(session, ids, now)
    failed = last_send_failed(session, ids)
    rows = [
        RosterRow(
            id=p.id or 0,
            study_id=p.study_id,
            name=p.display_name if with_names else None,
            locale=p.locale,
            timezone=p.timezone,
            status=p.status,
            channels=channels.get(p.id or 0, []),
            cohorts=cohorts.get(p.id or 0, []),
            overdue=overdue.get(p.id or 0, 0),
            failed_channels=frozenset(failed.get(p.id or 0, ())),
        )
        for p in patients
    ]
    return Roster(rows=rows, total=int(total))


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The values the filters offer: cohorts, channels and languages in use."""
    return {
        "cohort": list(session.exec(select(Cohort.name).order_by(col(Cohort.name)))),
        "channel": list(
            session.exec(
                select(ChannelIdentity.channel).distinct().order_by(col(ChannelIdentity.channel))
            )
        ),  # fmt: skip
        "language": list(
            session.exec(select(Patient.locale).distinct().order_by(col(Patient.locale)))
        ),
        "status": list(STATUSES),
    }


def _conditions(filters: PatientFilter, *, now: datetime, with_names: bool) -> list[Any]:
    where: list[Any] = []
    text = filters.text.strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        matches = [col(Patient.study_id).ilike(pattern, escape="\\")]
        if with_names:
            matches.append(col(Patient.display_name).ilike(pattern, escape="\\"))
        where.append(or_(*matches))
    if filters.cohort:
        where.append(
            exists().where(
                col(Enrolment.patient_id) == col(Patient.id),
                col(Enrolment.cohort_id) == col(Cohort.id),
                col(Cohort.name) == filters.cohort,
            )
        )
    if filters.status:
        where.append(Patient.status == filters.status)
    if filters.on_hold:
        where.append(Patient.status == "crisis_hold")
    if filters.language:
        where.append(Patient.locale == filters.language)
    if filters.channel:
        where.append(
            exists().where(
                col(ChannelIdentity.patient_id) == col(Patient.id),
                col(ChannelIdentity.channel) == filters.channel,
            )
        )
    if filters.opted_out:
        where.append(
            or_(
                col(Patient.status) == "stopped",
                exists().where(
                    col(ChannelIdentity.patient_id) == col(Patient.id),
                    col(ChannelIdentity.status) == "stopped",
                ),
            )
        )
    if filters.overdue:  # IN, not EXISTS: one pass over the (state, due_at, ...) index
        where.append(
            col(Patient.id).in_(
                select(SurveyAssignment.patient_id).where(
                    col(SurveyAssignment.state).in_(OPEN_STATES),
                    col(SurveyAssignment.due_at) < now,
                )
            )
        )
    return where


def _details(
    session: Session, ids: list[int], now: datetime
) -> tuple[dict[int, list[tuple[str, str]]], dict[int, list[str]], dict[int, int]]:
    channels: dict[int, list[tuple[str, str]]] = defaultdict(list)
    cohorts: dict[int, list[str]] = defaultdict(list)
    overdue: dict[int, int] = {}
    if not ids:
        return channels, cohorts, overdue
    for pid, channel, status in session.exec(
        select(ChannelIdentity.patient_id, ChannelIdentity.channel, ChannelIdentity.status)
        .where(col(ChannelIdentity.patient_id).in_(ids))
        .order_by(col(ChannelIdentity.channel))
    ):
        channels[pid].append((channel, status))
    for pid, name in session.exec(
        select(Enrolment.patient_id, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(col(Enrolment.patient_id).in_(ids))
        .order_by(col(Enrolment.enrolled_at))
    ):
        cohorts[pid].append(name)
    # by patient only (their index): with the state in the query too, a planner may walk
    # every open survey of the clinic instead
    for pid, state, due_at in session.exec(
        select(SurveyAssignment.patient_id, SurveyAssignment.state, SurveyAssignment.due_at).where(
            col(SurveyAssignment.patient_id).in_(ids)
        )
    ):
        if state in OPEN_STATES and due_at < now:
            overdue[pid] = overdue.get(pid, 0) + 1
    return channels, cohorts, overdue


def last_send_failed(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """Per patient, the channels whose newest sent (or tried) message failed for good."""
    if not ids:
        return {}
    finished = ("sent", "delivered", *FAILED_SEND_STATUSES)
    newest = (
        select(func.max(OutboxMessage.id))
        .where(col(OutboxMessage.patient_id).in_(ids), col(OutboxMessage.status).in_(finished))
        .group_by(col(OutboxMessage.patient_id), col(OutboxMessage.channel))
    )
    failed: dict[int, set[str]] = defaultdict(set)
    for pid, channel in session.exec(
        select(OutboxMessage.patient_id, OutboxMessage.channel).where(
            col(OutboxMessage.id).in_(newest),
            col(OutboxMessage.status).in_(FAILED_SEND_STATUSES),
        )
    ):
        if pid is not None:
            failed[pid].add(channel)
    return failed


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
