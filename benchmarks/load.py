"""Load generator run as a second process: POSTs prepared requests, prints latencies as JSON.

Usage: python -m benchmarks.load SPEC.json ; the spec holds the URL, the concurrency and the
requests (form or JSON bodies with their headers), prepared by the parent so that signing
costs nothing here.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    requests: list[dict[str, Any]] = spec["requests"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    limits = httpx.Limits(max_connections=spec["concurrency"])
    async with httpx.AsyncClient(base_url=spec["base_url"], limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                request = queue.get_nowait()
                t0 = time.perf_counter()
                response = await client.post(
                    request["path"],
                    data=request.get("form"),
                    json=request.get("json"),
                    headers=request["headers"],
                )
                latencies.append(time.perf_counter() - t0)
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    # The generator's own CPU: near `elapsed`, it is saturated, and the rate measured is its
    # own ceiling rather than the server's.
    return {"elapsed": elapsed, "cpu": cpu, "latencies": latencies, "statuses": statuses}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(_drive(spec))))


if __name__ == "__main__":
    main()
