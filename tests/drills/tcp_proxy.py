"""A TCP forwarder on 127.0.0.1 that a drill can cut and restore ("the database went away"), or
stall and resume ("the network swallows packets": connections stay open, nothing gets through
in either direction, and new connections are accepted but never answered).

It runs its own event loop in a thread, so blocking database calls made on the test's loop (or in
worker threads) never wait on the loop that forwards their bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing: asyncio.Event | None = None
        self.port = 0
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._make_flowing(), self._loop).result(5)

    async def _make_flowing(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()

    def start(self) -> int:
        """Listen (again, on the same port once one was chosen); returns the port."""
        return asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)

    def cut(self) -> None:
        """Stop listening and drop every open connection, as a crashed database would."""
        asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(5)

    def stall(self) -> None:
        """Hold every byte (both ways, old and new connections) until `resume`."""
        self._loop.call_soon_threadsafe(self._gate().clear)

    def resume(self) -> None:
        self._loop.call_soon_threadsafe(self._gate().set)

    def _gate(self) -> asyncio.Event:
        assert self._flowing is not None
        return self._flowing

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        await self._gate().wait()  # a stalled network answers no new connection either
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self._writers -= {writer, up_writer}

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._gate().wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.transport.abort()
