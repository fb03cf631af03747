"""Staff alert delivery for the running service: the staff channels the settings configure, and
one notification round with the settings' re-send and digest intervals."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clinic.alerts.notify import NotifyReport, notify_pending_alerts
from bot.clinic.alerts.staff_channels import EmailStaffChannel, StaffChannel, TelegramStaffChannel
from bot.service.app import App
from bot.service.settings import Settings


async def notify_staff(
    app: App,
    now: datetime,
    channels: Sequence[StaffChannel] | None = None,
    escalation: Sequence[StaffChannel] | None = None,
) -> NotifyReport:
    """Tell staff what is due now, on the given channels or those the settings configure."""
    settings = app.settings
    return await notify_pending_alerts(
        app.db,
        now,
        list(channels) if channels is not None else staff_channels(settings),
        resend_after=timedelta(minutes=settings.alert_resend_minutes),
        digest_every=timedelta(minutes=settings.alert_digest_minutes),
        escalation=escalation_channels(settings) if escalation is None else list(escalation),
        escalate_after=timedelta(minutes=settings.alert_escalate_minutes),
    )


def escalation_channels(settings: Settings) -> list[StaffChannel]:
    """The second contact (`PATHBOT_ALERT_ESCALATE_*`): unacknowledged crisis alerts only."""
    channels: list[StaffChannel] = []
    token = settings.staff_telegram_bot_token or settings.telegram_bot_token
    if settings.alert_escalate_telegram_chat_id and token and token.get_secret_value():
        telegram = TelegramStaffChannel(
            token=token.get_secret_value(),
            chat_id=settings.alert_escalate_telegram_chat_id,
            api_base_url=settings.telegram_api_base_url,
        )
        telegram.name = "esc-telegram"  # its own notice memory (AlertNotice.channel, 16 chars)
        channels.append(telegram)
    recipients = [
        a.strip() for a in (settings.alert_escalate_email_to or "").split(",") if a.strip()
    ]
    if settings.smtp_host and settings.alert_email_from and recipients:
        email = EmailStaffChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.alert_email_from,
            recipients=recipients,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
        email.name = "esc-email"
        channels.append(email)
    return channels


def staff_channels(settings: Settings) -> list[StaffChannel]:
    """The staff channels the settings configure (none when nothing is set)."""
    channels: list[StaffChannel] = []
    token = settings.staff_telegram_bot_token or settings.telegram_bot_token
    if settings.staff_telegram_chat_id and token and token.get_secret_value():
        channels.append(
            TelegramStaffChannel(
                token=token.get_secret_value(),
                chat_id=settings.staff_telegram_chat_id,
                api_base_url=settings.telegram_api_base_url,
            )
        )
    recipients = [a.strip() for a in (settings.alert_email_to or "").split(",") if a.strip()]
    if settings.smtp_host and settings.alert_email_from and recipients:
        channels.append(
            EmailStaffChannel(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.alert_email_from,
                recipients=recipients,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username or None,
                password=settings.smtp_password.get_secret_value()
                if settings.smtp_password
                else None,
            )
        )
    return channels


CHECK_SECONDS = 15.0
NONE_CONFIGURED = (
    "no staff alert channel is configured (set PATHBOT_STAFF_TELEGRAM_CHAT_ID, or "
    "PATHBOT_SMTP_HOST with PATHBOT_ALERT_EMAIL_FROM and PATHBOT_ALERT_EMAIL_TO)"
)


@dataclass(frozen=True)
class ChannelCheck:
    name: str
    ok: bool
    reason: str  # the failure's type and a short word, never a token or address


async def check_staff_channels(channels: Sequence[StaffChannel]) -> list[ChannelCheck]:
    """Try every staff channel without sending anything (bad token, unknown chat, SMTP login)."""
    checks = []
    for channel in channels:
        try:
            await asyncio.wait_for(channel.check(), CHECK_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any failure means crisis alerts may not arrive
            # the exception text can hold a token in a URL: its type only
            reason = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
            checks.append(ChannelCheck(channel.name, False, reason))
        else:
            checks.append(ChannelCheck(channel.name, True, "ok"))
    return checks


def undeliverable_reason(checks: Sequence[ChannelCheck]) -> str | None:
    """Why crisis alerts would reach nobody, or None when at least one channel works."""
    if not checks:
        return NONE_CONFIGURED
    if any(c.ok for c in checks):
        return None
    failed = "; ".join(f"{c.name}: {c.reason}" for c in checks)
    return f"no staff alert channel works ({failed})"
