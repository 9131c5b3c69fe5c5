"""Serve the emulator over HTTPS with gunicorn (threaded worker), the way it runs in production.

One worker process keeps codes, transactions and faults in one place; its threads serve requests
concurrently and its TLS comes from the state folder's server certificate.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from toolkit.emulator.state import write_config


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def serve(
    app: Flask,
    state_dir: Path,
    host: str,
    port: int,
    threads: int = 32,
    on_ready: Any = None,
    flavor: str = "b2c",
    config: dict[str, Any] | None = None,
) -> None:
    """Run until interrupted. Once listening, writes `config` (what `--print-config` prints) to
    `state_dir/config.json` for apps, kept after the emulator stops, then `state_dir/emulator.json`
    (url, pid, flavor: the emulator's own, for `faults`), removed when it stops."""
    url = f"https://{host}:{port}"
    info = state_dir / "emulator.json"

    def when_ready(_server: Any) -> None:
        if config is not None:
            write_config(state_dir, config)
        info.write_text(json.dumps({"url": url, "pid": os.getpid(), "flavor": flavor}))
        if on_ready is not None:
            on_ready(url)

    def on_exit(_server: Any) -> None:
        info.unlink(missing_ok=True)

    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "certfile": str(state_dir / "server.pem"),
        "keyfile": str(state_dir / "server-key.pem"),
        "keepalive": 30,
        "timeout": 120,
        "graceful_timeout": 3,
        "backlog": 2048,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": when_ready,
        "on_exit": on_exit,
        "preload_app": True,
    }
    _Gunicorn(app, options).run()
