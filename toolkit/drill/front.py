"""A round-robin front for the app's instances: what a cloud load balancer (Azure Container Apps'
ingress, an application gateway) does in front of replicas, small enough to start inside a drill.

Each request goes to the next instance in turn, among the instances that have joined (the drill
adds a replica once its readiness route says it is ready, as an orchestrator does), so one user's
requests land on every instance, as behind a balancer that keeps no affinity. The front ends TLS
with the app's own certificate and speaks TLS to the instances, checking them against the run's
CA. An instance that refuses the connection is passed over (a balancer's retry); one that fails
after taking the request is not retried (the request may have done something), and the client
gets a 502.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: hop-by-hop headers (RFC 9110 7.6.1): each side of the front has its own connection
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
#: how long the front waits for an instance's answer (longer than any budget the drill sets)
UPSTREAM_TIMEOUT_S = 60.0
#: how long a client connection may sit idle before the front closes it (as gunicorn's keepalive)
IDLE_S = 5.0


class Front:
    """Listens on 127.0.0.1 (a free port) and spreads requests over the instances' ports.
    `tls`: the certificate and key to serve (None: plain HTTP on both sides); `trust`: the CA
    file the instances' certificates are checked against."""

    def __init__(self, tls: tuple[str, str] | None = None, trust: str | None = None) -> None:
        self.requests: Counter[int] = Counter()  #: requests given to each instance, by port
        self._ports: list[int] = []
        self._turn = 0
        self._lock = threading.Lock()
        self._serving: ssl.SSLContext | None = None
        self._upstream: ssl.SSLContext | None = None
        if tls is not None:
            self._serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._serving.load_cert_chain(*tls)
            self._upstream = ssl.create_default_context(cafile=trust)
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="drill-front", daemon=True)

    def start(self) -> int:
        """Start answering; the port it listens on."""
        self._thread.start()
        return self.port

    def add(self, port: int) -> None:
        """Send requests to the instance at `port` too."""
        with self._lock:
            self._ports.append(port)

    def record(self) -> dict[str, list[int]]:
        """`front.json`: the instances' ports in the order they joined, and the requests each got."""
        with self._lock:
            return {"ports": list(self._ports), "requests": [self.requests[port] for port in self._ports]}

    def stop(self) -> None:
        """Stop answering."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def order(self) -> list[int]:
        """The instances in the order one request tries them: the next in turn first."""
        with self._lock:
            ports = list(self._ports)
            start = self._turn % len(ports) if ports else 0
            self._turn += 1
        return ports[start:] + ports[:start]

    def connect(self, port: int) -> http.client.HTTPConnection:
        """A connection to one instance (raises OSError when it refuses)."""
        if self._upstream is None:
            found = http.client.HTTPConnection("127.0.0.1", port, timeout=UPSTREAM_TIMEOUT_S)
        else:
            found = http.client.HTTPSConnection("127.0.0.1", port, timeout=UPSTREAM_TIMEOUT_S, context=self._upstream)
        found.connect()
        return found


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], front: Front) -> None:
        self.front = front
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """The TLS handshake in the connection's own thread, so that a slow client holds up no other."""
        if self.front._serving is not None:
            try:
                request = self.front._serving.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_S
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the instances log their own requests

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (TimeoutError, ssl.SSLError, ConnectionError):
            self.close_connection = True

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        front = self.server.front
        for port in front.order():
            try:
                upstream = front.connect(port)
            except OSError:
                continue
            with front._lock:
                front.requests[port] += 1
            try:
                self._relay(upstream, body)
            finally:
                upstream.close()
            return
        self._answer(502, b"no instance took the request\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def _relay(self, upstream: http.client.HTTPConnection, body: bytes) -> None:
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            reply = upstream.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException):
            self._answer(502, b"the instance did not answer\n")
            return
        self.send_response_only(reply.status, reply.reason)
        for name, value in reply.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, status: int, text: bytes) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)
