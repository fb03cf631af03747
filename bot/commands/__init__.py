"""`pathbot` subcommands, one module per group; each has `register(subparsers)`.

Adding a command group is one module and one line in COMMAND_MODULES.
"""

from __future__ import annotations

from types import ModuleType

from bot.commands import (
    alerts,
    attendance,
    audit,
    cohort,
    console,
    db,
    event,
    export,
    import_,
    patient,
    report,
    run,
    visit,
)

COMMAND_MODULES: list[ModuleType] = [console, run, patient, export, db]
COMMAND_MODULES += [cohort, event, visit, attendance]
COMMAND_MODULES += [import_, report, alerts, audit]
