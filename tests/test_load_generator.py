"""The benchmarks' load generator speaks HTTP/1.1 itself (benchmarks/load.py): what it sends is
what a client library would send, and what comes back is counted, over real HTTP to uvicorn."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from benchmarks.load import _drive, read_response
from benchmarks.server import serving

seen: list[dict[str, object]] = []


async def _echo(request: Request) -> Response:
    if request.headers["content-type"].startswith("application/json"):
        body: object = await request.json()
    else:
        body = dict(await request.form())
    seen.append({"body": body, "signature": request.headers.get("x-signature")})
    if request.headers.get("x-signature") == "empty":
        return Response(status_code=204)  # no body and no Content-Length
    status = 403 if request.headers.get("x-signature") == "forged" else 200
    return JSONResponse({"ok": status == 200}, status_code=status)


async def _stream(_request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"a"

    return StreamingResponse(chunks())


APP = Starlette(routes=[Route("/echo", _echo, methods=["POST"]), Route("/stream", _stream)])


def test_forms_and_json_arrive_as_sent_on_keep_alive_connections() -> None:
    seen.clear()
    requests = [
        {"path": "/echo", "form": {"Body": f"my pain is {n} & sharp", "From": "+1802555"},
         "headers": {"X-Signature": {7: "forged", 9: "empty"}.get(n, f"s{n}")}}
        for n in range(20)
    ] + [{"path": "/echo", "json": {"update_id": 5, "text": "ñ 7"}, "headers": {}}]  # fmt: skip

    async def run() -> dict[str, object]:
        async with serving(APP) as base:
            return await _drive({"base_url": base, "concurrency": 3, "requests": requests})

    result = asyncio.run(run())
    assert result["statuses"] == {"200": 19, "204": 1, "403": 1}
    assert len(result["latencies"]) == 21  # type: ignore[arg-type]
    bodies = [s["body"] for s in seen]
    assert len(bodies) == 21
    for n in range(20):
        assert {"Body": f"my pain is {n} & sharp", "From": "+1802555"} in bodies
    assert {"update_id": 5, "text": "ñ 7"} in bodies


def test_a_response_it_cannot_frame_is_an_error_not_a_guess() -> None:
    async def run() -> None:
        async with serving(APP) as base:
            host, port = base.removeprefix("http://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(f"GET /stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            try:
                await read_response(reader)
            finally:
                writer.close()

    with pytest.raises(RuntimeError, match="Content-Length"):
        asyncio.run(run())


def test_a_server_that_stops_answering_fails_the_run_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("benchmarks.load.RESPONSE_SECONDS", 0.3)

    async def run() -> None:
        held: list[asyncio.StreamWriter] = []

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            held.append(writer)  # reads the request, never answers
            await reader.read(1)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            await _drive(
                {"base_url": f"http://127.0.0.1:{port}", "concurrency": 1,
                 "requests": [{"path": "/x", "form": {"a": "1"}, "headers": {}}]}
            )  # fmt: skip
        finally:
            for writer in held:
                writer.close()
                await writer.wait_closed()
            server.close()
            await server.wait_closed()

    with pytest.raises(TimeoutError):
        asyncio.run(run())
