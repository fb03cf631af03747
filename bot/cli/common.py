"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.service.settings import Settings, get_settings

if TYPE_CHECKING:  # the app loads only for commands that build one: an export does not
    from bot.service.app import App


class CommandError(Exception):
    """A staff command cannot do what was asked; `pathbot` prints the message on one line and
    exits 2. Raised inside a transaction, it also rolls back whatever the command had begun."""


def database_url(ns: argparse.Namespace) -> str:
    """--db when given, else DATABASE_URL from the settings."""
    return str(getattr(ns, "db", None) or get_settings().database_url)


@contextmanager
def command_app(ns: argparse.Namespace, settings: Settings | None = None) -> Iterator[App]:
    """The app for one staff command (migrated database), disposed of when the command ends."""
    from bot.service.app import build_app

    app = build_app(settings or get_settings(), database_url=database_url(ns))
    try:
        yield app
    finally:
        app.db.dispose()
