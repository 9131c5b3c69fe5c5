"""Scenarios and scoring, on synthetic operations (the real runs are in test_drill.py)."""

from __future__ import annotations

import json

import pytest

from toolkit.drill import scenario as scenarios
from toolkit.drill import score


@pytest.mark.parametrize("name", ["baseline", "idp-outage", "throttling", "latency", "key-rotation"])
def test_shipped_scenarios_load(name):
    s = scenarios.load(name)
    assert s.phases[0].start_s == 0 and s.phases[-1].end_s == pytest.approx(s.duration_s)
    assert s.objectives and all(p in scenarios.PERSONAS for p in s.weights)


def test_duration_rescales_phases_and_timeline():
    s = scenarios.load("idp-outage", users=3, duration_s=20)
    outage = next(p for p in s.phases if p.name == "outage")
    assert (outage.start_s, outage.end_s, outage.fault_name) == (8.0, 14.0, "idp-outage")
    assert s.timeline() == [{"at_s": 8.0, "fault": {"kind": "outage", "group": "all", "mode": "reset"}, "duration_s": 6.0}]
    assert s.last_fault_end_s == 14.0


def test_key_rotation_is_an_instant_action():
    s = scenarios.load("key-rotation", duration_s=10)
    assert s.timeline() == [{"at_s": 5.0, "fault": "rotate-keys", "grace_s": 10}]
    assert s.last_fault_end_s is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: scenarios.load("nope"), "no scenario 'nope'"),
        (lambda: scenarios.parse_weights("robots=3"), "bad persona weight"),
        (lambda: scenarios.parse_weights("signed_in=x"), "bad persona weight"),
        (lambda: scenarios.load("baseline", users=0), "users must be"),
    ],
)
def test_usage_errors(call, message):
    with pytest.raises(scenarios.ScenarioError, match=message):
        call()


def test_bad_scenario_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\n[[phases]]\nname = "a"\nshare = 1\n[[objectives]]\nname = "o"\nmetric = "vibes"\nmax = 1\n')
    with pytest.raises(scenarios.ScenarioError, match="unknown metric 'vibes'"):
        scenarios.load(str(path))


def ops(*rows):
    return [(t, persona, outcome, ms, user, logged_out) for t, persona, outcome, ms, user, logged_out in rows]


def test_recovery_needs_a_full_second_of_successes():
    rows = ops(
        (10.0, "new_sign_in", "failed", 5, "a", False),
        (10.5, "new_sign_in", "ok", 5, "a", False),
        (10.9, "new_sign_in", "failed", 5, "a", False),
        (12.0, "new_sign_in", "ok", 5, "a", False),
        (12.6, "new_sign_in", "ok", 5, "a", False),
    )
    assert score.recovery_s(rows, 10.0) == 2.0
    assert score.recovery_s(rows, None) is None
    assert score.recovery_s(ops((11.0, "new_sign_in", "failed", 5, "a", False)), 10.0) is None


def test_persona_stats_and_percentiles():
    rows = ops(*[(1.0, "signed_in", "ok", float(ms), "u", False) for ms in range(1, 101)], (2.0, "signed_in", "failed", 500.0, "u", True))
    stats = score.persona_stats(rows, 10.0)
    assert (stats["requests"], stats["failures"], stats["p50_ms"], stats["p95_ms"], stats["rps"]) == (101, 1, 51.0, 96.0, 10.1)
    assert stats["success_ratio"] == pytest.approx(100 / 101, abs=1e-4)


def test_build_evaluates_every_objective(tmp_path):
    s = scenarios.load("idp-outage", duration_s=20)
    started = 1000.0
    (tmp_path / "phases.json").write_text(json.dumps({"started_at": started, "phases": []}))
    lines = []
    for second in range(20):
        lines.extend(
            [started + second + 0.1, persona, "ok", 10.0, persona[0], False] for persona in ("anonymous", "signed_in", "api_caller")
        )
        lines.append([started + second + 0.2, "new_sign_in", "handled" if 8 <= second < 14 else "ok", 50.0, "n", False])
    (tmp_path / "ops.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    card = score.build(s, tmp_path)
    assert card["passed"] and len(card["objectives"]) == len(s.objectives)
    assert card["recovery_s"] == pytest.approx(0.2)
    assert [p["fault"] for p in card["phases"]] == ["none", "idp-outage", "none"]
    assert "PASSED" in score.summary(card)
