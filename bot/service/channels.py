"""The channels `pathbot run` can enable: one line per channel module.

Each factory reads the settings it needs and returns an adapter talking to the given port, or
None when the channel is not configured. Adding a channel is one module in bot/channels/ and one
line here.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import ChannelAdapter, ChannelConfigError
from bot.channels.port import ChannelPort
from bot.channels.sms.adapter import sms_channel
from bot.channels.telegram.adapter import telegram_channel
from bot.channels.voice.adapter import voice_channel
from bot.service.settings import Settings, SettingsError

ChannelFactory = Callable[[Settings, ChannelPort], ChannelAdapter | None]

CHANNEL_FACTORIES: list[ChannelFactory] = [telegram_channel, sms_channel, voice_channel]


def enabled_channels(settings: Settings, port: ChannelPort) -> list[ChannelAdapter]:
    try:
        channels = [factory(settings, port) for factory in CHANNEL_FACTORIES]
    except ChannelConfigError as exc:
        raise SettingsError(str(exc)) from exc
    return [c for c in channels if c is not None]
