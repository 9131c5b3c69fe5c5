"""compose.yaml brought up with podman-compose: two replicas share a signed-in user through Redis,
and keep serving that user while the emulator is down. Free ports, this session's app image, and a
Redis image made from the same base with Debian's redis-server (no registry is needed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import Image
from tests.deploy.podman import ROOT, Podman
from toolkit import flows
from toolkit.emulator.server import free_port
from toolkit.resilience.http import trusting_session

REDIS_DOCKERFILE = """ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN mkdir -p /var/cache/apt/archives/partial /var/lib/apt/lists/partial /var/log/apt \\
    && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \\
    && rm -rf /var/lib/apt/lists/*
USER redis
"""


def redis_image(podman: Podman, base: str, folder: os.PathLike[str]) -> str:
    """Debian's redis-server on `base` (kept by podman with its base's name in the tag)."""
    tag = "localhost/b2c-test-redis:" + base.rsplit(":", 1)[-1]
    if podman.run("image", "exists", tag, check=False).returncode != 0:
        with open(os.path.join(folder, "Dockerfile"), "w") as file:
            file.write(REDIS_DOCKERFILE)
        podman.run("build", "-q", "--build-arg", f"BASE_IMAGE={base}", "-t", tag, os.fspath(folder), timeout=600)
    return tag


def podman_compose() -> str:
    """podman-compose 1.1 or later (the [dev] extra's), or a skip saying why not."""
    found = shutil.which("podman-compose", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("podman-compose is not installed (pip install -e '.[dev]' installs it)")
    said = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60).stdout
    version = re.search(r"podman-compose version (\d+)\.(\d+)", said)
    if version is None or (int(version.group(1)), int(version.group(2))) < (1, 1):
        pytest.skip(f"{found} is older than 1.1: it cannot share the emulator's network namespace (network_mode: service:)")
    return found


def test_compose_up_two_replicas_share_a_user_through_an_outage(podman: Podman, app_image: Image, tmp_path) -> None:
    compose = podman_compose()
    ports = {"EMULATOR_PORT": free_port(), "APP1_PORT": free_port(), "APP2_PORT": free_port()}
    project = f"b2c-refapp-test-{os.getpid()}"
    env = {
        **podman.env,
        **{name: str(port) for name, port in ports.items()},
        "SECRET_KEY": "compose-test-secret-not-for-production",
        "APP_IMAGE": app_image.tag,
        "REDIS_IMAGE": redis_image(podman, app_image.base, tmp_path),
    }

    def compose_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [compose, "-p", project, "-f", str(ROOT / "compose.yaml"), *args], env=env, text=True, capture_output=True, timeout=300
        )

    started = compose_run("up", "-d")
    emulator = f"{project}_emulator_1"
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        deadline = time.monotonic() + 60
        while podman.run("exec", emulator, "test", "-f", "/app/.b2c-emulator/emulator.json", check=False).returncode != 0:
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.5)
        (tmp_path / "ca.pem").write_text(podman.run("exec", emulator, "cat", "/app/.b2c-emulator/ca.pem").stdout)
        user = json.loads(podman.run("exec", emulator, "cat", "/app/.b2c-emulator/users.json").stdout)[0]
        first, second = (f"https://localhost:{ports[name]}" for name in ("APP1_PORT", "APP2_PORT"))
        client = trusting_session(tmp_path / "ca.pem")
        for url in (first, second):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get(url + "/readyz", timeout=2).json() == {"status": "ready", "store": "ok"}:
                        break
                except (requests.RequestException, ValueError):
                    pass
                assert time.monotonic() < deadline, f"{url} was not ready: {compose_run('logs').stdout[-3000:]}"
                time.sleep(0.5)
        assert flows.app_sign_in(client, first, user["email"], user["password"]).status_code == 302
        # the session cookie is the host's (ports do not matter to cookies): the second replica shares it
        assert user["name"] in client.get(second + "/profile", allow_redirects=False).text
        # from inside the namespace: the emulator's admin API answers loopback clients only
        emulator_url = f"https://localhost:{ports['EMULATOR_PORT']}"
        fault = ["python3", "-m", "toolkit", "emulator", "faults", "--state-dir", "/app/.b2c-emulator", "--url", emulator_url]
        podman.run("exec", emulator, *fault, "set", "--kind", "outage", "--group", "all", "--mode", "reset")
        for url in (first, second):
            assert client.get(url + "/profile", allow_redirects=False).status_code == 200, url
        assert trusting_session(tmp_path / "ca.pem").get(second + "/auth/login", allow_redirects=False).status_code == 503
    finally:
        compose_run("down", "-v")
