"""Tell staff about alerts: urgent ones at once and again until acknowledged, the rest in digests.

One notice per alert per staff channel (the AlertNotice table is the memory), so a restart or a
second round never repeats one; a failed send writes nothing and is retried on the next round.
Crisis alerts (and undelivered crisis answers) are urgent; every other kind (clinical flags,
missed surveys or sessions, opt-outs, distress, call requests) waits for the next digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.clinic.alerts.staff_channels import StaffChannel
from bot.db.database import session_scope
from bot.db.export_models import AlertNotice
from bot.db.models import Alert, Patient

log = logging.getLogger(__name__)

# Crisis language, and a crisis answer or HELP text that could not be delivered
# (bot/clinic/alerts/delivery.py).
# Text triage could not read (a script no rules file covers) may be crisis language: urgent too.
URGENT_KINDS = frozenset({"crisis", "reply_undelivered", "needs_review"})


@dataclass(frozen=True)
class Notice:
    """One message to one staff channel and the alerts it tells about."""

    channel: str
    kind: str  # immediate | resend | digest | escalation
    alert_ids: tuple[int, ...]
    text: str


@dataclass
class NotifyReport:
    sent: list[Notice] = field(default_factory=list)
    failed: list[Notice] = field(default_factory=list)


def immediate_text(alert_id: int, study_id: str, kind: str) -> str:
    return (
        f"pathbot ALERT #{alert_id}: {kind.upper()} for study id {study_id}. "
        f"Please review now and acknowledge: pathbot alerts ack {alert_id}"
    )


def resend_text(alert_id: int, study_id: str, kind: str) -> str:
    return (
        f"pathbot ALERT #{alert_id} NOT YET ACKNOWLEDGED: {kind.upper()} for study id "
        f"{study_id}. Please review now and acknowledge: pathbot alerts ack {alert_id}"
    )


def escalation_text(alert_id: int, study_id: str, kind: str, minutes: int) -> str:
    return (
        f"pathbot ALERT #{alert_id} ESCALATED: {kind.upper()} for study id {study_id} has not "
        f"been acknowledged for {minutes} minutes. Please review now and acknowledge: "
        f"pathbot alerts ack {alert_id}"
    )


def digest_text(rows: Sequence[tuple[int, str, str]]) -> str:
    lines = [f"pathbot: {len(rows)} new alert(s) to review (pathbot alerts list):"]
    lines += [f"#{alert_id} {study_id} {kind}" for alert_id, study_id, kind in rows]
    return "\n".join(lines)


def plan_notices(
    session: Session,
    channels: Sequence[str],
    now: datetime,
    *,
    resend_after: timedelta,
    digest_every: timedelta,
    escalation: Sequence[str] = (),
    escalate_after: timedelta | None = None,
) -> list[Notice]:
    """What each staff channel should be told now.

    `escalation` channels are the second contact: they hear only of urgent alerts nobody has
    acknowledged within `escalate_after`, then again on the re-send schedule until someone does.
    """
    open_alerts = session.exec(
        select(Alert, Patient.study_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .where(Alert.status == "open")
        .order_by(col(Alert.id))
    ).all()
    notices: list[Notice] = []
    for channel in [*channels, *escalation]:
        second_contact = channel in escalation
        last_sent = dict(
            session.exec(
                select(AlertNotice.alert_id, func.max(AlertNotice.sent_at))
                .where(AlertNotice.channel == channel)
                .group_by(col(AlertNotice.alert_id))
            ).all()
        )
        last_digest = session.exec(
            select(func.max(AlertNotice.sent_at)).where(
                AlertNotice.channel == channel, AlertNotice.kind == "digest"
            )
        ).first()
        digest: list[tuple[int, str, str]] = []
        for alert, study_id in open_alerts:
            assert alert.id is not None
            sent = last_sent.get(alert.id)
            if second_contact:
                if alert.kind not in URGENT_KINDS or escalate_after is None:
                    continue
                if sent is None and _aware(alert.created_at) + escalate_after <= now:
                    minutes = int(escalate_after.total_seconds() // 60)
                    text = escalation_text(alert.id, study_id, alert.kind, minutes)
                    notices.append(Notice(channel, "escalation", (alert.id,), text))
                elif sent is not None and _aware(sent) + resend_after <= now:
                    text = resend_text(alert.id, study_id, alert.kind)
                    notices.append(Notice(channel, "resend", (alert.id,), text))
                continue
            if alert.kind in URGENT_KINDS:
                if sent is None:
                    text = immediate_text(alert.id, study_id, alert.kind)
                    notices.append(Notice(channel, "immediate", (alert.id,), text))
                elif _aware(sent) + resend_after <= now:
                    text = resend_text(alert.id, study_id, alert.kind)
                    notices.append(Notice(channel, "resend", (alert.id,), text))
            elif sent is None:
                digest.append((alert.id, study_id, alert.kind))
        if digest and (last_digest is None or _aware(last_digest) + digest_every <= now):
            ids = tuple(a for a, _, _ in digest)
            notices.append(Notice(channel, "digest", ids, digest_text(digest)))
    return notices


async def notify_pending_alerts(
    db: Engine,
    now: datetime,
    channels: Sequence[StaffChannel],
    *,
    resend_after: timedelta,
    digest_every: timedelta,
    escalation: Sequence[StaffChannel] = (),
    escalate_after: timedelta | None = None,
) -> NotifyReport:
    """One round: send what is due to every staff channel and remember what was sent."""
    report = NotifyReport()
    if not channels and not escalation:
        return report
    notices = await asyncio.to_thread(
        _plan,
        db,
        [c.name for c in channels],
        now,
        resend_after,
        digest_every,
        [c.name for c in escalation],
        escalate_after,
    )
    by_name = {c.name: c for c in [*channels, *escalation]}
    for notice in notices:
        try:
            await by_name[notice.channel].send(notice.text)
        except Exception as exc:  # noqa: BLE001 - any failure: retry on the next round
            # The exception text can hold a bot token in a URL; log its type only.
            log.warning("staff %s notice failed: %s", notice.channel, type(exc).__name__)
            report.failed.append(notice)
            continue
        await asyncio.to_thread(_remember, db, notice, now)
        report.sent.append(notice)
    return report


def _plan(
    db: Engine,
    channels: list[str],
    now: datetime,
    resend: timedelta,
    digest: timedelta,
    escalation: list[str],
    escalate_after: timedelta | None,
) -> list[Notice]:
    with Session(db) as session:
        return plan_notices(
            session,
            channels,
            now,
            resend_after=resend,
            digest_every=digest,
            escalation=escalation,
            escalate_after=escalate_after,
        )


def _remember(db: Engine, notice: Notice, now: datetime) -> None:
    with session_scope(db) as session:
        for alert_id in notice.alert_ids:
            session.add(
                AlertNotice(
                    alert_id=alert_id, channel=notice.channel, kind=notice.kind, sent_at=now
                )
            )


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for UTC columns in aggregates."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
