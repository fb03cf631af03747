"""`pathbot staff ...`: the first administrator from the command line, and account changes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli.main import main
from bot.db.database import make_engine
from bot.db.models import AuditLog, StaffUser

PASSWORD = "correct horse battery staple"


def run(monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(args)


def test_the_first_administrator_and_the_account_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 's.db'}"]
    assert run(monkeypatch, ["staff", "add", "Alice", "--role", "administrator", *db],
               PASSWORD + "\n") == 0  # fmt: skip
    assert "added alice (administrator)" in capsys.readouterr().out
    # refused: weak, duplicate, unknown role (argparse), no password
    assert run(monkeypatch, ["staff", "add", "bob", "--role", "coordinator", *db],
               "password\n") == 2  # fmt: skip
    assert "at least 12 characters" in capsys.readouterr().err
    assert run(monkeypatch, ["staff", "add", "bob", "--role", "coordinator", *db],
               "Password1234!\n") == 2  # fmt: skip
    assert "common passwords" in capsys.readouterr().err
    assert run(monkeypatch, ["staff", "add", "alice", "--role", "researcher", *db],
               PASSWORD + "\n") == 2  # fmt: skip
    assert "already exists" in capsys.readouterr().err
    assert run(monkeypatch, ["staff", "add", "bob", "--role", "coordinator", *db], "") == 2
    assert "no password" in capsys.readouterr().err
    assert run(monkeypatch, ["staff", "add", "bob", "--role", "coordinator", *db],
               "lantern orbit gravel puzzle\n") == 0  # fmt: skip
    # the last administrator stays
    assert run(monkeypatch, ["staff", "disable", "alice", *db]) == 2
    assert "last active administrator" in capsys.readouterr().err
    assert run(monkeypatch, ["staff", "disable", "bob", *db]) == 0
    assert run(monkeypatch, ["staff", "reset-mfa", "bob", *db]) == 0
    assert run(monkeypatch, ["staff", "unlock", "bob", *db]) == 0
    assert run(monkeypatch, ["staff", "password", "bob", "--must-change-password", *db],
               "another fine passphrase\n") == 0  # fmt: skip
    assert run(monkeypatch, ["staff", "disable", "nobody", *db]) == 2
    capsys.readouterr()
    assert run(monkeypatch, ["staff", "list", *db]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("username\trole\tactive\tmfa")
    assert listing[1].startswith("alice\tadministrator\tyes\tno")
    assert listing[2].startswith("bob\tcoordinator\tno\tno")
    engine = make_engine(db[1])
    with Session(engine) as s:
        bob = s.exec(select(StaffUser).where(StaffUser.username == "bob")).one()
        assert bob.password_hash.startswith("$argon2id$") and bob.must_change_password
        actions = [a.action for a in s.exec(select(AuditLog))]
    engine.dispose()
    assert actions == [
        "staff.add", "staff.add", "staff.disable", "staff.reset_mfa", "staff.unlock",
        "staff.password",
    ]  # fmt: skip
