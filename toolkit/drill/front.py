"""A round-robin TCP front for the app's instances: what a load balancer does in front of replicas,
small enough to start inside a drill.

Each new connection goes to the next instance in turn, among the instances that have been added
(the drill adds a replica once its readiness route says it is ready, as an orchestrator does).
Bytes pass through untouched: TLS ends at the app (every instance serves the same certificate),
so the simulated browsers see one address and one certificate whichever instance answers. A
connection the chosen instance refuses goes to the next one, as a balancer's retry would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from concurrent.futures import Future

CHUNK = 64 * 1024


class Front:
    """Listens on 127.0.0.1 (a free port) and spreads connections over the instances' ports."""

    def __init__(self) -> None:
        self.connections: Counter[int] = Counter()  #: connections handed to each instance, by port
        self._ports: list[int] = []
        self._turn = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="drill-front", daemon=True)
        self.port = 0

    def start(self) -> int:
        """Start listening; the port it listens on."""
        self._thread.start()
        ready: Future[asyncio.Server] = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self._server = ready.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def add(self, port: int) -> None:
        """Send new connections to the instance at `port` too."""
        self._loop.call_soon_threadsafe(self._ports.append, port)

    def record(self) -> dict[str, list[int]]:
        """`front.json`: the instances' ports in the order they joined, and the connections each got."""
        return {"ports": list(self._ports), "connections": [self.connections[port] for port in self._ports]}

    def stop(self) -> None:
        """Stop listening and close every connection."""
        if not self._thread.is_alive():
            self._loop.close()
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):
            writer.close()

    def _order(self) -> list[int]:
        """The instances in the order this connection tries them: the next in turn first."""
        ports = list(self._ports)
        if not ports:
            return []
        start = self._turn % len(ports)
        self._turn += 1
        return ports[start:] + ports[:start]

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        for port in self._order():
            try:
                app_in, app_out = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] += 1
            self._open |= {client_out, app_out}
            try:
                await asyncio.gather(_pipe(client_in, app_out), _pipe(app_in, client_out))
            finally:
                self._open -= {client_out, app_out}
            return
        client_out.close()  # no instance took it: the client sees the connection closed


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until the source ends; then close the sink, which ends the other direction too (an
    HTTP client or server that closes its side is done with the connection)."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    sink.close()
