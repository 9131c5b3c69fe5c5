"""A real emulator process (gunicorn, TLS) shared by the emulator tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import pytest
import requests

from toolkit.emulator.client import clear_faults, set_fault, trusting_session
from toolkit.emulator.server import free_port

REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"


@dataclass
class RunningEmulator:
    """A started `b2c-toolkit emulator` and what tests need to talk to it."""

    url: str
    state_dir: Path
    process: subprocess.Popen[bytes]
    config: dict[str, Any]

    def session(self) -> requests.Session:
        """A fresh client (its own cookie jar) trusting the emulator's CA."""
        return trusting_session(self.config["ca_bundle"])

    def authority(self, role: str = "signup_signin") -> str:
        """The authority URL of one policy."""
        return f"{self.url}/{self.config['tenant']}/{self.config['policies'][role]}"

    def cca(self, role: str = "signup_signin", **kwargs: Any) -> msal.ConfidentialClientApplication:
        """Unmodified msal, given a session that trusts the emulator's CA."""
        return msal.ConfidentialClientApplication(
            self.config["client_id"],
            client_credential=self.config["client_secret"],
            authority=self.authority(role),
            http_client=self.session(),
            **kwargs,
        )

    @property
    def user(self) -> dict[str, str]:
        """The first test user."""
        return dict(self.config["users"][0])

    def fault(self, **spec: Any) -> dict[str, Any]:
        """Inject a fault through the admin API over HTTPS."""
        return set_fault(self.session(), self.url, **spec)

    def clear(self) -> None:
        """Back to normal service."""
        clear_faults(self.session(), self.url)


def start_emulator(state_dir: Path, *extra: str) -> RunningEmulator:
    """Start `b2c-toolkit emulator` on a free port and wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(state_dir), "--port", str(port), "--seed", "7", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"https://127.0.0.1:{port}"
    session = trusting_session(state_dir / "ca.pem") if (state_dir / "ca.pem").exists() else None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            session = session or trusting_session(state_dir / "ca.pem")
            config = session.get(f"{url}/_emulator/config", timeout=2).json()
            return RunningEmulator(url, state_dir, process, config)
        except (requests.RequestException, OSError, ValueError):
            session = None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("emulator did not start within 30 s")


def stop_emulator(emulator: RunningEmulator) -> None:
    """Stop the process and wait for it."""
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()
    if emulator.process.stderr is not None:
        emulator.process.stderr.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One emulator for the whole session; faults are cleared after every test."""
    running = start_emulator(tmp_path_factory.mktemp("emulator-state"))
    yield running
    stop_emulator(running)


@pytest.fixture(autouse=True)
def _no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear()
