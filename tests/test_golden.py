"""Golden transcripts: whole conversations stored as files and compared line by line.

Each file in tests/golden/ starts with a header (instrument, locale, channel) and holds the
patient's lines as "> text" between the bot's replies. To accept a deliberate change in wording,
run `PATHBOT_UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from bot.service.app import build_app
from bot.service.console_session import ConsoleSession
from bot.service.settings import Settings
from tests.support import FakeClock

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PATHBOT_UPDATE_GOLDEN") == "1"


def _header(path: Path) -> dict[str, str]:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        header[key.strip()] = value.strip()
    return header


def run_transcript(path: Path, tmp_path: Path) -> str:
    header = _header(path)
    inputs = [
        line[2:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("> ")
    ]
    out = io.StringIO()
    app = build_app(
        Settings(_env_file=None),  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'golden.db'}",
        clock=FakeClock(),
    )
    console = ConsoleSession(
        app,
        locale=header["locale"],
        style=header["channel"],
        out=out,  # type: ignore[arg-type]
        as_json=False,
    )
    for key, value in header.items():
        out.write(f"# {key}: {value}\n")
    out.write("\n")
    console.start(header["instrument"])
    for text in inputs:
        out.write(f"> {text}\n\n")
        console.say(text)
    app.db.dispose()
    return out.getvalue()


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_golden_transcript(path: Path, tmp_path: Path) -> None:
    produced = run_transcript(path, tmp_path)
    if UPDATE:
        path.write_text(produced, encoding="utf-8")
    assert produced.splitlines() == path.read_text(encoding="utf-8").splitlines()


def test_golden_transcripts_cover_english_and_spanish() -> None:
    locales = {_header(p)["locale"] for p in GOLDEN.glob("*.txt")}
    assert {"en", "es"} <= locales
