"""Audit of a synthetic export: 20,000 app registrations and 500 key sets by default, and how time
and memory grow with size (a quarter, a half, the whole).

    python bench/tenant_audit.py [APPS] [KEY_SETS]

Each app has one or two secrets or certificates ending on spread dates; each key set one to three
keys; a sixth of them expire within the horizon. Printed per size: records, wall time of the audit
(load, rules, report as JSON), the peak memory Python allocated (tracemalloc, in a second run),
and findings.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.lint.config import Config  # noqa: E402
from toolkit.lint.formatters import json_format  # noqa: E402
from toolkit.tenant.audit import audit  # noqa: E402
from toolkit.tenant.export import write_collection  # noqa: E402

AT = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def synthetic(folder: Path, apps: int, key_sets: int) -> None:
    start = AT - dt.timedelta(days=400)
    records = []
    for i in range(apps):
        end = start + dt.timedelta(days=(i * 37) % 800)
        creds = [{"keyId": f"k{i}", "displayName": "ci", "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")}]
        if i % 2:
            creds.append({"keyId": f"l{i}", "displayName": "next", "endDateTime": (end + dt.timedelta(days=365)).isoformat()})
        field = "passwordCredentials" if i % 3 else "keyCredentials"
        records.append({"id": f"obj-{i}", "appId": f"{i:08d}-0000-4000-8000-000000000000", "displayName": f"app {i}", field: creds})
    write_collection(folder / "applications.json", records)
    sets = []
    for i in range(key_sets):
        keys = [
            {
                "kid": f"{i}-{j}",
                "use": "sig",
                "kty": "RSA",
                "nbf": int((start + dt.timedelta(days=100 * j)).timestamp()),
                "exp": int((start + dt.timedelta(days=100 * j + (i * 13) % 700)).timestamp()),
            }
            for j in range(1 + i % 3)
        ]
        sets.append({"id": f"B2C_1A_Key{i}", "keys": keys})
    write_collection(folder / "keySets.json", sets)
    (folder / "manifest.json").write_text(json.dumps({"tenant": "bench", "resources": {}}))


def run(apps: int, key_sets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        synthetic(folder, apps, key_sets)
        began = time.perf_counter()
        report, _ = audit(folder, AT, dt.timedelta(days=30), Config())
        json_format(report)
        took = time.perf_counter() - began
        tracemalloc.start()  # a second run for memory: tracing doubles the time
        audit(folder, AT, dt.timedelta(days=30), Config())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{apps:>7} apps {key_sets:>5} key sets: {took:6.2f} s, peak {peak / 2**20:6.1f} MiB, {len(report.problems)} findings")


def main() -> None:
    apps = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    key_sets = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    for share in (4, 2, 1):
        run(apps // share, key_sets // share)


if __name__ == "__main__":
    main()
