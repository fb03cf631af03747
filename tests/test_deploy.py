"""deploy/: what can be checked without Docker or systemd is checked here."""

from __future__ import annotations

import configparser
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.service.settings import Settings
from tests.child_processes import spawn, stop
from tests.drills.server_process import HANG_SECONDS

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_compose_file_parses_with_health_checks() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "pathbot"} <= set(services)
    assert all("healthcheck" in service for service in services.values())
    assert services["pathbot"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"pgdata"} <= set(compose["volumes"])


def test_systemd_unit_parses() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "pathbot.service", encoding="utf-8")
    assert unit["Service"]["ExecStart"].endswith("deploy/entrypoint.sh")
    assert unit["Service"]["EnvironmentFile"] == "/etc/pathbot/pathbot.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_env_example_documents_every_setting() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line and line[0] != "#"}
    for field in Settings.model_fields:
        expected = "DATABASE_URL" if field == "database_url" else f"PATHBOT_{field.upper()}"
        assert expected in names, f"{expected} is missing from deploy/.env.example"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.usefixtures("no_leaked_children")
def test_entrypoint_migrates_and_serves_outside_docker(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.db'}",
        "PATHBOT_HOST": "127.0.0.1",
        "PATHBOT_PORT": str(port),
        "PATHBOT_ENV": "development",
    }
    proc = spawn(  # its own process group: the script's `pathbot run` is stopped with it
        [str(DEPLOY / "entrypoint.sh")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + HANG_SECONDS  # migrating and starting: catches a hang only
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status = r.status
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert status == 200, (
            proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        )
        assert (tmp_path / "deploy.db").exists()
    finally:
        stop(proc, grace=20)
        assert proc.stdout is not None
        proc.stdout.close()
