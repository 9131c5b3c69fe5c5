"""Start and stop the real parts on free loopback ports: the emulator (gunicorn, TLS) and the
reference app (gunicorn, TLS with the emulator's server certificate). Used by the drill and the
tests alike, so tests run what users run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from toolkit.emulator.server import free_port
from toolkit.resilience.http import trusting_session

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    """A started server process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        """Terminate and wait (kill after 10 s)."""
        stop(self.process)

    def log_text(self) -> str:
        """Everything the process wrote so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process that still runs and wait for it (kill after 10 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(service: Service, path: str, ca_bundle: str | Path, timeout_s: float = 30) -> None:
    """Poll `path` until it answers 200; raise with the process's log if it does not."""
    deadline = time.monotonic() + timeout_s
    session: requests.Session | None = None
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited ({service.process.returncode}):\n{service.log_text()[-3000:]}")
        try:
            session = session or trusting_session(ca_bundle)
            if session.get(service.url + path, timeout=2).status_code == 200:
                return
        except (requests.RequestException, OSError):
            session = None
        time.sleep(0.15)
    service.stop()
    raise RuntimeError(f"{service.name} did not become ready in {timeout_s:.0f} s:\n{service.log_text()[-3000:]}")


def _spawn(name: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def start_emulator(state_dir: Path, *, port: int = 0, seed: int = 7, extra: list[str] | None = None, log: Path | None = None) -> Service:
    """`b2c-toolkit emulator` on a free port, ready to answer."""
    port = port or free_port()
    log = log or state_dir.parent / f"{state_dir.name}-emulator.log"
    args = [
        sys.executable,
        "-m",
        "toolkit",
        "emulator",
        "--state-dir",
        str(state_dir),
        "--port",
        str(port),
        "--seed",
        str(seed),
        *(extra or []),
    ]
    service = Service("emulator", f"https://127.0.0.1:{port}", _spawn("emulator", args, log), log)
    deadline = time.monotonic() + 30
    while not (state_dir / "ca.pem").exists() and time.monotonic() < deadline and service.process.poll() is None:
        time.sleep(0.1)
    wait_until_ready(service, "/healthz", state_dir / "ca.pem")
    return service


def start_app(
    emulator_state: Path,
    instance: Path,
    *,
    port: int = 0,
    workers: int = 1,
    threads: int = 16,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Service:
    """The reference app under gunicorn with TLS, configured from the emulator's state folder."""
    port = port or free_port()
    log = log or instance / "app.log"
    environ = {
        **os.environ,
        "B2C_STATE_DIR": str(emulator_state),
        "SESSION_DIR": str(instance / "sessions"),
        "IDP_CACHE_DIR": str(instance / "idp-cache"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "THREADS": str(threads),
        "TLS_CERT": str(emulator_state / "server.pem"),
        "TLS_KEY": str(emulator_state / "server-key.pem"),
        "ACCESS_LOG": "",
        "SECRET_KEY": "generate",  # made for this instance folder (a production start needs one)
        **(env or {}),
    }
    environ.pop("REQUESTS_CA_BUNDLE", None)
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "sample_app" / "gunicorn.conf.py"), "sample_app:create_app()"]
    service = Service("app", f"https://127.0.0.1:{port}", _spawn("app", args, log, environ), log)
    wait_until_ready(service, "/healthz", emulator_state / "ca.pem")
    return service


def start_redis(folder: Path, log: Path | None = None) -> Service:
    """A redis-server on a free loopback port, nothing saved to disk, ready to answer (its URL is
    `redis://127.0.0.1:PORT/0`). Raise FileNotFoundError when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)]
    service = Service(
        "redis", f"redis://127.0.0.1:{port}/0", _spawn("redis", args, log or folder / "redis.log"), log or folder / "redis.log"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and service.process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return service
        except OSError:
            time.sleep(0.05)
    service.stop()
    raise RuntimeError(f"redis-server did not answer on port {port}:\n{service.log_text()[-2000:]}")
