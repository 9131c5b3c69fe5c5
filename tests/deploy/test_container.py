"""The Dockerfile's image, built and run with podman: small, a non-root user, its state in a volume,
gunicorn with the app's settings, a HEALTHCHECK on /healthz; signed-in users keep working through an
outage, and a replica started with an empty disk during one serves them and validates their tokens."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import Image
from tests.deploy.podman import Podman
from tests.support import RunningEmulator, start_emulator, stop_emulator
from toolkit import flows
from toolkit.emulator.server import free_port
from toolkit.resilience.http import trusting_session

#: the image's own layers over its base: the app, the emulator and their dependencies
APP_LAYERS_MAX_MB = 80
SECRET = "container-test-secret-not-for-production"


@contextmanager
def container(podman: Podman, image: str, *options: str, env: dict[str, str]) -> Iterator[str]:
    """A detached container of `image`, removed with its anonymous volume on the way out."""
    name = f"b2c-refapp-test-{free_port()}"
    settings = [f"--env={key}={value}" for key, value in env.items()]
    podman.run("run", "-d", "--name", name, *settings, *options, image)
    try:
        yield name
    finally:
        podman.run("rm", "-f", "-v", name, check=False)


def wait_ready(podman: Podman, name: str, url: str, session: requests.Session) -> None:
    """Wait until the container's gunicorn answers /readyz with 200."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if session.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    logs = podman.run("logs", name, check=False)
    raise AssertionError(f"{name} was not ready within 30 s:\n{logs.stdout[-2000:]}{logs.stderr[-2000:]}")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """This module's emulator (its faults are its own), on the host's loopback."""
    running = start_emulator(tmp_path_factory.mktemp("container-emulator"))
    yield running
    stop_emulator(running)


def emulator_state(emulator: RunningEmulator, folder: Path) -> tuple[str, str]:
    """The emulator's state (its configuration, CA and the TLS key pair the app serves with), readable
    by the container's user, as a volume option and the folder it is mounted at: the emulator's own
    path, as compose shares one state volume at one path (`config.json` names the CA by its path)."""
    state = folder / "emulator"
    shutil.copytree(emulator.state_dir, state)
    for path in [state, *state.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return f"{state}:{emulator.state_dir}:ro", str(emulator.state_dir)


def app_env(state: str, port: int, **more: str) -> dict[str, str]:
    """An instance on the host's network, serving HTTPS (the session cookie is Secure) at `port`."""
    return {
        "B2C_STATE_DIR": state,
        "BIND": f"127.0.0.1:{port}",
        "APP_PUBLIC_URL": f"https://127.0.0.1:{port}",
        "TLS_CERT": f"{state}/server.pem",
        "TLS_KEY": f"{state}/server-key.pem",
        "SECRET_KEY": SECRET,
        "WEB_CONCURRENCY": "2",
        "BREAKER_FAIL_MAX": "3",
        "BREAKER_RESET_S": "1",
        "IDP_PROBE_INTERVAL_S": "0",
        **more,
    }


def test_the_image_is_small_unprivileged_and_keeps_its_state_in_a_volume(podman: Podman, app_image: Image) -> None:
    found = podman.inspect(app_image.tag)
    config = found["Config"]
    assert config["User"] == "app"
    assert list(config["Volumes"]) == ["/app/instance"]
    assert config["Env"].count("BIND=0.0.0.0:8000") == 1
    assert not [entry for entry in config["Env"] if entry.startswith(("SECRET_KEY=", "PIP_CERT=", "B2C_CLIENT_SECRET="))]
    assert "/healthz" in " ".join(found["Healthcheck"]["Test"])  # kept by --format docker
    assert config["Cmd"][:3] == ["gunicorn", "-c", "sample_app/gunicorn.conf.py"]
    own_mb = (found["Size"] - podman.inspect(app_image.base)["Size"]) / 1e6
    assert own_mb < APP_LAYERS_MAX_MB, f"the image adds {own_mb:.0f} MB to its base"


def test_a_production_start_without_secret_key_is_refused(podman: Podman, app_image: Image) -> None:
    started = podman.run("run", "--rm", app_image.tag, check=False, timeout=60)
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr


def test_probes_on_a_published_port_and_state_in_the_volume(podman: Podman, app_image: Image) -> None:
    port = free_port()
    env = {"SECRET_KEY": "generate", "APP_PUBLIC_URL": f"http://localhost:{port}"}
    with container(podman, app_image.tag, "-p", f"127.0.0.1:{port}:8000", env=env) as name:
        wait_ready(podman, name, f"http://127.0.0.1:{port}", requests.Session())
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json() == {"status": "ready", "store": "ok"}
        assert podman.run("healthcheck", "run", name, check=False).returncode == 0
        assert podman.run("exec", name, "id", "-u").stdout.strip() == "10001"
        # the generated key and the sessions are in the volume, written by the app's user
        assert podman.run("exec", name, "test", "-s", "/app/instance/secret_key", check=False).returncode == 0
        assert podman.run("exec", name, "test", "-d", "/app/instance/sessions", check=False).returncode == 0
        # the code is not the app user's to change
        assert podman.run("exec", name, "touch", "/app/sample_app/x", check=False).returncode != 0
        # /metrics stays closed to addresses outside OPS_ALLOWED_NETWORKS (the published port is one)
        assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 403


def test_signed_in_users_keep_working_through_an_outage(podman: Podman, app_image: Image, emulator, readable) -> None:
    volume, state = emulator_state(emulator, readable)
    port = free_port()
    options = ("--network", "host", "-v", volume)
    with container(podman, app_image.tag, *options, env=app_env(state, port)) as name:
        url = f"https://127.0.0.1:{port}"
        client = trusting_session(emulator.config["ca_bundle"])
        wait_ready(podman, name, url, client)
        user = emulator.user
        assert flows.app_sign_in(client, url, user["username"], user["password"]).status_code == 302
        emulator.fault(kind="outage", group="all", mode="reset")
        try:
            for path in ("/", "/profile", "/call-api"):
                assert client.get(url + path, allow_redirects=False).status_code == 200, path
            anonymous = trusting_session(emulator.config["ca_bundle"]).get(url + "/auth/login", allow_redirects=False)
            assert anonymous.status_code == 503 and int(anonymous.headers["Retry-After"]) >= 1
        finally:
            emulator.clear()


def test_a_replica_started_with_an_empty_disk_during_an_outage(podman: Podman, app_image: Image, emulator, readable) -> None:
    """Scale-out while B2C is down: the new container has a new, empty volume, and finds the
    sessions and the last-known-good metadata and keys in Redis."""
    from tests.sample_app.conftest import access_token
    from tests.sample_app.test_sessions import _start_redis

    redis_server, redis_url = _start_redis(readable)
    volume, state = emulator_state(emulator, readable)
    first_port, second_port = free_port(), free_port()
    options = ("--network", "host", "-v", volume)
    ca = emulator.config["ca_bundle"]
    try:
        with container(podman, app_image.tag, *options, env=app_env(state, first_port, REDIS_URL=redis_url)) as first:
            first_url = f"https://127.0.0.1:{first_port}"
            client = trusting_session(ca)
            wait_ready(podman, first, first_url, client)
            user = emulator.user
            assert flows.app_sign_in(client, first_url, user["username"], user["password"]).status_code == 302
            token = access_token(emulator)
            assert client.get(first_url + "/api/hello", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            emulator.fault(kind="outage", group="all", mode="reset")
            try:
                env = app_env(state, second_port, REDIS_URL=redis_url)
                with container(podman, app_image.tag, *options, env=env) as second:
                    second_url = f"https://127.0.0.1:{second_port}"
                    wait_ready(podman, second, second_url, trusting_session(ca))
                    other = trusting_session(ca)
                    other.cookies.set("__Host-refapp", client.cookies.get("__Host-refapp"))
                    assert other.get(second_url + "/profile", allow_redirects=False).status_code == 200
                    hello = other.get(second_url + "/api/hello", headers={"Authorization": f"Bearer {token}"})
                    assert hello.status_code == 200, hello.text[:300]
                    assert other.get(second_url + "/readyz").json() == {"status": "ready", "store": "ok"}
            finally:
                emulator.clear()
    finally:
        redis_server.terminate()
        redis_server.wait(timeout=10)
