"""Persistence: SQLModel tables, migrations, the database engine, and the store functions.

Store functions take an open session and never commit; the caller's transaction does. May import
`bot/conversation/` types and `surveys/` only: clinical rules and sending live above it.
Tables live in `bot/db/models.py` and in feature modules named `bot/db/*_models.py`;
`import_all_models()` registers every one of them (migrations and tests call it).
"""

from __future__ import annotations

import importlib
import pkgutil


def import_all_models() -> None:
    import bot.db as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "models" or info.name.endswith("_models"):
            importlib.import_module(f"bot.db.{info.name}")
