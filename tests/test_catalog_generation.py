"""`make extract` changes no file when no message changed: the template has no creation date
(`--omit-header`) and every catalog's header date is fixed, so re-running it between branches
makes no merge churn (it once rewrote POT-Creation-Date in every .po)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"


def _catalog_tool(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the tool puts its folder first
    spec = importlib.util.spec_from_file_location(
        "make_catalogs", LOCALES / "tools" / "make_catalogs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalogs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.glob("*/LC_MESSAGES/messages.po"))
    }


def test_rebuilding_the_catalogs_changes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    tool = _catalog_tool(monkeypatch)
    monkeypatch.setattr(tool, "LOCALES", copy)
    assert tool.main() == 0
    first = _catalogs(copy)
    assert first == _catalogs(LOCALES)  # what is committed is what the tool makes
    assert tool.main() == 0
    assert _catalogs(copy) == first  # and again, byte for byte
    for name, text in first.items():
        dates = [line for line in text.decode().splitlines() if "Creation-Date" in line]
        assert dates == ['"POT-Creation-Date: 2026-01-01 00:00+0000\\n"'], name


def test_extracting_the_template_twice_gives_the_same_file(tmp_path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--omit-header" in makefile  # the template carries no date to rewrite
    pybabel = Path(sys.executable).with_name("pybabel")
    outputs = []
    for n in range(2):
        out = tmp_path / f"messages{n}.pot"
        subprocess.run(  # noqa: S603 - the Makefile's own extraction
            [
                str(pybabel), "extract", "-F", "babel.cfg", "-o", str(out), "--no-location",
                "--sort-output", "-k", "ngettext:1,2", "--project", "pathbot", "--omit-header",
                ".",
            ],
            cwd=ROOT, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"Creation-Date" not in outputs[0]
