"""The staff commands end to end, in-process: each export, import, acknowledgement and patient
change lands in the audit log, and `pathbot audit` shows it."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from bot.cli.main import main
from bot.db.database import make_engine, session_scope
from bot.db.models import Alert, AuditLog, Patient


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_staff_actions_are_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHBOT_ENV", "test")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    assert (
        run(capsys, "patient", "add", "S-001", "--name", "Ada", "--db", db, "--actor", "coord")[0]
        == 0
    )

    paper = tmp_path / "paper.csv"
    rows = ["patient,instrument,item_id,value,timepoint,answered_at"]
    for item, value in [
        ("dvprs_pain", 8),
        ("dvprs_activity", 2),
        ("dvprs_sleep", 2),
        ("dvprs_mood", 2),
        ("dvprs_stress", 2),
    ]:
        rows.append(f"S-001,dvprs,{item},{value},adhoc,2026-01-05")
    paper.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", "responses", str(paper), "--db", db, "--actor", "nurse")
    assert code == 0 and "imported 5 responses on 1 forms" in out

    bad = tmp_path / "bad.csv"
    bad.write_text(rows[0] + "\nS-001,dvprs,dvprs_pain,12,adhoc,2026-01-05\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "responses", str(bad), "--db", db)
    assert code == 1 and "line 2: dvprs_pain: 12 is not one of its scored values" in err

    xlsx = tmp_path / "out.xlsx"
    code, _, err = run(
        capsys,
        "export",
        "--format",
        "xlsx",
        "--out",
        str(xlsx),
        "--db",
        db,
        "--actor",
        "researcher",
        "--since",
        "2026-01-01",
        "--until",
        "2026-01-05",
    )
    assert code == 0 and "exported 1 assignments" in err
    assert openpyxl.load_workbook(xlsx).sheetnames == ["dvprs", "codebook"]
    code, out, _ = run(capsys, "export", "--format", "fhir", "--db", db, "--instrument", "dvprs")
    assert code == 0 and json.loads(out)["resourceType"] == "Bundle"
    assert run(capsys, "export", "--format", "xlsx", "--db", db)[0] == 2  # binary needs --out

    # The paper form was answered months ago: its flag is on record as historical, not open.
    assert run(capsys, "alerts", "list", "--db", db)[1].count("\n") == 1  # header only
    code, out, _ = run(capsys, "alerts", "list", "--all", "--db", db)
    (line,) = out.splitlines()[1:]
    alert_id = line.split("\t")[0]
    assert "\tS-001\tclinical\t" in line and "\thistorical\t" in line and "Ada" not in line
    code, out, _ = run(capsys, "alerts", "ack", alert_id, "--db", db, "--actor", "dr.who")
    assert code == 0 and "acknowledged" in out
    assert run(capsys, "alerts", "ack", "999", "--db", db)[0] == 2
    assert run(capsys, "alerts", "list", "--db", db)[1].count("\n") == 1  # header only

    report = tmp_path / "r.html"
    assert run(capsys, "report", "nope", "--out", str(report), "--db", db)[0] == 2

    code, out, _ = run(capsys, "audit", "--db", db)
    actions = [(r.split("\t")[1], r.split("\t")[2]) for r in out.splitlines()[1:]]
    assert actions == [
        ("coord", "patient.add"),
        ("nurse", "import.responses"),
        ("researcher", "export"),
        (actions[3][0], "export"),  # the OS user when no --actor is given
        ("dr.who", "alert.ack"),
    ]
    assert actions[3][0]
    code, out, _ = run(capsys, "audit", "--db", db, "--action", "export", "--limit", "1")
    (only,) = out.splitlines()[1:]
    assert '"format": "fhir"' in only and '"with_names": false' in only

    engine = make_engine(db)
    try:
        with Session(engine) as s:
            export_entry = s.exec(select(AuditLog).where(AuditLog.actor == "researcher")).one()
            assert export_entry.detail["count"] == 1 and export_entry.detail["out"] == "out.xlsx"
            assert export_entry.detail["filters"]["since"].startswith("2026-01-01")
            assert s.exec(select(Alert)).one().status == "acknowledged"
        with session_scope(engine) as s:
            assert s.exec(select(Patient)).one().display_name == "Ada"
    finally:
        engine.dispose()


def test_report_command_writes_html_and_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, date, datetime

    from tests.exports_support import add_patient, dvprs_answers, make_app
    from tests.plan_support import answer_visit, enrol, make_cohort
    from tests.support import FakeClock

    monkeypatch.setenv("PATHBOT_ENV", "test")
    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    clock = FakeClock(datetime(2026, 9, 1, tzinfo=UTC))
    app = make_app(db, clock)
    try:
        make_cohort(app, "c1", date(2026, 10, 1))  # Thursday; sessions on Tuesdays from Oct 6
        for sid, (a, b) in {"A": (8, 4), "B": (6, 5), "C": (7, 2)}.items():
            add_patient(app, sid)
            enrol(app, "c1", [sid], now=clock())
            first = datetime(2026, 10, 6, 18, 0, tzinfo=UTC)
            answer_visit(app, sid, "c1", 1, dvprs_answers(a), when=first)
            answer_visit(app, sid, "c1", 2, dvprs_answers(b), when=first.replace(day=13))
    finally:
        app.db.dispose()
    html = tmp_path / "r.html"
    assert run(capsys, "report", "c1", "--out", str(html), "--db", db)[0] == 0
    assert html.read_text(encoding="utf-8").count("<img ") == 2
    pdf = tmp_path / "r.pdf"
    assert run(capsys, "report", "c1", "--out", str(pdf), "--db", db)[0] == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    assert run(capsys, "report", "c1", "--out", str(tmp_path / "r.txt"), "--db", db)[0] == 2
