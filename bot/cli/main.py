"""The `pathbot` command line. Subcommands live in `bot/cli/`, one module per group."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.channels.base import ChannelConfigError
from bot.cli.commands import command_modules
from bot.cli.common import CommandError
from bot.db.database import DatabaseUnavailable
from bot.db.private_files import private_umask
from bot.service.settings import SettingsError
from surveys import score_cli
from surveys.loader import InstrumentError


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["score"]:  # its own parser, so `pathbot score --help` is the scorer's
        return score_cli.main(args[1:])
    parser = build_parser(args[0] if args else None)
    ns = parser.parse_args(args)
    if not hasattr(ns, "run"):
        missing_command(parser, args)
    try:
        # Patient data on disk (the SQLite file, exports, QR codes) is the service account's only.
        with private_umask():
            return int(ns.run(ns))
    except (SettingsError, ChannelConfigError) as exc:
        print(f"pathbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"pathbot: {exc}", file=sys.stderr)
        return 3
    except (InstrumentError, CommandError) as exc:
        print(f"pathbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `pathbot audit | head`: the reader has what it wanted; don't print a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


class OneLineParser(argparse.ArgumentParser):
    """A usage error on one line, like every other failure (argparse prints the whole usage
    first, which buries the one line that says what is wrong); --help still shows it all."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("pathbot").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"pathbot: {where}{message} (see: {self.prog} --help)\n")


def missing_command(parser: argparse.ArgumentParser, args: Sequence[str]) -> NoReturn:
    """`pathbot` or `pathbot GROUP` without a command: one line naming the commands to choose
    from, like every other usage error (this printed the whole top-level help before)."""
    for word in args:
        commands = _commands(parser)
        if word not in commands:
            break
        parser = commands[word]
    parser.error("choose a command: " + ", ".join(_commands(parser)))


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps a group's sub-commands on this action
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    # Sub-command parsers are made of the parent's class, so every level is a OneLineParser.
    parser = OneLineParser(prog="pathbot", description=__doc__)
    sub = parser.add_subparsers(title="commands")
    sub.add_parser("score", help="score answers given as JSON on stdin (see `pathbot score -h`)")
    for module in command_modules(command):
        module.register(sub)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
