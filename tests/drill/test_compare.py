"""`b2c-toolkit drill compare`: two finished runs side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loadtests.contract import Operation

ROOT = Path(__file__).resolve().parents[2]


def card(app: str, scenario: str = "idp-outage", new_sign_in: dict | None = None) -> dict:
    stats = {"requests": 10, "failures": 0, "handled": 0, "success_ratio": 1.0, "ok_ratio": 1.0, "p50_ms": 5.0, "p95_ms": 9.0, "rps": 1.0}
    phase = {
        "name": "outage",
        "fault": "idp-outage",
        "start_s": 0,
        "end_s": 4,
        "personas": {"signed_in": stats, "new_sign_in": new_sign_in or stats},
        "idp": {"requests": 20, "by_group": {"pages": {"200": 20}}, "per_operation": 1.0},
        "idp_ratio": 2.0,
    }
    objective = {
        "name": "o",
        "threshold": ">= 0.5",
        "observed": (new_sign_in or stats)["success_ratio"],
        "passed": (new_sign_in or stats)["success_ratio"] >= 0.5,
    }
    return {
        "scenario": scenario,
        "app": app,
        "passed": objective["passed"],
        "users": 2,
        "duration_s": 4,
        "phases": [phase],
        "objectives": [objective],
        "recovery_s": 1.0,
        "signed_in_users_logged_out": 0,
    }


def write_run(folder: Path, scorecard: dict) -> Path:
    folder.mkdir()
    (folder / "scorecard.json").write_text(json.dumps(scorecard))
    (folder / "ops.jsonl").write_text("\n".join(Operation(t / 2, "signed_in", "ok", 5.0).to_json() for t in range(8)))
    return folder


def compare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", "drill", "compare", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_two_runs_side_by_side(tmp_path):
    failing = {
        "requests": 6,
        "failures": 6,
        "handled": 0,
        "success_ratio": 0.0,
        "ok_ratio": 0.0,
        "p50_ms": 30.0,
        "p95_ms": 34.0,
        "rps": 1.5,
    }
    a = write_run(tmp_path / "a", card("reference app"))
    b = write_run(tmp_path / "b", card("typical app", new_sign_in=failing))
    proc = compare(str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| persona | reference app | typical app |" in md
    assert "| new_sign_in | 10 ops: 10 ok, 0 handled, 0 failed; p95 9 ms | 6 ops: 0 ok, 0 handled, 6 failed; p95 34 ms |" in md
    assert "| o (want >= 0.5) | PASS (1.0) | FAIL (0.0) |" in md
    assert "20 requests, 1.0 per operation (x2.0 of baseline)" in md
    page = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "<td>FAIL (0.0)</td>" in page and 'src="comparison.png"' in page
    assert (tmp_path / "cmp" / "comparison.png").read_bytes().startswith(b"\x89PNG")


def test_runs_of_different_scenarios_or_no_results_exit_2(tmp_path):
    a = write_run(tmp_path / "a", card("x"))
    b = write_run(tmp_path / "b", card("y", scenario="throttling"))
    proc = compare(str(a), str(b))
    assert proc.returncode == 2 and "compare runs of one scenario" in proc.stderr
    proc = compare(str(a), str(tmp_path))
    assert proc.returncode == 2 and f"{tmp_path}: no scorecard.json" in proc.stderr
