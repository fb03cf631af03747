"""Load generator run as a second process: POSTs prepared requests, prints latencies as JSON.

Usage: python -m benchmarks.load SPEC.json ; the spec holds the URL, the concurrency and the
requests (form or JSON bodies with their headers), prepared by the parent so that signing
costs nothing here.

Each of `concurrency` keep-alive HTTP/1.1 connections sends its next request as soon as the
previous answer has been read, like wrk. The requests are encoded to bytes before the clock
starts and answers are parsed no further than the status line and Content-Length: the
generator shares this machine's cores with the server, and a full client library (httpx took
70% of a core at 800 requests/s) would lengthen the very latencies it measures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

# A server that stops answering fails the run instead of hanging it (httpx's timeout was 30 s too).
RESPONSE_SECONDS = 30.0


def encode_request(host: str, request: dict[str, Any]) -> bytes:
    """One request as the bytes sent on the wire (form or JSON body, its headers)."""
    if request.get("json") is not None:
        body = json.dumps(request["json"]).encode()
        kind = "application/json"
    else:
        body = urlencode(request.get("form") or {}).encode()
        kind = "application/x-www-form-urlencoded"
    headers = {"Host": host, "Content-Type": kind, "Content-Length": str(len(body))}
    headers.update(request["headers"])
    head = f"POST {request['path']} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response off a keep-alive connection; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding":
            raise RuntimeError("the load generator reads only Content-Length responses")
    if length is None and (status in (204, 304) or status < 200):
        return status  # no body, by definition (RFC 9112, 6.3)
    if length is None:
        raise RuntimeError(f"a response without Content-Length: {lines[0]}")
    await reader.readexactly(length)
    return status


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(spec["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    wire = [encode_request(url.netloc, request) for request in spec["requests"]]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for payload in wire:
        queue.put_nowait(payload)
    connections = [await asyncio.open_connection(host, port) for _ in range(spec["concurrency"])]

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not queue.empty():
            payload = queue.get_nowait()
            t0 = time.perf_counter()
            writer.write(payload)
            status = await asyncio.wait_for(read_response(reader), RESPONSE_SECONDS)
            latencies.append(time.perf_counter() - t0)
            statuses[str(status)] = statuses.get(str(status), 0) + 1

    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(worker(reader, writer) for reader, writer in connections))
    finally:
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        for _reader, writer in connections:
            writer.close()
    # The generator's own CPU: near `elapsed`, it is saturated, and the rate measured is its
    # own ceiling rather than the server's.
    return {"elapsed": elapsed, "cpu": cpu, "latencies": latencies, "statuses": statuses}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(_drive(spec))))


if __name__ == "__main__":
    main()
