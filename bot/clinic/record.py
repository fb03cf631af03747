"""One patient's record as staff read it: facts, channels, consent, messages, the survey plan
with each assignment's state, answers, scores, alerts, invitations and cohorts.

Identity (name, phone numbers and other addresses, message text, typed answers) is read only
when the caller may see it (`with_identity`); otherwise those fields are None in every fact this
module returns, so no page or template can show them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.clinic.alerts.manage import AlertView, list_alerts
from bot.db.invite_models import EnrolmentCode
from bot.db.models import (
    ChannelIdentity,
    Cohort,
    ConsentRecord,
    Enrolment,
    InboundMessage,
    ItemResponse,
    OutboxMessage,
    Patient,
    Score,
    SurveyAssignment,
)
from bot.db.schedule_models import PlannedSurvey, SurveyPlanEntry

MESSAGE_LIMIT = 100


@dataclass(frozen=True)
class ChannelFact:
    channel: str
    address: str | None
    status: str
    since: datetime


@dataclass(frozen=True)
class ConsentFact:
    channel: str
    address: str | None
    program: str
    text_version: str
    language: str
    method: str
    granted_at: datetime
    revoked_at: datetime | None
    revoked_via: str | None


@dataclass(frozen=True)
class MessageFact:
    direction: str  # in | out
    channel: str
    kind: str  # inbound: "message"; outbound: reply | prompt | crisis | reminder ...
    text: str | None
    status: str  # inbound: received (or the triage tier); outbound: the delivery status
    error_code: str | None
    at: datetime


@dataclass(frozen=True)
class AnswerFact:
    item_id: str
    raw_text: str | None
    option_code: int | None
    coded_value: int | None
    status: str
    channel: str
    answered_at: datetime


@dataclass(frozen=True)
class ScoreFact:
    scale_id: str
    status: str
    raw: float | None
    t: float | None
    mean: float | None
    band: str | None
    descriptor: str | None


@dataclass(frozen=True)
class AssignmentFact:
    id: int
    instrument_id: str
    instrument_version: str
    timepoint: str
    language: str
    translation_status: str
    sitting: int | None  # from the cohort's plan; None for an ad-hoc survey
    opens_at: datetime
    due_at: datetime
    expires_at: datetime
    state: str
    nudges_sent: int
    offered_at: datetime | None
    completed_at: datetime | None
    answers: list[AnswerFact]
    scores: list[ScoreFact]


@dataclass(frozen=True)
class InviteFact:
    channel: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    state: str  # live | used | replaced | expired


@dataclass(frozen=True)
class CohortFact:
    name: str
    role: str
    enrolled_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class PatientRecord:
    id: int
    study_id: str
    name: str | None
    locale: str
    timezone: str
    status: str
    alumni_opt_out: bool
    preferred_channel: str | None
    created_at: datetime
    channels: list[ChannelFact]
    consents: list[ConsentFact]
    messages: list[MessageFact]
    assignments: list[AssignmentFact]
    alerts: list[AlertView]
    invites: list[InviteFact]
    cohorts: list[CohortFact]


def patient_record(
    session: Session, study_id: str, *, with_identity: bool, now: datetime
) -> PatientRecord | None:
    patient = session.exec(select(Patient).where(Patient.study_id == study_id)).first()
    if patient is None or patient.id is None:
        return None
    pid = patient.id
    shown = _shown(with_identity)
    return PatientRecord(
        id=pid,
        study_id=patient.study_id,
        name=shown(patient.display_name),
        locale=patient.locale,
        timezone=patient.timezone,
        status=patient.status,
        alumni_opt_out=patient.alumni_opt_out,
        preferred_channel=patient.preferred_channel,
        created_at=patient.created_at,
        channels=[
            ChannelFact(c.channel, shown(c.address), c.status, c.created_at)
            for c in session.exec(
                select(ChannelIdentity)
                .where(ChannelIdentity.patient_id == pid)
                .order_by(col(ChannelIdentity.id))
            )
        ],
        consents=[
            ConsentFact(
                c.channel,
                shown(c.address),
                c.program,
                c.text_version,
                c.language,
                c.method,
                c.granted_at,
                c.revoked_at,
                c.revoked_via,
            )  # fmt: skip
            for c in session.exec(
                select(ConsentRecord)
                .where(ConsentRecord.patient_id == pid)
                .order_by(col(ConsentRecord.granted_at).desc(), col(ConsentRecord.id).desc())
            )
        ],
        messages=_messages(session, pid, with_identity),
        assignments=_assignments(session, pid, with_identity),
        alerts=list_alerts(session, include_acknowledged=True, study_id=study_id),
        invites=_invites(session, pid, now),
        cohorts=[
            CohortFact(name, e.role, e.enrolled_at, e.ended_at)
            for e, name in session.exec(
                select(Enrolment, Cohort.name)
                .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
                .where(Enrolment.patient_id == pid)
                .order_by(col(Enrolment.enrolled_at))
            )
        ],
    )


def _messages(session: Session, pid: int, with_identity: bool) -> list[MessageFact]:
    shown = _shown(with_identity)
    inbound = session.exec(
        select(InboundMessage)
        .where(InboundMessage.patient_id == pid)
        .order_by(col(InboundMessage.received_at).desc())
        .limit(MESSAGE_LIMIT)
    ).all()
    outbound = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.patient_id == pid)
        .order_by(col(OutboxMessage.created_at).desc())
        .limit(MESSAGE_LIMIT)
    ).all()
    facts = [
        MessageFact(
            "in",
            m.channel,
            "message",
            shown(m.body),
            "received" if not m.triage_tier else f"triage tier {m.triage_tier}",
            None,
            m.received_at,
        )  # fmt: skip
        for m in inbound
    ] + [
        MessageFact(
            "out",
            m.channel,
            m.kind,
            shown(m.body),
            m.status,
            m.error_code,
            m.sent_at or m.not_before,
        )  # fmt: skip
        for m in outbound
    ]
    facts.sort(key=lambda m: m.at, reverse=True)
    return facts[:MESSAGE_LIMIT]


def _assignments(session: Session, pid: int, with_identity: bool) -> list[AssignmentFact]:
    shown = _shown(with_identity)
    rows = session.exec(
        select(SurveyAssignment, PlannedSurvey.offered_at, SurveyPlanEntry.sitting)
        .outerjoin(PlannedSurvey, col(PlannedSurvey.assignment_id) == col(SurveyAssignment.id))
        .outerjoin(SurveyPlanEntry, col(SurveyPlanEntry.id) == col(PlannedSurvey.plan_entry_id))
        .where(SurveyAssignment.patient_id == pid)
        .order_by(col(SurveyAssignment.opens_at), col(SurveyAssignment.id))
    ).all()
    answers: dict[int, list[AnswerFact]] = defaultdict(list)
    for r in session.exec(
        select(ItemResponse)
        .where(ItemResponse.patient_id == pid, col(ItemResponse.superseded_at).is_(None))
        .order_by(col(ItemResponse.id))
    ):
        answers[r.assignment_id].append(
            AnswerFact(
                r.item_id,
                shown(r.raw_text),
                r.option_code,
                r.coded_value,
                r.status,
                r.channel,
                r.answered_at,
            )  # fmt: skip
        )
    scores: dict[int, list[ScoreFact]] = defaultdict(list)
    for s in session.exec(select(Score).where(Score.patient_id == pid).order_by(col(Score.id))):
        scores[s.assignment_id].append(
            ScoreFact(s.scale_id, s.status, s.raw, s.t, s.mean, s.band, s.descriptor)
        )
    return [
        AssignmentFact(
            id=a.id or 0,
            instrument_id=a.instrument_id,
            instrument_version=a.instrument_version,
            timepoint=a.timepoint,
            language=a.language,
            translation_status=a.translation_status,
            sitting=sitting,
            opens_at=a.opens_at,
            due_at=a.due_at,
            expires_at=a.expires_at,
            state=a.state,
            nudges_sent=a.nudges_sent,
            offered_at=offered_at,
            completed_at=a.completed_at,
            answers=answers.get(a.id or 0, []),
            scores=scores.get(a.id or 0, []),
        )
        for a, offered_at, sitting in rows
    ]


def _invites(session: Session, pid: int, now: datetime) -> list[InviteFact]:
    facts = []
    for code in session.exec(
        select(EnrolmentCode)
        .where(EnrolmentCode.patient_id == pid)
        .order_by(col(EnrolmentCode.created_at).desc())
    ):
        if code.used_at is not None:
            state = "used"
        elif code.revoked_at is not None:
            state = "replaced"  # a newer invitation revoked it
        elif code.expires_at <= now:
            state = "expired"
        else:
            state = "live"
        facts.append(
            InviteFact(code.channel, code.created_at, code.expires_at, code.used_at, state)
        )
    return facts


def _shown(with_identity: bool) -> Callable[[str | None], str | None]:
    """Identity passes only for a caller who may see it; otherwise None."""

    def shown(value: str | None) -> str | None:
        return value if with_identity else None

    return shown
