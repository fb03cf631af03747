"""Usage errors are one line, whatever the command: a group named without one of its commands
(`pathbot staff`) or no command at all printed the whole top-level help before, and exited 2."""

from __future__ import annotations

import argparse
import io

import pytest

from bot.cli.main import build_parser, main
from surveys import score_cli
from tests.test_cli import pathbot


def _groups() -> list[str]:
    """Every command that has commands of its own and does nothing without one."""
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(
        name
        for name, sub in commands.choices.items()
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        and sub.get_default("run") is None
    )


def _one_line_usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathbot: "), err
    return lines[0]


def test_there_are_groups_to_check() -> None:
    assert {"db", "patient", "staff"} <= set(_groups())


@pytest.mark.parametrize("group", _groups())
def test_a_group_without_a_command_names_its_commands_on_one_line(
    group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line_usage_error(capsys, group)
    assert line.startswith(f"pathbot: {group}: choose a command: ")
    assert line.endswith(f"(see: pathbot {group} --help)")


def test_no_command_at_all_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_usage_error(capsys)
    assert line.startswith("pathbot: choose a command: score, ")
    assert "staff" in line and line.endswith("(see: pathbot --help)")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "the following arguments are required: instrument"),
        (("promis29", "--version"), "argument --version: expected one argument"),
        (("promis29", "--bogus"), "unrecognized arguments: --bogus"),
    ],
)
def test_score_usage_errors_are_one_line(args: tuple[str, ...], says: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert score_cli.main(list(args), stdin=io.StringIO("{}"), stdout=out, stderr=err) == 2
    assert out.getvalue() == "" and err.getvalue() == f"pathbot score: error: {says}\n"


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (("staff",), "pathbot: staff: choose a command: add, list"),
        (("score",), "pathbot score: error: the following arguments are required: instrument"),
    ],
)
def test_the_installed_command_says_the_same(args: tuple[str, ...], starts: str) -> None:
    done = pathbot(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(starts) and done.stderr.count("\n") == 1
