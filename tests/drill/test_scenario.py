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

from loadtests.contract import FaultEntry
from tests.support import toml_value
from toolkit.drill import scenario as scenarios
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


def test_compound_plays_rotation_latency_and_outage_in_turn():
    s = scenarios.load("compound", duration_s=20)
    assert [e.kind for e in s.timeline()] == ["rotate-keys", "latency", "outage"]
    assert [p.fault_name for p in s.phases] == ["none", "rotate-keys:all", "latency:token", "idp-outage", "none"]
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


PHASES = '[[phases]]\nname = "a"\nshare = 1\n[[phases]]\nname = "b"\nshare = 1\n[[phases]]\nname = "c"\nshare = 1\n'


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


def test_flavor_comes_from_the_scenario_or_the_command_line():
    assert scenarios.load("idp-outage").flavor == "b2c"
    assert scenarios.load("idp-outage", flavor="external-id").flavor == "external-id"
    with pytest.raises(scenarios.ScenarioError, match="flavor must be"):
        scenarios.load("idp-outage", flavor="adfs")
    with pytest.raises(scenarios.ScenarioError, match="no ROPC"):
        scenarios.load("idp-outage", weights={"api_caller": 1}, flavor="external-id")
