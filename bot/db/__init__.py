"""Persistence: SQLModel tables, the database engine, and the store functions the pipeline uses.

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
