"""Small exports written by the tests, and the audit run on them in this process."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from tests.lint.examples import ROOT
from toolkit.lint.config import Config
from toolkit.lint.problem import Problem
from toolkit.tenant.audit import audit
from toolkit.tenant.export import MANIFEST, policy_file, write_collection
from toolkit.tenant.load import parse_date
from toolkit.tenant.resources import RESOURCES

__all__ = ["ROOT", "app", "at", "audit_dir", "key", "write_export"]

AT = "2026-06-01"


def at(text: str = AT) -> dt.datetime:
    when = parse_date(text)
    assert when is not None
    return when


def key(kid: str, nbf: str | None = None, exp: str | None = None, status: str = "enabled") -> dict[str, Any]:
    """A JWK as Graph lists it (NumericDate `nbf`, `exp`)."""
    found: dict[str, Any] = {"kid": kid, "use": "sig", "kty": "RSA", "status": status}
    for name, value in (("nbf", nbf), ("exp", exp)):
        if value:
            found[name] = int(at(value).timestamp())
    return found


def app(app_id: str, name: str, secrets: list[str | None] | None = None, certs: list[str] | None = None) -> dict[str, Any]:
    """An application record with secrets and certificates ending on the given dates."""
    return {
        "id": f"object-{app_id}",
        "appId": app_id,
        "displayName": name,
        "passwordCredentials": [
            {"keyId": f"s{i}", "displayName": f"secret {i}", "endDateTime": end} for i, end in enumerate(secrets or [])
        ],
        "keyCredentials": [
            {"keyId": f"c{i}", "displayName": f"cert {i}", "endDateTime": end, "type": "AsymmetricX509Cert"}
            for i, end in enumerate(certs or [])
        ],
    }


def write_export(folder: Path, policies: str | None = None, **collections: list[dict[str, Any]]) -> Path:
    """An export holding `collections` (and, with `policies="resilient"`, the resilient set as
    uploaded); every other resource recorded as not read."""
    folder.mkdir(parents=True, exist_ok=True)
    resources: dict[str, Any] = {}
    for r in RESOURCES:
        if r.name in collections:
            write_collection(folder / r.file, collections[r.name])
            resources[r.name] = {"read": True, "records": len(collections[r.name])}
        elif r.name == "policies" and policies:
            ids = []
            (folder / "policies").mkdir(exist_ok=True)
            for path in sorted((ROOT / "policies" / policies).glob("*.xml")):
                policy_id = path.read_text().split('PolicyId="', 1)[1].split('"', 1)[0]
                ids.append({"id": policy_id})
                shutil.copy(path, folder / policy_file(policy_id))
            write_collection(folder / r.file, ids)
            resources[r.name] = {"read": True, "records": len(ids)}
        else:
            resources[r.name] = {"read": False, "status": 404, "reason": "404 Request_ResourceNotFound: not in this tenant"}
    (folder / MANIFEST).write_text(json.dumps({"tenant": "t", "resources": resources}))
    return folder


def audit_dir(
    folder: Path, when: dt.datetime | None = None, horizon: dt.timedelta = dt.timedelta(days=30), repository: str | None = None
) -> list[Problem]:
    """The problems `tenant audit` reports on `folder` (at 2026-06-01 unless told)."""
    report, _ = audit(folder, when or at(), horizon, Config(), repository)
    return report.problems
