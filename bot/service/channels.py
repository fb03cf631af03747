"""The channels `pathbot run` can enable: one line per channel module.

Each factory returns an adapter when its settings are present, else None.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import ChannelAdapter
from bot.channels.sms.adapter import sms_channel_factory
from bot.channels.telegram.adapter import telegram_channel
from bot.service.app import App

ChannelFactory = Callable[[App], ChannelAdapter | None]

CHANNEL_FACTORIES: list[ChannelFactory] = [telegram_channel, sms_channel_factory]


def enabled_channels(app: App) -> list[ChannelAdapter]:
    return [c for c in (factory(app) for factory in CHANNEL_FACTORIES) if c is not None]
