"""The drill's round-robin front: requests go to the instances in turn (one client's too, on one
connection), a refusing instance is passed over, and requests and answers pass through whole."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from toolkit.drill.front import Front
from toolkit.emulator.server import free_port


class Named(BaseHTTPRequestHandler):
    """Answers with its server's port, and echoes a POST body back."""

    def do_GET(self) -> None:
        self._answer(str(self.server.server_address[1]).encode())

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers["Content-Length"])))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def instances() -> Iterator[list[int]]:
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Named) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [server.server_address[1] for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def front() -> Iterator[Front]:
    running = Front()
    running.start()
    yield running
    running.stop()


def answered_by(front: Front, count: int) -> list[int]:
    """Which instance answered each of `count` requests of one client (one kept-alive connection)."""
    with requests.Session() as client:
        return [int(client.get(f"http://127.0.0.1:{front.port}/", timeout=5).text) for _ in range(count)]


def test_requests_go_to_the_instances_in_turn(front: Front, instances: list[int]) -> None:
    first, second = instances
    front.add(first)
    assert answered_by(front, 3) == [first] * 3
    front.add(second)
    assert sorted(answered_by(front, 4)) == sorted([first, second] * 2)
    assert front.record() == {"ports": [first, second], "requests": [5, 2]}


def test_an_instance_that_refuses_is_passed_over(front: Front, instances: list[int]) -> None:
    front.add(free_port())  # nothing listens there
    front.add(instances[0])
    assert answered_by(front, 3) == [instances[0]] * 3


def test_bodies_pass_through_both_ways(front: Front, instances: list[int]) -> None:
    front.add(instances[0])
    body = bytes(range(256)) * 2048  # 512 KiB, several reads each way
    assert requests.post(f"http://127.0.0.1:{front.port}/", data=body, timeout=10).content == body


def test_with_no_instance_the_answer_is_a_502(front: Front) -> None:
    assert requests.get(f"http://127.0.0.1:{front.port}/", timeout=5).status_code == 502
