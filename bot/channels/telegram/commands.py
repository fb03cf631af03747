"""The bot's command menu in each language, and reading a command out of a message."""

from __future__ import annotations

from telegram import Bot, BotCommand, Message, MessageEntity

from bot.conversation.i18n import SUPPORTED_LOCALES, Translator, translator

COMMANDS = ("start", "help", "language", "pause", "resume", "stop", "pain")


def command_menu(tr: Translator) -> list[BotCommand]:
    descriptions = {
        "start": tr.gettext("Join with your clinic link, or start again"),
        "help": tr.gettext("Help and how to reach the clinic"),
        "language": tr.gettext("Change the language"),
        "pause": tr.gettext("Pause the questions"),
        "resume": tr.gettext("Go on with the questions"),
        "stop": tr.gettext("Stop all messages"),
        "pain": tr.gettext("Tell us your pain now"),
    }
    return [BotCommand(name, descriptions[name]) for name in COMMANDS]


async def publish_command_menus(bot: Bot, default_locale: str = "en") -> None:
    """setMyCommands once for everyone (default language) and once per supported language."""
    await bot.set_my_commands(command_menu(translator(default_locale)))
    for locale in SUPPORTED_LOCALES:
        # Telegram takes a two-letter ISO 639-1 code: Dari (fa-AF) phones report "fa".
        code = locale.split("-")[0]
        await bot.set_my_commands(command_menu(translator(locale)), language_code=code)


def read_command(message: Message) -> tuple[str, str] | None:
    """('start', 'CODE') for '/start CODE' or '/start@our_bot CODE'; None for other text."""
    text = message.text or ""
    entity = next(
        (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0),
        None,
    )
    if entity is None:
        return None
    name = text[1 : entity.length].split("@", 1)[0].lower()
    return name, text[entity.length :].strip()
