"""Files with patient data are created 0600 and their folders 0700 (issue 15): the SQLite
database and its WAL, exports, reports and QR codes; the systemd unit sets UMask=0077."""

from __future__ import annotations

import configparser
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.database import make_engine, upgrade
from bot.db.private_files import make_private_dir, open_private, private_umask
from tests.test_cli import pathbot

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    """The loosest usual umask (022): files are private because pathbot makes them so."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_sqlite_database_and_its_wal_are_private(tmp_path: Path, open_umask: object) -> None:
    db = tmp_path / "clinic.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn:  # WAL and shm exist while a connection is open
        conn.execute(text("SELECT * FROM t")).all()
        files = [p for p in tmp_path.iterdir() if p.name.startswith("clinic.db")]
        assert {p.name for p in files} >= {"clinic.db", "clinic.db-wal", "clinic.db-shm"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    engine.dispose()


def test_migrations_create_the_sqlite_database_private(tmp_path: Path, open_umask: object) -> None:
    """The service and tests migrate in-process, without the CLI's umask: the file migrations
    create is 0600 all the same, and so are the WAL files of an engine opened on it."""
    db = tmp_path / "new.db"
    upgrade(f"sqlite:///{db}")
    assert mode(db) == 0o600
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() >= 1
        files = [p for p in tmp_path.iterdir() if p.name.startswith("new.db")]
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    engine.dispose()


def test_exports_reports_and_qr_codes_from_the_cli_are_private(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    env = {"PATHBOT_TELEGRAM_BOT_USERNAME": "pathbot_demo_bot"}
    assert pathbot("patient", "add", "P-1", "--db", db).returncode == 0
    out_dir = tmp_path / "invites" / "today"
    made = pathbot(
        "patient", "invite", "P-1", "--channel", "telegram", "--out-dir", str(out_dir),
        "--db", db, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (qr,) = out_dir.iterdir()
    assert mode(qr) == 0o600 and mode(out_dir) == 0o700 and mode(out_dir.parent) == 0o700
    for fmt, name in (("csv", "r.csv"), ("xlsx", "r.xlsx"), ("redcap", "r_redcap.csv")):
        done = pathbot("export", "--format", fmt, "--out", str(tmp_path / name), "--db", db)
        assert done.returncode == 0, done.stderr
    exported = [p for p in tmp_path.iterdir() if p.suffix in (".csv", ".xlsx")]
    assert len(exported) == 4  # and the REDCap dictionary
    assert {p.name: mode(p) for p in exported} == {p.name: 0o600 for p in exported}
    assert mode(tmp_path / "p.db") == 0o600


def test_an_existing_world_readable_database_is_made_private_on_start(
    tmp_path: Path, open_umask: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A database from before files were private (or copied in) is tightened, with its WAL and
    shared-memory files, when pathbot opens it; the log says so without saying what is in it."""
    db = tmp_path / "clinic.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x)"))
        conn.execute(text("INSERT INTO t VALUES ('Maria Lopez, +18025550100')"))
    with engine.connect() as conn:  # keep the WAL and shm in place while the files loosen
        conn.execute(text("SELECT * FROM t")).all()
        files = [db, tmp_path / "clinic.db-wal", tmp_path / "clinic.db-shm"]
        for path in files:
            path.chmod(0o644)
        with caplog.at_level("WARNING", logger="bot.db.database"):
            again = make_engine(f"sqlite:///{db}")  # what every command does when it starts
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        with again.connect() as other:  # and the data is all there
            assert other.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
        again.dispose()
    engine.dispose()
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        f"{name} was readable by other users (mode 0644); made owner-only (0600)"
        for name in ("clinic.db", "clinic.db-wal", "clinic.db-shm")
    ]
    assert not any(str(tmp_path) in line or "Maria" in line for line in said)
    caplog.clear()
    make_engine(f"sqlite:///{db}").dispose()  # private already: nothing to say
    assert caplog.records == []


def test_the_cli_tightens_an_existing_database_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert pathbot("db", "upgrade", "--db", f"sqlite:///{db}").returncode == 0
    db.chmod(0o664)
    done = pathbot("patient", "add", "P-1", "--db", f"sqlite:///{db}")
    assert done.returncode == 0, done.stderr
    assert mode(db) == 0o600
    assert "p.db was readable by other users (mode 0664); made owner-only (0600)" in done.stderr


def test_an_existing_export_file_is_made_private_when_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("x")
    path.chmod(0o644)
    with open_private(path, "w") as fh:
        fh.write("y")
    assert mode(path) == 0o600 and path.read_text() == "y"
    folder = make_private_dir(tmp_path / "a" / "b")
    assert mode(folder) == mode(folder.parent) == 0o700
    with private_umask():
        (tmp_path / "by-other-means").write_text("z")
    assert mode(tmp_path / "by-other-means") == 0o600


def test_the_systemd_unit_sets_a_private_umask() -> None:
    for name in ("pathbot.service", "pathbot-purge.service"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(ROOT / "deploy" / name, encoding="utf-8")
        assert unit["Service"]["UMask"] == "0077", name
