"""Scenarios and scoring, on synthetic operations (the real runs are in test_drill.py)."""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.contract import FaultEntry, Operation, Request
from tests.support import toml_value
from toolkit.drill import scenario as scenarios
from toolkit.drill import score
from toolkit.emulator.faults import check_entry


@pytest.mark.parametrize("name", ["baseline", "idp-outage", "throttling", "latency", "key-rotation", "compound", "deceptive-idp"])
def test_shipped_scenarios_load(name):
    s = scenarios.load(name)
    assert s.phases[0].start_s == 0 and s.phases[-1].end_s == pytest.approx(s.duration_s, abs=0.001)  # to the ms
    assert s.objectives and all(p in scenarios.PERSONAS for p in s.weights)


def test_duration_rescales_phases_and_timeline():
    s = scenarios.load("idp-outage", users=3, duration_s=20)
    outage = next(p for p in s.phases if p.name == "outage")
    assert (outage.start_s, outage.end_s, outage.fault_name) == (8.0, 14.0, "idp-outage")
    assert s.timeline() == (FaultEntry(8.0, "outage", {"group": "all", "mode": "reset"}, duration_s=6.0),)
    assert [e.to_json() for e in s.timeline()] == [
        {"at_s": 8.0, "fault": {"kind": "outage", "group": "all", "mode": "reset"}, "duration_s": 6.0}
    ]
    assert s.last_fault_end_s == 14.0


def test_key_rotation_is_an_instant_action():
    s = scenarios.load("key-rotation", duration_s=10)
    assert s.timeline() == (FaultEntry(5.0, "rotate-keys", grace_s=10),)
    assert s.timeline()[0].instant and s.timeline()[0].to_json() == {"at_s": 5.0, "fault": {"kind": "rotate-keys"}, "grace_s": 10}
    assert s.last_fault_end_s is None


def test_a_timeline_entry_is_written_as_the_emulator_takes_it_and_read_back(tmp_path):
    """One record, one shape on the wire; the emulator checks it (its default grace applies when
    the scenario names none)."""
    path = tmp_path / "s.toml"
    path.write_text(GOOD + 'fault = [{ kind = "rotate-keys" }, { kind = "throttle", group = "token", retry_after = 7 }]\n')
    rotation, throttle = scenarios.load(str(path), duration_s=10).timeline()
    assert rotation.to_json() == {"at_s": 0.0, "fault": {"kind": "rotate-keys"}}
    assert (throttle.label, throttle.retry_after_s, throttle.duration_s) == ("throttle:token", 7.0, 10.0)
    for entry in (rotation, throttle):
        check_entry(entry.to_json())
        assert FaultEntry.from_json(json.loads(json.dumps(entry.to_json()))) == entry


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


GOOD = 'name = "x"\n[weights]\nsigned_in = 1\n[[phases]]\nname = "a"\nshare = 1\n'
OBJECTIVE = '[[objectives]]\nname = "o"\nmetric = "failures"\nmax = 0\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + OBJECTIVE.replace("failures", "vibes"), "unknown metric 'vibes'"),
        (GOOD + OBJECTIVE + 'phase = "b"\n', "no phase 'b'"),
        (GOOD + OBJECTIVE.replace("max = 0", 'max = "0"'), "must be numbers"),
        (GOOD.replace("share = 1", "share = -1"), "share must be a positive number"),
        (GOOD + 'fault = { kind = "outage", ratio = "half" }\n', "phase 'a': ratio must be a number"),
        (GOOD + 'fault = { kind = "latency", latency_ms = -5 }\n', "latency_ms must be a number >= 0"),
        (GOOD + 'fault = "outage"\n', "phase 'a': a fault is a table"),
        (GOOD + "fault = []\n", "phase 'a': a fault is a table such as { kind = \"outage\" }, or a list of such tables"),
        (GOOD + 'fault = [{ kind = "outage" }, "latency"]\n', "phase 'a': a fault is a table"),
        (GOOD + 'fault = [{ kind = "rotate-keys" }, { kind = "dribble", bytes_per_s = 0 }]\n', "phase 'a': bytes_per_s must be a number"),
        (GOOD.replace("signed_in = 1", "signed_in = 0"), "at least one of them above 0"),
        ("phases = []\n[weights]\nsigned_in = 1\n", "at least one [[phases]]"),
    ],
)
def test_bad_scenario_files_are_refused_before_anything_starts(tmp_path, text, message):
    path = tmp_path / "x.toml"
    path.write_text(text)
    (tmp_path / "ok.toml").write_text(GOOD + OBJECTIVE)
    scenarios.load(str(tmp_path / "ok.toml"))  # the same file, without the fault, is fine
    with pytest.raises(scenarios.ScenarioError, match=re.escape(message)):
        scenarios.load(str(path))


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
    assert (stats["requests"], stats["failures"], stats["handled"], stats["p50_ms"], stats["p95_ms"], stats["rps"]) == (
        101,
        1,
        0,
        51.0,
        96.0,
        10.1,
    )
    assert stats["success_ratio"] == pytest.approx(100 / 101, abs=1e-4)


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
    assert card["passed"] and len(card["objectives"]) == len(s.objectives)
    assert card["recovery_s"] == pytest.approx(0.2)
    assert [p["fault"] for p in card["phases"]] == ["none", "idp-outage", "none"]
    assert card["phases"][1]["personas"]["new_sign_in"]["handled"] == 6
    assert card["phases"][1]["idp"] == {"requests": 36, "by_group": {"pages": {"reset": 30}, "token": {"200": 6}}, "per_operation": 1.5}
    assert card["phases"][1]["idp_ratio"] == 1.5 and card["phases"][2]["idp"] is None
    assert "PASSED" in score.summary(card) and "x1.5 of baseline" in score.summary(card)


def test_objectives_of_a_persona_the_app_cannot_serve_are_skipped(tmp_path):
    s = scenarios.load("idp-outage", duration_s=20)
    (tmp_path / "ops.jsonl").write_text(Operation(1.0, "signed_in", "ok", 5.0).to_json())
    card = score.build(s, tmp_path, skipped={"daemon": "no API route"})
    daemon = [o for o in card["objectives"] if o["name"].startswith("daemons")]
    assert len(daemon) == 2 and all(o.get("skipped") == "no API route" and o["passed"] for o in daemon)
    assert all("daemon" not in p["personas"] for p in card["phases"])
    assert "[SKIP]" in score.summary(card)


def test_compound_plays_rotation_latency_and_outage_in_turn():
    s = scenarios.load("compound", duration_s=20)
    assert [e.kind for e in s.timeline()] == ["rotate-keys", "latency", "outage"]
    assert s.last_fault_end_s == next(p.end_s for p in s.phases if p.name == "outage")
    assert {o.metric for o in s.objectives} >= {"signed_in_users_logged_out", "success_ratio", "max_request_s", "recovery_s"}


def test_a_phase_plays_faults_at_once():
    """A list of faults starts them together and each lasts the phase; a key rotation among them
    is an instant action."""
    s = scenarios.load("deceptive-idp", duration_s=50)
    bad = next(p for p in s.phases if p.name == "bad-keys")
    assert bad.fault_name == "rotate-keys:all+bad-answer:jwks+bad-answer:metadata"
    at = [e for e in s.timeline() if e.at_s == bad.start_s]
    assert at[0] == FaultEntry(bad.start_s, "rotate-keys", grace_s=300)
    assert [(e.settings["group"], e.settings["answer"], e.duration_s) for e in at[1:]] == [
        ("jwks", "empty-keys", pytest.approx(bad.end_s - bad.start_s)),
        ("metadata", "wrong-issuer", pytest.approx(bad.end_s - bad.start_s)),
    ]
    assert [p.fault_name for p in s.phases if p.name.startswith("retry")] == ["throttle:token", "throttle:token"]
    assert s.last_fault_end_s == next(p.start_s for p in s.phases if p.name == "recovery")
    assert {o.metric for o in s.objectives} >= {
        "genuine_tokens_refused",
        "max_request_s",
        "idp_requests_ratio",
        "token_requests_per_window",
    }


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
    assert [p["personas"]["daemon"]["genuine_tokens_refused"] for p in card["phases"]] == [0, 3, 0]
    assert card["phases"][0]["personas"]["api_caller"]["genuine_tokens_refused"] == 1
    assert [(o["name"], o["observed"], o["passed"]) for o in card["objectives"]] == [
        ("run", 4.0, False),
        ("daemon in a", 0.0, True),
        ("daemon every phase", 3.0, False),
        ("api_caller in c", None, False),  # no API call there: nothing refused is nothing tried
    ]
    shown = [line for line in score.summary(card).splitlines() if "genuine tokens refused (401)" in line]
    assert [line.split()[0] for line in shown] == ["api_caller", "daemon"]  # phase a's API caller, phase b's daemon: only where some were
    assert shown[1].endswith("3 genuine tokens refused (401)")
    assert score.persona_stats([], 1.0)["genuine_tokens_refused"] == 0


def test_the_token_window_of_a_phase_with_faults_at_once_is_the_longest_retry_after(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nduration_s = 10\n[weights]\ndaemon = 1\n[[phases]]\nname = "a"\nshare = 1\n'
        'fault = [{ kind = "throttle", group = "token", retry_after = 30 }, { kind = "latency", group = "jwks", latency_ms = 5 }]\n'
    )
    (tmp_path / "ops.jsonl").write_text(Operation(1.0, "daemon", "ok", 5.0, "d").to_json())
    card = score.build(scenarios.load(str(path)), tmp_path)
    assert card["phases"][0]["personas"]["daemon"]["token_window_s"] == 30.0
    assert card["phases"][0]["fault"] == "throttle:token+latency:jwks"


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
    assert score.idp_per_operation(card["phases"][1], ["jwks", "token"]) == 0.6  # 6 requests, 10 operations
    assert [(o["observed"], o["passed"]) for o in card["objectives"]] == [
        (3.0, False),
        (4.25, False),
    ]  # keys and tokens: 0.2 per operation in a, 0.6 in b; every request: 1.2 in a, 5.1 in c
    assert score.idp_per_operation(None) is None and score.idp_per_operation({"idp": None, "personas": {}}) is None


def _card(tmp_path, text, rows):
    """The scorecard of `rows` (t, persona, outcome, ms) under a scenario written from `text`."""
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\nduration_s = 30\n[weights]\nsigned_in = 1\napi_caller = 1\n' + text)
    s = scenarios.load(str(path))
    (tmp_path / "ops.jsonl").write_text("\n".join(Operation(t, who, outcome, ms, "u").to_json() for t, who, outcome, ms in rows))
    return score.build(s, tmp_path)


PHASES = '[[phases]]\nname = "a"\nshare = 1\n[[phases]]\nname = "b"\nshare = 1\n[[phases]]\nname = "c"\nshare = 1\n'


def test_every_phase_objective_observes_the_worst_phase(tmp_path):
    """`phase = "*"`: a drop in one phase fails it, even when the whole run averages above."""
    text = PHASES + '[[objectives]]\nname = "every"\nmetric = "success_ratio"\npersona = "signed_in"\nphase = "*"\nmin = 0.9\n'
    rows = [(t + 0.5, "signed_in", "ok", 10.0) for t in range(30)] + [(12.0, "signed_in", "failed", 10.0)] * 2
    card = _card(tmp_path, text, rows)
    assert [p["personas"]["signed_in"]["success_ratio"] for p in card["phases"]] == [1.0, 0.83333, 1.0]
    assert card["objectives"][0] == {
        "name": "every",
        "metric": "success_ratio",
        "threshold": ">= 0.9",
        "observed": 0.83333,
        "passed": False,
    }
    quiet = _card(tmp_path, text, [(t + 0.5, "signed_in", "ok", 10.0) for t in range(20)])  # nothing in phase c
    assert quiet["objectives"][0]["observed"] is None and not quiet["passed"]


def test_max_s_objective_is_the_longest_operation_against_budget_plus_margin(tmp_path):
    objective = '[[objectives]]\nname = "budget"\nmetric = "max_s"\npersona = "api_caller"\nbudget_s = 3\nmargin_s = 1.5\n'
    rows = [(t + 0.5, "api_caller", "ok", 200.0) for t in range(30)] + [(25.0, "signed_in", "ok", 9000.0)]
    fast = _card(tmp_path, PHASES + objective, [*rows, (15.0, "api_caller", "failed", 4400.0)])
    assert fast["objectives"][0] == {
        "name": "budget",
        "metric": "max_s",
        "threshold": "<= 4.5 (budget 3 s + margin 1.5 s)",
        "observed": 4.4,
        "passed": True,
    }
    assert fast["phases"][1]["personas"]["api_caller"]["max_ms"] == 4400.0
    slow = _card(
        tmp_path, PHASES + objective.replace("\nmargin_s = 1.5", "") + 'phase = "*"\n', [*rows, (15.0, "api_caller", "ok", 3001.0)]
    )
    assert slow["objectives"][0]["threshold"] == "<= 3 (budget 3 s + margin 0 s)"
    assert (slow["objectives"][0]["observed"], slow["objectives"][0]["passed"]) == (3.001, False)
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
    assert [(o["observed"], o["passed"]) for o in card["objectives"]] == [(3.9, True), (3.9, False)]
    signed_in = _card(tmp_path, PHASES + objective + 'persona = "signed_in"\n', [])
    assert signed_in["objectives"][0]["observed"] == 0.12
    (tmp_path / "requests.jsonl").write_text(Request(19.9, "signed_in /profile", 20000.0, failed=True).to_json())  # cut off at the end
    assert _card(tmp_path, PHASES + objective, [])["objectives"][0]["observed"] == 20.0
    (tmp_path / "requests.jsonl").unlink()
    assert _card(tmp_path, PHASES + objective, [])["objectives"][0]["observed"] is None  # no requests: the objective fails


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ('metric = "max_request_s"\nphase = "a"\nmax = 3\n', "measured over the whole run"),
        (
            'metric = "p95_ms"\nphase = "a"\npersona = "signed_in"\nbudget_s = 3\n',
            "budget_s (and margin_s) go with metric max_s or max_request_s",
        ),
        ('metric = "max_s"\npersona = "signed_in"\nmargin_s = 1\n', "budget_s first"),
        ('metric = "max_s"\npersona = "signed_in"\nbudget_s = -1\n', "budget_s must be a number of seconds >= 0"),
        ('metric = "max_s"\npersona = "signed_in"\nbudget_s = 3\nmargin_s = inf\n', "margin_s must be a number of seconds >= 0"),
        ('metric = "max_s"\npersona = "signed_in"\nbudget_s = "3"\n', "budget_s must be a number"),
        ('metric = "success_ratio"\npersona = "signed_in"\nbaseline = "*"\nphase = "a"\nmin = 1\n', "no phase '*'"),
        ('metric = "failures"\npersona = "signed_in"\ngroups = ["jwks"]\nmax = 0\n', "groups go with idp_requests_ratio"),
        ('metric = "idp_requests_ratio"\nphase = "a"\ngroups = ["keys"]\nmax = 2\n', "a list of metadata, jwks, pages, token"),
        ('metric = "idp_requests_ratio"\nphase = "a"\ngroups = []\nmax = 2\n', "groups go with idp_requests_ratio"),
        ('metric = "idp_requests_ratio"\nphase = "a"\ngroups = "jwks"\nmax = 2\n', "groups go with idp_requests_ratio"),
    ],
)
def test_bad_budget_and_phase_objectives_are_refused(tmp_path, objective, message):
    path = tmp_path / "x.toml"
    path.write_text(GOOD + '[[objectives]]\nname = "o"\n' + objective)
    with pytest.raises(scenarios.ScenarioError, match=re.escape(message)):
        scenarios.load(str(path))


VALUES = st.recursive(
    st.booleans()
    | st.integers(-5, 100)
    | st.floats(allow_nan=False)
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)
    | st.sampled_from(["outage", "throttle", "rotate-keys", "all", "token", "signed_in", "failures", "a"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["kind", "group", "ratio", "latency_ms", "retry_after", "grace_s", "name", "share", "x"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


FAULT = st.fixed_dictionaries(
    {"kind": st.sampled_from(["outage", "error", "throttle", "latency", "tenant-limit", "rotate-keys"])},
    optional={
        "ratio": st.floats(0, 1),
        "status": st.integers(400, 599),
        "retry_after": st.integers(0, 60),
        "latency_ms": st.floats(0, 500),
        "grace_s": st.floats(0, 600),
    },
)


@st.composite
def scenario_tables(draw: st.DrawFn) -> dict[str, object]:
    """A valid scenario, then up to three of its values (or new keys) replaced by anything."""
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    phases = [{"name": name, "share": draw(st.floats(0.05, 2))} for name in names]
    for phase in phases:
        if draw(st.booleans()):
            phase["fault"] = draw(FAULT)
    objectives = [
        {
            "name": "o",
            "metric": draw(st.sampled_from(scenarios.METRICS)),
            "phase": draw(st.sampled_from(names)),
            "max": draw(st.floats(0, 5)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    weights = draw(st.dictionaries(st.sampled_from(scenarios.PERSONAS), st.integers(1, 5), min_size=1))
    data: dict[str, object] = {"phases": phases, "weights": weights, "objectives": objectives, "duration_s": draw(st.floats(5, 120))}
    for _ in range(draw(st.integers(0, 3))):
        tables = [data, weights, *phases, *(p.get("fault") for p in phases), *objectives]
        table = draw(st.sampled_from([t for t in tables if isinstance(t, dict)]))  # a fault may be junk by now
        table[draw(st.sampled_from([*table, "users", "spawn_rate", "share", "x"]))] = draw(VALUES)
    return data


@given(scenario_tables())
def test_any_scenario_file_loads_into_a_runnable_drill_or_is_refused(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "random.toml")
        path.write_text("\n".join(f"{key} = {toml_value(value)}" for key, value in data.items()))
        try:
            s = scenarios.load(str(path))
        except scenarios.ScenarioError as exc:
            assert str(exc).startswith(str(path)), exc
            return
    # what the drill relies on: phases tile the run, faults are ones the emulator takes
    assert s.phases[0].start_s == 0 and s.phases[-1].end_s == pytest.approx(s.duration_s, abs=0.001)  # to the ms
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(s.phases))
    assert sum(s.weights.values()) > 0 and s.spawn_rate > 0
    for entry in s.timeline():
        check_entry(entry.to_json())
    for objective in s.objectives:
        objective.check(0.5)
        assert objective.threshold


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


def test_flavor_comes_from_the_scenario_or_the_command_line():
    assert scenarios.load("idp-outage").flavor == "b2c"
    assert scenarios.load("idp-outage", flavor="external-id").flavor == "external-id"
    with pytest.raises(scenarios.ScenarioError, match="flavor must be"):
        scenarios.load("idp-outage", flavor="adfs")
    with pytest.raises(scenarios.ScenarioError, match="no ROPC"):
        scenarios.load("idp-outage", weights={"api_caller": 1}, flavor="external-id")


def test_what_an_objective_observed_is_named_by_its_metric():
    """`every anonymous request handled: 0.0 (want <= 0)` read as a contradiction."""
    handled = {"name": "every anonymous request handled", "metric": "failures", "threshold": "<= 0", "observed": 0.0, "passed": True}
    assert score.observed(handled) == "failures 0"
    assert score.observed({**handled, "metric": "recovery_s", "observed": 1.25}) == "recovery 1.25 s"
    assert score.observed({**handled, "metric": "success_ratio", "observed": None}) == "success ratio nothing observed"
    card = {"scenario": "s", "passed": True, "users": 1, "duration_s": 5, "phases": [], "recovery_s": None}
    card |= {"signed_in_users_logged_out": 0, "objectives": [handled]}
    assert "[PASS] every anonymous request handled: failures 0 (want <= 0)" in score.summary(card)
