"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse

from bot.settings import get_settings


def database_url(ns: argparse.Namespace) -> str:
    """--db when given, else DATABASE_URL from the settings."""
    return str(getattr(ns, "db", None) or get_settings().database_url)
