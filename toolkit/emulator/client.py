"""Talking to a running emulator from Python, through sessions that trust its CA only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from toolkit.resilience.http import trusting_session


def emulator_url(state_dir: str | Path) -> str:
    """The URL of the emulator running on `state_dir` (from its emulator.json)."""
    url: str = json.loads((Path(state_dir) / "emulator.json").read_text())["url"]
    return url


def admin_session(state_dir: str | Path) -> requests.Session:
    """A session for the admin API of the emulator on `state_dir`."""
    return trusting_session(Path(state_dir) / "ca.pem")


def set_fault(session: requests.Session, url: str, **fault: Any) -> dict[str, Any]:
    """Add a fault through the admin API; raises on refusal."""
    reply = session.post(f"{url}/_emulator/faults", json=fault, timeout=10)
    reply.raise_for_status()
    result: dict[str, Any] = reply.json()
    return result


def clear_faults(session: requests.Session, url: str) -> None:
    """Clear every fault through the admin API."""
    session.delete(f"{url}/_emulator/faults", timeout=10).raise_for_status()
