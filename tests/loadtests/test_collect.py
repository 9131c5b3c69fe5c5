"""The collector: operations timed from the run's start, and the IdP's requests per phase."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from loadtests import collect
from loadtests.contract import AppProfile, Operation, PhasePlan, Plan, read_requests
from tests.loadtests.test_contract import APP


@pytest.fixture
def fresh():
    saved = (list(collect._pending), list(collect._all), dict(collect.clock))
    collect._pending.clear()
    collect._all.clear()
    collect._pending_requests.clear()
    collect._all_requests.clear()
    collect.clock.update(started_at=None, counts=[])
    yield
    collect._pending[:], collect._all[:] = saved[0], saved[1]
    collect.clock.clear()
    collect.clock.update(saved[2])


def fire(name: str, outcome: str, exception: Exception | None = None, **context):
    collect.on_request(
        request_type=collect.PERSONA, name=name, response_time=12.345, exception=exception, context={"outcome": outcome, **context}
    )


def test_operations_and_requests_are_placed_by_when_they_started(fresh, monkeypatch):
    """A phase holds what started in it: an operation of 2 s reported at 10 s started at 8 s."""
    collect.clock["started_at"] = 100.0
    monkeypatch.setattr(collect.time, "time", lambda: 110.0)
    collect.on_request(request_type=collect.PERSONA, name="new_sign_in", response_time=2000.0, exception=None, context={"outcome": "ok"})
    collect.on_request(request_type="GET", name="new_sign_in 1 app /login", response_time=500.0, exception=None, context={})
    local = SimpleNamespace(runner=None)
    assert [o.t for o in collect.operations(local)] == [8.0]
    assert [(r.t, r.name, r.ms, r.failed) for r in collect.requests_sent(local)] == [(9.5, "new_sign_in 1 app /login", 500.0, False)]


def test_persona_requests_become_operations_and_others_are_ignored(fresh):
    collect.clock["started_at"] = 0.0
    fire("signed_in", "ok", user="u1")
    fire("signed_in", "failed", RuntimeError("x"), user="u1", logged_out=True, reason="sent back to sign in")
    collect.on_request(request_type="GET", name="/profile", response_time=1, exception=None, context={})
    fire("daemon", "failed", RuntimeError("x"), user="d1", reason="http_401", genuine_tokens_refused=2)
    local = SimpleNamespace(runner=None)
    ops = collect.operations(local)
    assert [(o.persona, o.outcome, o.ms, o.logged_out, o.reason, o.genuine_tokens_refused) for o in ops] == [
        ("signed_in", "ok", 12.3, False, "", 0),
        ("signed_in", "failed", 12.3, True, "sent back to sign in", 0),
        ("daemon", "failed", 12.3, False, "http_401", 2),
    ]


def test_workers_ship_their_records_and_the_master_merges_them(fresh, monkeypatch):
    class Master:
        pass

    monkeypatch.setattr(collect, "MasterRunner", Master)
    fire("api_caller", "ok")
    data: dict = {}
    collect.ship("worker-1", data)
    assert len(data["drill_ops"]) == 1 and collect._pending == []
    collect.receive("worker-1", data)
    collect.receive("worker-2", {"drill_ops": [dict(data["drill_ops"][0], persona="anonymous", t=data["drill_ops"][0]["t"] - 1)]})
    collect.clock["started_at"] = data["drill_ops"][0]["t"] - 2
    master = SimpleNamespace(runner=Master())
    ops = collect.operations(master)
    assert [(o.persona, o.t) for o in ops] == [("anonymous", 1.0), ("api_caller", 2.0)]  # timed from the start, in order


def test_idp_requests_per_phase_are_the_differences_of_snapshots():
    snapshots = [
        ("start", {"pages 200": 10}),
        ("baseline", {"pages 200": 40, "token 200": 5}),
        ("outage", {"pages 200": 40, "token 200": 5, "pages reset": 12}),
    ]
    assert collect.idp_phases(snapshots, ["baseline", "outage", "recovery"]) == [
        {"name": "baseline", "requests": {"pages 200": 30, "token 200": 5}},
        {"name": "outage", "requests": {"pages reset": 12}},
        {"name": "recovery", "requests": None},  # no snapshot: unknown, not zero
    ]


def test_the_master_writes_ops_and_idp_counts(fresh, tmp_path, monkeypatch):
    plan = Plan("s", 1, 1.0, 10.0, {"signed_in": 1}, (PhasePlan("a", 0, 5), PhasePlan("b", 5, 10)), APP, {}, out=str(tmp_path))
    plan.write(tmp_path / "plan.json")
    collect.plan.cache_clear()
    collect.clock.update(started_at=0.0, counts=[("start", {"pages 200": 1}), ("a", {"pages 200": 3})], fetch=lambda: {"pages 200": 7})
    fire("signed_in", "ok")
    collect.on_request(request_type="GET", name="signed_in /profile", response_time=20000, exception=RuntimeError("cut"), context={})
    env = SimpleNamespace(runner=None, parsed_options=SimpleNamespace(drill_plan=str(tmp_path / "plan.json")), process_exit_code=None)
    collect.write_ops(env)
    assert [json.loads(line)["persona"] for line in (tmp_path / "ops.jsonl").read_text().splitlines()] == ["signed_in"]
    assert [r.name for r in read_requests(tmp_path / "requests.jsonl")] == ["signed_in /profile"]
    idp = json.loads((tmp_path / "idp.json").read_text())["phases"]
    assert idp == [{"name": "a", "requests": {"pages 200": 2}}, {"name": "b", "requests": {"pages 200": 4}}]  # b: fetched at the end
    assert env.process_exit_code == 0
    assert isinstance(plan.app, AppProfile) and isinstance(Operation(0, "a", "ok", 1), Operation)
