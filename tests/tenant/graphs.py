"""Helpers for the tests that export from the emulator's Graph: the shipped tenants' settings, and
`tenant export` run in this process against a running emulator."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import RunningEmulator
from toolkit.cli import main
from toolkit.emulator.graph import SHIPPED

#: the client granted every permission, and one without Policy.Read.All
EXPORTER = "e0e0e0e0-0000-4000-8000-000000000001"
NO_POLICY_READ = "e0e0e0e0-0000-4000-8000-000000000002"
#: in the workforce tenants: a signed-in administrator (delegated scopes), who reads the delegated-only resources too
ADMIN = "e0e0e0e0-0000-4000-8000-000000000003"
SECRET = "emulator-graph-secret"


def seeded(name: str) -> dict[str, Any]:
    """The `graph.json` of a shipped tenant."""
    config: dict[str, Any] = json.loads((SHIPPED / name / "graph.json").read_text())
    return config


def export(
    monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator, tenant: str, out: Path, *extra: str, client: str = EXPORTER
) -> tuple[int, str]:
    """`b2c-toolkit tenant export` against the emulator's Graph with a client secret; (exit code, stderr)."""
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    for name in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    argv = [
        "tenant",
        "export",
        "--out",
        str(out),
        "--tenant",
        seeded(tenant)["tenant_id"],
        "--client-id",
        client,
        "--graph-url",
        f"{emulator.url}/graph",
        "--authority-host",
        emulator.url,
        "--ca-bundle",
        emulator.config["ca_bundle"],
        *extra,
    ]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()
