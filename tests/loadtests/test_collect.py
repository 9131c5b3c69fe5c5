"""The collector: operations timed from the run's start, and the IdP's requests per phase."""

from __future__ import annotations

import json
from types import SimpleNamespace

from loadtests import collect
from loadtests.config import DrillRun
from loadtests.contract import Operation, PhasePlan, Plan, read_requests
from tests.loadtests.test_contract import APP


def fire(recorder: collect.Recorder, name: str, outcome: str, exception: Exception | None = None, **context):
    recorder.on_request(
        request_type=collect.PERSONA, name=name, response_time=12.345, exception=exception, context={"outcome": outcome, **context}
    )


def test_operations_and_requests_are_placed_by_when_they_started(monkeypatch):
    """A phase holds what started in it: an operation of 2 s reported at 10 s started at 8 s; a
    daemon's call is placed by when the daemon said it started."""
    recorder = collect.Recorder()
    monkeypatch.setattr(collect.time, "time", lambda: 110.0)
    recorder.on_request(request_type=collect.PERSONA, name="new_sign_in", response_time=2000.0, exception=None, context={"outcome": "ok"})
    recorder.on_request(request_type="GET", name="new_sign_in 1 app /login", response_time=500.0, exception=None, context={})
    fire(recorder, "daemon", "ok", started_at=103.5)
    assert [o.t for o in recorder.operations(False, 100.0)] == [3.5, 8.0]
    assert [(r.t, r.name, r.ms, r.failed) for r in recorder.requests_sent(False, 100.0)] == [
        (9.5, "new_sign_in 1 app /login", 500.0, False)
    ]


def test_persona_requests_become_operations_and_others_are_ignored():
    recorder = collect.Recorder()
    fire(recorder, "signed_in", "ok", user="u1")
    fire(recorder, "signed_in", "failed", RuntimeError("x"), user="u1", logged_out=True, reason="sent back to sign in")
    recorder.on_request(request_type="GET", name="/profile", response_time=1, exception=None, context={})
    fire(recorder, "daemon", "failed", RuntimeError("x"), user="d1", reason="http_401", genuine_tokens_refused=2)
    ops = recorder.operations(False, 0.0)
    assert [(o.persona, o.outcome, o.ms, o.logged_out, o.reason, o.genuine_tokens_refused) for o in ops] == [
        ("signed_in", "ok", 12.3, False, "", 0),
        ("signed_in", "failed", 12.3, True, "sent back to sign in", 0),
        ("daemon", "failed", 12.3, False, "http_401", 2),
    ]


def test_workers_ship_their_records_and_the_master_merges_them():
    worker, master = collect.Recorder(), collect.Recorder()
    fire(worker, "api_caller", "ok")
    data: dict = {}
    worker.ship("worker-1", data)
    assert len(data["drill_ops"]) == 1 and worker.pending == []
    master.receive("worker-1", data)
    master.receive("worker-2", {"drill_ops": [dict(data["drill_ops"][0], persona="anonymous", t=data["drill_ops"][0]["t"] - 1)]})
    ops = master.operations(True, data["drill_ops"][0]["t"] - 2)
    assert [(o.persona, o.t) for o in ops] == [("anonymous", 1.0), ("api_caller", 2.0)]  # timed from the start, in order


def test_progress_counts_what_the_scorecard_scores():
    """A daemon's token requests are recorded beside its calls but are not operations: the progress
    line used to count their failures while the scorecard counted the calls, which succeeded."""
    records = [
        {"persona": "daemon", "outcome": "ok"},
        {"persona": "daemon:token", "outcome": "failed"},
        {"persona": "new_sign_in", "outcome": "handled"},
    ]
    assert collect.so_far(records) == {"daemon": {"ok": 1, "handled": 0, "failed": 0}, "new_sign_in": {"ok": 0, "handled": 1, "failed": 0}}


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


def test_the_master_writes_ops_and_idp_counts(tmp_path):
    plan = Plan("s", 1, 1.0, 10.0, {"signed_in": 1}, (PhasePlan("a", 0, 5), PhasePlan("b", 5, 10)), APP, {}, out=str(tmp_path))
    run = DrillRun(plan)
    run.clock = collect.Clock(started_at=0.0, counts=[("start", {"pages 200": 1}), ("a", {"pages 200": 3})], fetch=lambda: {"pages 200": 7})
    fire(run.recorder, "signed_in", "ok")
    run.recorder.on_request(request_type="GET", name="signed_in /profile", response_time=20000, exception=RuntimeError("cut"), context={})
    env = SimpleNamespace(runner=None, process_exit_code=None)
    collect.write_ops(env, run)
    assert [Operation.from_json(line).persona for line in (tmp_path / "ops.jsonl").read_text().splitlines()] == ["signed_in"]
    assert [r.name for r in read_requests(tmp_path / "requests.jsonl")] == ["signed_in /profile"]
    idp = json.loads((tmp_path / "idp.json").read_text())["phases"]
    assert idp == [{"name": "a", "requests": {"pages 200": 2}}, {"name": "b", "requests": {"pages 200": 4}}]  # b: fetched at the end
    assert env.process_exit_code == 0


def test_one_run_per_process_built_from_the_plan_hands_out_test_users_in_turn():
    users = [{"username": "a", "password": "p"}, {"username": "b", "password": "p"}]
    run = DrillRun(Plan("s", 1, 1.0, 10.0, {"signed_in": 1}, (PhasePlan("a", 0, 10),), APP, {"users": users}))
    assert [run.next_user()["username"] for _ in range(3)] == ["a", "b", "a"]
    assert DrillRun(run.plan).next_user()["username"] == "a"  # another run starts afresh: nothing shared
