"""The `pathbot` command as a user runs it: demo (scripted), simulate, export, db upgrade, score."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pathbot(
    *args: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PATHBOT_ENV": "test", **(env or {})}
    full_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**full_env, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


def test_simulate_then_export_shows_coded_values(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    sim = pathbot(
        "simulate",
        "--instrument",
        "dvprs",
        "--db",
        db,
        stdin="7\nthree\nmy pain is 2 today\nSKIP\n5\nNO\n",
    )
    assert sim.returncode == 0, sim.stderr
    assert "Q1/5." in sim.stdout and "Thank you!" in sim.stdout
    assert "Recorded: 3. Not right? Reply NO." in sim.stdout  # "three" is read back
    assert "You skipped 1 question. Answer it now? YES / NO" in sim.stdout
    exp = pathbot("export", "--format", "csv", "--db", db)
    assert exp.returncode == 0, exp.stderr
    rows = list(csv.DictReader(io.StringIO(exp.stdout)))
    assert [(r["item_id"], r["value"], r["raw_text"], r["status"]) for r in rows] == [
        ("dvprs_pain", "7", "7", "answered"),
        ("dvprs_activity", "3", "three", "answered"),
        ("dvprs_sleep", "2", "my pain is 2 today", "answered"),
        ("dvprs_mood", "", "", "skipped"),
        ("dvprs_stress", "5", "5", "answered"),
    ]
    assert {
        "patient",
        "instrument",
        "item_id",
        "value",
        "raw_text",
        "status",
        "answered_at",
    } <= set(rows[0])
    assert all(r["patient"].startswith("demo-") and r["instrument"] == "dvprs" for r in rows)


def test_simulate_json_one_object_per_message(tmp_path: Path) -> None:
    sim = pathbot(
        "simulate",
        "--instrument",
        "dvprs",
        "--locale",
        "es",
        "--json",
        "--channel",
        "telegram",
        stdin="5\n",
    )
    assert sim.returncode == 0, sim.stderr
    messages = [json.loads(line) for line in sim.stdout.splitlines()]
    assert messages[0]["options"] == [] and "DVPRS" in messages[0]["text"]
    question = messages[1]
    assert question["text"].startswith("P1/5.")
    assert question["options"][0] == {"code": 0, "label": "Sin dolor"}
    assert len(question["options"]) == 11
    assert messages[-1]["text"].startswith("P2/5.")


def test_simulate_without_db_leaves_nothing_behind(tmp_path: Path) -> None:
    sim = pathbot("simulate", "--instrument", "brs", stdin="4\n", cwd=tmp_path)
    assert sim.returncode == 0, sim.stderr
    assert list(tmp_path.iterdir()) == []


def test_simulate_unknown_instrument_is_a_clear_error() -> None:
    sim = pathbot("simulate", "--instrument", "nope")
    assert sim.returncode == 2
    assert "nope" in sim.stderr and "Traceback" not in sim.stderr


def test_export_to_file_and_missing_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    pathbot("simulate", "--instrument", "dvprs", "--db", db, stdin="1\n")
    out = tmp_path / "out.csv"
    exp = pathbot("export", "--format", "csv", "--db", db, "--out", str(out))
    assert exp.returncode == 0 and "exported 1 responses" in exp.stderr
    assert out.read_text(encoding="utf-8").startswith("patient,")
    empty = pathbot("export", "--db", f"sqlite:///{tmp_path / 'empty.db'}")
    assert empty.returncode == 2 and "pathbot db upgrade" in empty.stderr


def test_export_from_unreachable_postgres_is_a_clear_error() -> None:
    exp = pathbot("export", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert exp.returncode == 3
    assert "cannot open the database" in exp.stderr and "Traceback" not in exp.stderr


def test_db_upgrade_creates_schema(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.db'}"
    up = pathbot("db", "upgrade", "--db", db)
    assert up.returncode == 0, up.stderr
    assert (tmp_path / "new.db").exists()
    again = pathbot("db", "upgrade", "--db", db)
    assert again.returncode == 0


def test_demo_scripted_in_spanish(tmp_path: Path) -> None:
    """The README's demo: choose Español and the DVPRS, answer it, and it is stored."""
    from bot.conversation.i18n import SUPPORTED_LOCALES

    spanish = str(SUPPORTED_LOCALES.index("es") + 1)
    demo = pathbot(
        "demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}", stdin=f"{spanish}\n", env={}
    )
    # The instrument menu lists what is usable in Spanish; pick the DVPRS by its number.
    menu = [line for line in demo.stdout.splitlines() if "DVPRS" in line]
    assert menu, demo.stdout
    number = menu[0].split(" = ")[0]
    demo = pathbot(
        "demo",
        "--db",
        f"sqlite:///{tmp_path / 'demo.db'}",
        stdin=f"{spanish}\n{number}\n7\ncinco\n3\n2\n1\n\n",
    )
    assert demo.returncode == 0, demo.stderr
    assert "Elija un idioma" in demo.stdout
    assert "P1/5. ¿Cómo calificaría su dolor en este momento?" in demo.stdout
    assert "¡Gracias!" in demo.stdout
    exp = pathbot("export", "--db", f"sqlite:///{tmp_path / 'demo.db'}")
    values = [r["value"] for r in csv.DictReader(io.StringIO(exp.stdout))]
    assert values == ["7", "5", "3", "2", "1"]


def test_score_is_wired_into_pathbot() -> None:
    result = pathbot(
        "score",
        "brs",
        stdin=json.dumps({"brs_1": 4, "brs_2": 2, "brs_3": 4, "brs_4": 2, "brs_5": 4, "brs_6": 2}),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scores"]["resilience"]["mean"] == pytest.approx(4.0)


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    result = pathbot(
        "export",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        env={"PATHBOT_ENV": "production", "PATHBOT_STAFF_SECRET_KEY": "changeme"},
    )
    # export takes --db, so settings are only read when needed; db upgrade always reads them
    result = pathbot(
        "db", "upgrade", env={"PATHBOT_ENV": "production", "PATHBOT_STAFF_SECRET_KEY": "changeme"}
    )
    assert result.returncode == 2
    assert "refusing to start in production" in result.stderr
    assert "PATHBOT_STAFF_SECRET_KEY" in result.stderr


def test_demo_menus_accept_the_option_words(tmp_path: Path) -> None:
    """Issue 13.6: a menu takes an option's words as well as its number."""
    demo = pathbot(
        "demo",
        "--db",
        f"sqlite:///{tmp_path / 'demo.db'}",
        stdin="espanol\nDVPRS\n7\n\n",
        env={},
    )
    assert demo.returncode == 0, demo.stderr
    assert "P1/5. ¿Cómo calificaría su dolor en este momento?" in demo.stdout
