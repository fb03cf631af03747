"""`pathbot translations` (the coverage matrix), `pathbot translations check DIR` (packs
validated before they are dropped in), and `pathbot run` refusing to start on a broken pack."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.conversation.coverage import coverage_matrix
from surveys.loader import clear_cache
from surveys.packs import PACKS_DIR_ENV
from tests.drills.server_process import ServerProcess
from tests.packs.make_fake_packs import BATTERY, HERE
from tests.test_cli import pathbot


def _row(out: str, instrument: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(instrument + " "))


def test_the_matrix_without_packs() -> None:
    result = pathbot("translations")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[2].split()[:3] == ["instrument", "en", "es"]
    assert _row(out, "promis29")[:4] == ["promis29", "2.1", "validated", "refused"]
    assert _row(out, "brs")[:4] == ["brs", "1.0", "validated", "refused"]
    assert _row(out, "dvprs")[:4] == ["dvprs", "2.0", "validated", "draft"]
    assert "brs 1.0 es: refused: unvalidated text held back: " in out
    assert "cpaq8 1.0 es: refused: no text in this language" in out
    assert "Bot wording:" in out and "  en English: source language" in out
    # the bot wording's status, from issue 19's metadata (Spanish is honestly draft)
    assert "  es Español: draft (written by the project, not reviewed by a native speaker)" in out


def test_the_matrix_with_packs() -> None:
    result = pathbot("translations", env={PACKS_DIR_ENV: str(HERE)})
    assert result.returncode == 0, result.stderr
    for instrument in BATTERY:
        assert _row(result.stdout, instrument)[2:4] == ["validated", "pack"]
    assert f"promis29 2.1 es: pack: {HERE / 'promis29.es.yaml'}: [TEST] " in result.stdout


def test_the_matrix_as_data_for_the_console() -> None:
    clear_cache()
    matrix = coverage_matrix()
    assert matrix.languages[:2] == ("en", "es")
    cells = {r.instrument_id: r.cells for r in matrix.instruments}
    assert cells["promis29"]["en"].status == "validated"
    assert cells["promis29"]["es"].status == "refused"
    assert [w.language for w in matrix.wording][:2] == ["en", "es"]


def test_check_accepts_good_packs() -> None:
    result = pathbot("translations", "check", str(HERE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        f"ok {HERE / f'{i}.es.yaml'}: {i} {v} in es"
        for i, v in sorted([("brs", "1.0"), ("cpaq8", "1.0"), ("promis29", "2.1"),
                            ("scs_sf", "1.0")])
    ]  # fmt: skip


def test_check_lists_every_error_one_line_each(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    text = (HERE / "brs.es.yaml").read_text(encoding="utf-8")
    (packs / "brs.es.yaml").write_text(
        text.replace("licence:", "license:").replace("value: 5\n", "value: 4\n", 1),
        encoding="utf-8",
    )
    result = pathbot("translations", "check", str(packs))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{packs}/brs.es.yaml: (top level): unknown key 'license' (spelled licence)",
        f"{packs}/brs.es.yaml: (top level): no licence",
        f"{packs}/brs.es.yaml: items[0].options[4].value: 4, but the instrument scores code 5 as 5",
    ]


def test_check_of_an_empty_or_missing_directory(tmp_path: Path) -> None:
    empty = pathbot("translations", "check", str(tmp_path))
    assert empty.returncode == 2 and "no pack files" in empty.stderr
    missing = pathbot("translations", "check", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"{PACKS_DIR_ENV}={tmp_path / 'nope'}: not a directory"


def test_a_broken_pack_refuses_to_start(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    shutil.copy(HERE / "promis29.es.yaml", packs)
    broken = (HERE / "cpaq8.es.yaml").read_text(encoding="utf-8").replace("validation:", "x:")
    (packs / "cpaq8.es.yaml").write_text(broken, encoding="utf-8")
    server = ServerProcess(
        tmp_path,
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'pathbot.db'}", PACKS_DIR_ENV: str(packs)},
    )
    process = server.launch()
    try:
        code = process.wait(60)
    finally:
        server.stop()
    output = server.log().strip()
    assert code == 2, output
    assert output.splitlines() == [
        "pathbot: 2 errors in translation packs:",
        f"{packs}/cpaq8.es.yaml: (top level): unknown key 'x'",
        f"{packs}/cpaq8.es.yaml: (top level): no validation",
    ]


def test_a_packs_directory_named_only_in_dot_env_is_used(tmp_path: Path) -> None:
    """The loader reads the environment; `.env` in the working directory must count too."""
    (tmp_path / ".env").write_text(f"{PACKS_DIR_ENV}={HERE}\n", encoding="utf-8")
    result = pathbot("translations", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _row(result.stdout, "promis29")[2:4] == ["validated", "pack"]
