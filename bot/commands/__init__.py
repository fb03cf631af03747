"""`pathbot` subcommands, one module per group; each has `register(subparsers)`.

Adding a command group is one module and one line in COMMAND_MODULES.
"""

from __future__ import annotations

from types import ModuleType

from bot.commands import console, db, export, patient, run

COMMAND_MODULES: list[ModuleType] = [console, run, patient, export, db]
