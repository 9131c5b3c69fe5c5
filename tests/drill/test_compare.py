"""`b2c-toolkit drill compare`: two finished runs side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.contract import Operation
from toolkit.drill import compare as comparing

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
        "weights": {"signed_in": 1, "new_sign_in": 1},
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
    assert (
        "| new_sign_in | 10 ops (2.5/s, 1.25/s per user): 10 ok, 0 handled, 0 failed; p95 9 ms"
        " | 6 ops (1.5/s, 0.75/s per user): 0 ok, 0 handled, 6 failed; p95 34 ms |"
    ) in md
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


def test_runs_that_are_not_comparable_are_refused_unless_allowed(tmp_path):
    """Different users, durations, persona mixes or phases used to be mixed up and headed with the
    first run's phase times: now refused, saying what differs; allowed, rates per second and per
    user are compared, each run with its own phases."""
    other = card("typical app")
    other.update(users=4, duration_s=8, weights={"signed_in": 2, "new_sign_in": 1})
    other["phases"][0].update(start_s=0, end_s=8)
    a = write_run(tmp_path / "a", card("reference app"))
    b = write_run(tmp_path / "b", other)
    with pytest.raises(comparing.CompareError) as refused:
        comparing.write(a, b, tmp_path / "cmp")
    message = str(refused.value)
    assert "users 2 vs 4" in message and "duration 4 s vs 8 s" in message and "--allow-different" in message
    assert (
        "persona mix signed_in=1,new_sign_in=1 vs signed_in=2,new_sign_in=1" in message and "phases outage 0-4 s vs outage 0-8 s" in message
    )
    comparing.write(a, b, tmp_path / "cmp", allow_different=True)
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "## Phase outage (reference app: 0-4 s, fault: idp-outage; typical app: 0-8 s, fault: idp-outage)" in md
    assert "| signed_in | 10 ops (2.5/s, 1.25/s per user): 10 ok" in md and " | 10 ops (1.2/s, 0.31/s per user): 10 ok" in md
    assert "| users 2 vs 4 |" in md
    proc = compare(str(a), str(b), "--out", str(tmp_path / "cli"))
    assert proc.returncode == 2 and "not comparable" in proc.stderr
    assert compare(str(a), str(b), "--out", str(tmp_path / "cli"), "--allow-different").returncode == 0
