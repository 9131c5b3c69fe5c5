"""A real stack per test module: the emulator and the reference app under gunicorn, both TLS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.lint.policies import BASE, RP, policy, write
from tests.support import REDIRECT_URI, RunningEmulator, start_emulator, stop_emulator
from toolkit import flows
from toolkit.drill import processes
from toolkit.drill.processes import Service
from toolkit.resilience.http import trusting_session

APP_ENV = {
    "IDP_PROBE_INTERVAL_S": "0",
    "BREAKER_RESET_S": "1",
    "BREAKER_FAIL_MAX": "3",
    "IDP_READ_TIMEOUT_S": "1.5",
    "IDP_CONNECT_TIMEOUT_S": "1",
    "SECRET_KEY": "test-secret-key-not-for-production",
}


@dataclass
class Stack:
    """A running emulator and app."""

    emulator: RunningEmulator
    app: Service

    @property
    def url(self) -> str:
        """The app's base URL."""
        return self.app.url

    def client(self) -> requests.Session:
        """A browser-like client with its own cookie jar."""
        return trusting_session(self.emulator.config["ca_bundle"])

    def user(self, index: int = 0) -> dict[str, str]:
        """A test user's credentials."""
        return dict(self.emulator.config["users"][index])

    def signed_in(self, index: int = 0) -> requests.Session:
        """A client that has signed in through the app."""
        client = self.client()
        user = self.user(index)
        reply = flows.app_sign_in(client, self.url, user["username"], user["password"])
        assert reply.status_code == 302, reply.text[:500]
        return client

    def wait_for_recovery(self) -> None:
        """After faults are cleared, wait until the app sends users to sign in again."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.client().get(self.url + "/auth/login", allow_redirects=False).status_code == 302:
                return
            time.sleep(0.2)
        raise AssertionError("the app did not recover within 10 s")


def start_stack(
    root: Path,
    token_lifetime_s: int | None = None,
    app_env: dict[str, str] | None = None,
    workers: int = 1,
    threads: int = 16,
    emulator_args: list[str] | None = None,
) -> Stack:
    """Emulator (optionally with a policy set setting the access-token lifetime, and `emulator_args`) and app."""
    extra: list[str] = list(emulator_args or [])
    if token_lifetime_s is not None:
        base = BASE.replace('<Item Key="token_lifetime_secs">3600</Item>', f'<Item Key="token_lifetime_secs">{token_lifetime_s}</Item>')
        files = {"Base.xml": policy("B2C_1A_Base", base), "RP.xml": policy("B2C_1A_signup_signin", RP, base="B2C_1A_Base")}
        extra += ["--policies", str(write(root / "policies", files))]
    emulator = start_emulator(root / "emulator", *extra)
    app = processes.start_app(root / "emulator", root / "app", env={**APP_ENV, **(app_env or {})}, workers=workers, threads=threads)
    return Stack(emulator, app)


@contextmanager
def running_stack(root: Path, **options: Any) -> Iterator[Stack]:
    """`start_stack(root, **options)`, both processes stopped on the way out."""
    running = start_stack(root, **options)
    try:
        yield running
    finally:
        running.app.stop()
        stop_emulator(running.emulator)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Emulator and app with B2C's default token lifetimes."""
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(autouse=True)
def _recovered(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "stack" in request.fixturenames:
        running: Stack = request.getfixturevalue("stack")
        running.emulator.clear()
        running.wait_for_recovery()


#: the reference daemon's longest backoff in the tests
DAEMON_MAX_BACKOFF_S = 3.0


def start_daemon(
    stack: Stack, folder: Path, duration_s: float | None = None, interval_s: float = 0.1
) -> tuple[subprocess.Popen[bytes], Path]:
    """`python -m sample_app.daemon` against the stack's emulator and API (its log in `folder`);
    and where it writes its summary when it stops (after `duration_s`, or when terminated)."""
    summary = folder / "summary.json"
    env = {
        **os.environ,
        "B2C_STATE_DIR": str(stack.emulator.state_dir),
        "API_BASE_URL": stack.url,
        "IDP_CACHE_DIR": str(folder / "daemon-cache"),
        "BREAKER_FAIL_MAX": "3",
        "BREAKER_RESET_S": "1",
        "IDP_READ_TIMEOUT_S": "2",
        "IDP_CONNECT_TIMEOUT_S": "1",
        "DAEMON_MAX_BACKOFF_S": str(DAEMON_MAX_BACKOFF_S),
    }
    args = [sys.executable, "-m", "sample_app.daemon", "--interval", str(interval_s), "--summary", str(summary)]
    args += ["--duration", str(duration_s)] if duration_s else []
    with open(folder / "daemon.log", "ab") as log:
        return subprocess.Popen(args, env=env, cwd=processes.ROOT, stdout=log, stderr=subprocess.STDOUT), summary


def access_token(emulator: RunningEmulator) -> str:
    """A genuine access token for the API scope, from the emulator through msal."""
    app = emulator.cca()
    flow = app.initiate_auth_code_flow([emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
    user = emulator.user
    result = app.acquire_token_by_auth_code_flow(
        flow, flows.sign_in(emulator.session(), flow["auth_uri"], user["username"], user["password"]).params
    )
    token: str = result["access_token"]
    return token
