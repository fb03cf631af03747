"""`pathbot` subcommands, one module per group; each has `register(subparsers)`.

Adding a command group is one module and one line in COMMANDS. Modules are imported only when
their command runs (or for `--help`), so a staff command does not pay for every channel library.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# subcommand -> module in this package that registers it
COMMANDS: dict[str, str] = {
    "demo": "console",
    "simulate": "console",
    "run": "run",
    "patient": "patient",
    "export": "export",
    "db": "db",
    "cohort": "cohort",
    "event": "event",
    "visit": "visit",
    "attendance": "attendance",
    "import": "import_",
    "report": "report",
    "alerts": "alerts",
    "audit": "audit",
    "staff": "staff",
    "privacy": "privacy",
    "to-call": "to_call",
    "voice-recordings": "voice_recordings",
    "translations": "translations",
}


def command_modules(command: str | None = None) -> list[ModuleType]:
    """The module for `command`, or every command module (for the full help)."""
    names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [importlib.import_module(f"bot.cli.{name}") for name in names]
