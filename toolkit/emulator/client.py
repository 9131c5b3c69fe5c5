"""Talking to a running emulator from Python: a `requests.Session` that trusts its CA (and only
its CA: `trust_env=False`, because `REQUESTS_CA_BUNDLE` would silently override `verify=`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests


def emulator_url(state_dir: str | Path) -> str:
    """The URL of the emulator running on `state_dir` (from its emulator.json)."""
    url: str = json.loads((Path(state_dir) / "emulator.json").read_text())["url"]
    return url


def trusting_session(ca_bundle: str | Path) -> requests.Session:
    """A session that verifies TLS against `ca_bundle` whatever the environment says."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_bundle)
    return session


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
