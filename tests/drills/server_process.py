"""`pathbot run` in a subprocess on an ephemeral port, for drills that must watch the server from
outside (a frozen event loop in the test's own process would freeze the test's clock too)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.child_processes import spawn, stop

REPO = Path(__file__).resolve().parents[2]
# How long a start-up or recovery may take before a test calls it hung. Not a speed bound: a
# loaded 2-core machine took over 30 s to start `pathbot run` (imports, migrations).
HANG_SECONDS = 120.0
_LISTENING = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class ServerProcess:
    def __init__(self, workdir: Path, env: dict[str, str], *, args: tuple[str, ...] = ()) -> None:
        self._workdir = workdir
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PATHBOT_")},
            "PYTHONPATH": str(REPO),
            **env,
        }
        self._args = args
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""

    def launch(self) -> subprocess.Popen[bytes]:
        """Start `pathbot run --port 0` (see `start` to wait until it listens)."""
        command = [sys.executable, "-m", "bot.cli.main", "run", "--port", "0", *self._args]
        with open(self.log_path, "wb") as log:
            self.process = spawn(
                command, cwd=self._workdir, env=self._env, stdout=log, stderr=subprocess.STDOUT
            )
        return self.process

    async def start(self, within: float = HANG_SECONDS) -> str:
        """Start `pathbot run --port 0`; returns its base URL once it listens."""
        process = await asyncio.to_thread(self.launch)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log_path.read_bytes())
            if found:
                self.base = f"http://127.0.0.1:{int(found.group(1))}"
                return self.base
            if process.poll() is not None:
                raise RuntimeError(f"pathbot run exited: {self.log()}")
            await asyncio.sleep(0.05)
        raise TimeoutError(f"pathbot run did not listen: {self.log()}")

    async def healthy(self, within: float = HANG_SECONDS) -> httpx.Response:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                try:
                    response = await client.get(self.base + "/healthz")
                    if response.status_code == 200:
                        return response
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"never healthy: {self.log()[-2000:]}")
                await asyncio.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def stop(self) -> None:
        stop(self.process, grace=15)
