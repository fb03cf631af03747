"""Staff alert delivery for the running service: the staff channels the settings configure, and
one notification round with the settings' re-send and digest intervals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clinic.alerts.notify import NotifyReport, notify_pending_alerts
from bot.clinic.alerts.staff_channels import EmailStaffChannel, StaffChannel, TelegramStaffChannel
from bot.service.app import App
from bot.service.settings import Settings


async def notify_staff(
    app: App, now: datetime, channels: Sequence[StaffChannel] | None = None
) -> NotifyReport:
    """Tell staff what is due now, on the given channels or those the settings configure."""
    settings = app.settings
    return await notify_pending_alerts(
        app.db,
        now,
        list(channels) if channels is not None else staff_channels(settings),
        resend_after=timedelta(minutes=settings.alert_resend_minutes),
        digest_every=timedelta(minutes=settings.alert_digest_minutes),
    )


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
