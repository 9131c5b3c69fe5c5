"""Scoring, on synthetic operations: no process starts (the real runs are in test_drill.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from loadtests.contract import Operation, Request
from tests.drill.test_scenario import PHASES
from toolkit.drill import scenario as scenarios
from toolkit.drill import score
from toolkit.drill.scorecard import ObjectiveResult, PhaseCard, Scorecard


def ops(*rows):
    return [Operation(t, persona, outcome, ms, user, logged_out) for t, persona, outcome, ms, user, logged_out in rows]


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
    assert (stats.requests, stats.failures, stats.handled, stats.p50_ms, stats.p95_ms, stats.rps) == (
        101,
        1,
        0,
        51.0,
        96.0,
        10.1,
    )
    assert stats.success_ratio == pytest.approx(100 / 101, abs=1e-4)


def test_build_evaluates_every_objective(tmp_path):
    s = scenarios.load("idp-outage", duration_s=20)
    lines = []
    for second in range(20):
        lines.extend(Operation(second + 0.1, persona, "ok", 10.0, persona[0]) for persona in ("anonymous", "signed_in", "daemon"))
        lines.append(Operation(second + 0.2, "new_sign_in", "handled" if 8 <= second < 14 else "ok", 50.0, "n"))
    (tmp_path / "ops.jsonl").write_text("\n".join(o.to_json() for o in lines))
    # 4 operations a second; the IdP got 1 request per operation in the baseline, 1.5 in the outage
    idp = {
        "phases": [
            {"name": "baseline", "requests": {"pages 200": 32}},
            {"name": "outage", "requests": {"pages reset": 30, "token 200": 6}},
            {"name": "recovery", "requests": None},
        ]
    }
    (tmp_path / "idp.json").write_text(json.dumps(idp))
    card = score.build(s, tmp_path)
    assert card.passed and len(card.objectives) == len(s.objectives)
    assert card.recovery_s == pytest.approx(0.2)
    assert [p.fault for p in card.phases] == ["none", "idp-outage", "none"]
    assert card.phases[1].personas["new_sign_in"].handled == 6
    assert asdict(card.phases[1].idp) == {"requests": 36, "by_group": {"pages": {"reset": 30}, "token": {"200": 6}}, "per_operation": 1.5}
    assert card.phases[1].idp_ratio == 1.5 and card.phases[2].idp is None
    assert "PASSED" in score.summary(card) and "x1.5 of baseline" in score.summary(card)


def test_objectives_of_a_persona_the_app_cannot_serve_are_skipped(tmp_path):
    s = scenarios.load("idp-outage", duration_s=20)
    (tmp_path / "ops.jsonl").write_text(Operation(1.0, "signed_in", "ok", 5.0).to_json())
    card = score.build(s, tmp_path, skipped={"daemon": "no API route"})
    daemon = [o for o in card.objectives if o.name.startswith("daemons")]
    assert len(daemon) == 2 and all(o.skipped == "no API route" and o.passed for o in daemon)
    assert all("daemon" not in p.personas for p in card.phases)
    assert "[SKIP]" in score.summary(card)


def test_genuine_tokens_refused_sums_the_401s_to_tokens_the_idp_issued(tmp_path):
    """By phase and persona; a whole run without `phase`, the worst phase with `phase = "*"`, every
    persona without `persona`; a persona without operations in the phase observes nothing (fails)."""
    path = tmp_path / "s.toml"
    objective = '[[objectives]]\nname = "{name}"\nmetric = "genuine_tokens_refused"\nmax = 0\n'
    path.write_text(
        'name = "s"\nduration_s = 30\n[weights]\ndaemon = 1\napi_caller = 1\nsigned_in = 1\n'
        + PHASES
        + objective.format(name="run")
        + objective.format(name="daemon in a")
        + 'persona = "daemon"\nphase = "a"\n'
        + objective.format(name="daemon every phase")
        + 'persona = "daemon"\nphase = "*"\n'
        + objective.format(name="api_caller in c")
        + 'persona = "api_caller"\nphase = "c"\n'
    )
    s = scenarios.load(str(path))
    rows = [Operation(t + 0.5, "daemon", "ok", 10.0, "d") for t in range(30)]
    rows += [
        Operation(12.0, "daemon", "ok", 10.0, "d", genuine_tokens_refused=1),
        Operation(13.0, "daemon", "failed", 10.0, "d", genuine_tokens_refused=2),
    ]
    rows += [Operation(2.0, "api_caller", "failed", 10.0, "a", reason="HTTP 401", genuine_tokens_refused=1)]
    (tmp_path / "ops.jsonl").write_text("\n".join(o.to_json() for o in sorted(rows, key=lambda o: o.t)))
    card = score.build(s, tmp_path)
    assert [p.personas["daemon"].genuine_tokens_refused for p in card.phases] == [0, 3, 0]
    assert card.phases[0].personas["api_caller"].genuine_tokens_refused == 1
    assert [(o.name, o.observed, o.passed) for o in card.objectives] == [
        ("run", 4.0, False),
        ("daemon in a", 0.0, True),
        ("daemon every phase", 3.0, False),
        ("api_caller in c", None, False),  # no API call there: nothing refused is nothing tried
    ]
    shown = [line for line in score.summary(card).splitlines() if "genuine tokens refused (401)" in line]
    assert [line.split()[0] for line in shown] == ["api_caller", "daemon"]  # phase a's API caller, phase b's daemon: only where some were
    assert shown[1].endswith("3 genuine tokens refused (401)")
    assert score.persona_stats([], 1.0).genuine_tokens_refused == 0


def test_the_token_window_of_a_phase_with_faults_at_once_is_the_longest_retry_after(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nduration_s = 10\n[weights]\ndaemon = 1\n[[phases]]\nname = "a"\nshare = 1\n'
        'fault = [{ kind = "throttle", group = "token", retry_after = 30 }, { kind = "latency", group = "jwks", latency_ms = 5 }]\n'
    )
    (tmp_path / "ops.jsonl").write_text(Operation(1.0, "daemon", "ok", 5.0, "d").to_json())
    card = score.build(scenarios.load(str(path)), tmp_path)
    assert card.phases[0].personas["daemon"].token_window_s == 30.0
    assert card.phases[0].fault == "throttle:token+latency:jwks"


def test_idp_requests_ratio_of_some_endpoint_groups(tmp_path):
    """`groups` counts the app's own requests (here keys and tokens), not the sign-in pages."""
    objective = '[[objectives]]\nname = "o"\nmetric = "idp_requests_ratio"\nphase = "*"\nbaseline = "a"\nmax = 2\n'
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nduration_s = 30\n[weights]\ndaemon = 1\n' + PHASES + objective + 'groups = ["jwks", "token"]\n' + objective
    )
    s = scenarios.load(str(path))
    (tmp_path / "ops.jsonl").write_text("\n".join(Operation(t + 0.5, "daemon", "ok", 5.0, "d").to_json() for t in range(30)))
    counts = [{"pages 200": 10, "jwks 200": 1, "token 200": 1}, {"jwks 200-html": 5, "token 429": 1}, {"pages 200": 50, "jwks 200": 1}]
    (tmp_path / "idp.json").write_text(json.dumps({"phases": [{"name": n, "requests": c} for n, c in zip("abc", counts, strict=True)]}))
    card = score.build(s, tmp_path)
    assert score.idp_per_operation(card.phases[1], ["jwks", "token"]) == 0.6  # 6 requests, 10 operations
    assert [(o.observed, o.passed) for o in card.objectives] == [
        (3.0, False),
        (4.25, False),
    ]  # keys and tokens: 0.2 per operation in a, 0.6 in b; every request: 1.2 in a, 5.1 in c
    assert score.idp_per_operation(None) is None and score.idp_per_operation(PhaseCard("a", "none", 0, 1, {})) is None


def _card(tmp_path, text, rows):
    """The scorecard of `rows` (t, persona, outcome, ms) under a scenario written from `text`."""
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\nduration_s = 30\n[weights]\nsigned_in = 1\napi_caller = 1\n' + text)
    s = scenarios.load(str(path))
    (tmp_path / "ops.jsonl").write_text("\n".join(Operation(t, who, outcome, ms, "u").to_json() for t, who, outcome, ms in rows))
    return score.build(s, tmp_path)


def test_every_phase_objective_observes_the_worst_phase(tmp_path):
    """`phase = "*"`: a drop in one phase fails it, even when the whole run averages above."""
    text = PHASES + '[[objectives]]\nname = "every"\nmetric = "success_ratio"\npersona = "signed_in"\nphase = "*"\nmin = 0.9\n'
    rows = [(t + 0.5, "signed_in", "ok", 10.0) for t in range(30)] + [(12.0, "signed_in", "failed", 10.0)] * 2
    card = _card(tmp_path, text, rows)
    assert [p.personas["signed_in"].success_ratio for p in card.phases] == [1.0, 0.83333, 1.0]
    assert card.objectives[0] == ObjectiveResult("every", ">= 0.9", 0.83333, False, "success_ratio")
    quiet = _card(tmp_path, text, [(t + 0.5, "signed_in", "ok", 10.0) for t in range(20)])  # nothing in phase c
    assert quiet.objectives[0].observed is None and not quiet.passed


def test_max_s_objective_is_the_longest_operation_against_budget_plus_margin(tmp_path):
    objective = '[[objectives]]\nname = "budget"\nmetric = "max_s"\npersona = "api_caller"\nbudget_s = 3\nmargin_s = 1.5\n'
    rows = [(t + 0.5, "api_caller", "ok", 200.0) for t in range(30)] + [(25.0, "signed_in", "ok", 9000.0)]
    fast = _card(tmp_path, PHASES + objective, [*rows, (15.0, "api_caller", "failed", 4400.0)])
    assert fast.objectives[0] == ObjectiveResult("budget", "<= 4.5 (budget 3 s + margin 1.5 s)", 4.4, True, "max_s")
    assert fast.phases[1].personas["api_caller"].max_ms == 4400.0
    slow = _card(
        tmp_path, PHASES + objective.replace("\nmargin_s = 1.5", "") + 'phase = "*"\n', [*rows, (15.0, "api_caller", "ok", 3001.0)]
    )
    assert slow.objectives[0].threshold == "<= 3 (budget 3 s + margin 0 s)"
    assert (slow.objectives[0].observed, slow.objectives[0].passed) == (3.001, False)
    assert "max   3001 ms" in score.summary(slow)


REQUESTS = [
    Request(1.0, "new_sign_in 1 app /auth/login", 3900.25),
    Request(1.5, "new_sign_in 1 app /auth/login", 10.0),
    Request(2.0, "new_sign_in 2 b2c authorize", 8000),
    Request(3.0, "signed_in /profile", 120),
    Request(4.0, "api_caller b2c token (ROPC)", 8100),
]


def test_max_request_s_is_the_slowest_request_to_the_app(tmp_path):
    """The requests the load test recorded, B2C's own left out; one cut off by the end of the run
    counts with the time it had waited."""
    assert score.app_requests_max_ms(REQUESTS) == {"new_sign_in 1 app /auth/login": 3900.2, "signed_in /profile": 120.0}
    (tmp_path / "requests.jsonl").write_text("".join(r.to_json() + "\n" for r in REQUESTS))
    objective = '[[objectives]]\nname = "budget"\nmetric = "max_request_s"\nbudget_s = 3\nmargin_s = 1\n'
    card = _card(tmp_path, PHASES + objective + objective.replace("budget_s = 3", "budget_s = 2").replace('"budget"', '"tight"'), [])
    assert [(o.observed, o.passed) for o in card.objectives] == [(3.9, True), (3.9, False)]
    signed_in = _card(tmp_path, PHASES + objective + 'persona = "signed_in"\n', [])
    assert signed_in.objectives[0].observed == 0.12
    (tmp_path / "requests.jsonl").write_text(Request(19.9, "signed_in /profile", 20000.0, failed=True).to_json())  # cut off at the end
    assert _card(tmp_path, PHASES + objective, []).objectives[0].observed == 20.0
    (tmp_path / "requests.jsonl").unlink()
    assert _card(tmp_path, PHASES + objective, []).objectives[0].observed is None  # no requests: the objective fails


def test_token_requests_per_window_counts_per_daemon():
    rows = ops(
        (1.0, "daemon:token", "failed", 0, "a", False),
        (5.9, "daemon:token", "failed", 0, "a", False),  # 4.9 s after the first: same 5 s window
        (12.0, "daemon:token", "failed", 0, "a", False),
        (1.1, "daemon:token", "failed", 0, "b", False),  # another daemon: its own windows
    )
    assert score.token_requests_per_window(rows, 5.0) == 2
    assert score.token_requests_per_window(rows, 4.0) == 1
    assert score.token_requests_per_window([], 5.0) == 0


def test_what_an_objective_observed_is_named_by_its_metric():
    """`every anonymous request handled: 0.0 (want <= 0)` read as a contradiction."""
    handled = ObjectiveResult("every anonymous request handled", "<= 0", 0.0, True, "failures")
    assert score.observed(handled) == "failures 0"
    assert score.observed(replace(handled, metric="recovery_s", observed=1.25)) == "recovery 1.25 s"
    assert score.observed(replace(handled, metric="success_ratio", observed=None)) == "success ratio nothing observed"
    card = Scorecard("s", True, (), (handled,), None, 0, users=1, duration_s=5)
    assert "[PASS] every anonymous request handled: failures 0 (want <= 0)" in score.summary(card)
