"""Run the real ASGI app under uvicorn on 127.0.0.1 (port 0) and drive it from a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from tests.child_processes import bound_to_this_process


@contextlib.asynccontextmanager
async def serving(asgi: Starlette) -> AsyncIterator[str]:
    """The app's base URL while uvicorn serves it (no lifespan: no dispatcher, no scheduler)."""
    server = uvicorn.Server(
        uvicorn.Config(asgi, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no started event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def load_from_subprocess(spec: dict[str, Any]) -> dict[str, Any]:
    """Run benchmarks.load in a second Python process; returns its measurements."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.load",
        path,
        stdout=asyncio.subprocess.PIPE,
        **bound_to_this_process(),
    )
    try:
        out, _ = await proc.communicate()
    except BaseException:  # cancelled or timed out: the load generator must not go on alone
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result
