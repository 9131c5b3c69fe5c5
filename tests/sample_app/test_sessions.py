"""Scale-out: with REDIS_URL, two app instances share one signed-in user (real redis-server)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.sample_app.conftest import APP_ENV
from tests.support import start_emulator, stop_emulator
from toolkit.drill import processes
from toolkit.emulator.server import free_port


def _start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real redis-server on a free loopback port (installed by .ci/run with apt-get)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/test.sh installs it with apt-get)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    return proc, f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = _start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_two_instances_share_one_signed_in_user(tmp_path, redis_url):
    from tests.sample_app.conftest import Stack

    emulator = start_emulator(tmp_path / "emulator")
    env = {**APP_ENV, "REDIS_URL": redis_url}
    first = processes.start_app(tmp_path / "emulator", tmp_path / "a", env=env)
    second = processes.start_app(tmp_path / "emulator", tmp_path / "b", env=env)
    try:
        client = Stack(emulator, first).signed_in()
        cookie = client.cookies.get("__Host-refapp")
        other = Stack(emulator, second).client()
        other.cookies.set("__Host-refapp", cookie)
        page = other.get(second.url + "/profile", allow_redirects=False)
        assert page.status_code == 200 and "Test User 1" in page.text
        assert "Hello, Test User 1" in other.get(second.url + "/call-api").text  # the shared token cache
        assert other.get(second.url + "/readyz").json() == {"status": "ready"}
    finally:
        first.stop()
        second.stop()
        stop_emulator(emulator)


def test_a_stalled_session_store_is_a_503_and_users_stay_signed_in(tmp_path):
    """Redis stops answering (paused, as in a failover): pages answer 503 with Retry-After, not
    500, and once Redis answers again the same user carries on, still signed in."""
    from tests.sample_app.conftest import Stack

    store, url = _start_redis(tmp_path)
    emulator = start_emulator(tmp_path / "emulator")
    app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env={**APP_ENV, "REDIS_URL": url})
    try:
        client = Stack(emulator, app).signed_in()
        store.send_signal(signal.SIGSTOP)
        try:
            page = client.get(app.url + "/profile", allow_redirects=False, timeout=30)
            assert page.status_code == 503 and "Retry-After" in page.headers and "Traceback" not in page.text
            assert client.get(app.url + "/readyz", timeout=30).status_code == 503  # out of the load balancer
        finally:
            store.send_signal(signal.SIGCONT)
        page = client.get(app.url + "/profile", allow_redirects=False)
        assert page.status_code == 200 and "Test User 1" in page.text
    finally:
        app.stop()
        stop_emulator(emulator)
        store.terminate()
        store.wait(timeout=10)
