"""The plan the drill hands to the load tests, and the operation records they hand back."""

from __future__ import annotations

from loadtests.contract import AppProfile, FaultEntry, Match, Operation, PhasePlan, Plan, read_operations

APP = AppProfile(
    name="typical",
    url="http://127.0.0.1:5000",
    protected="/",
    sign_in="/login",
    sign_in_via="link",
    callback="/getAToken",
    pages=("/",),
    public=("/",),
    api=None,
    sign_out="/logout",
    signed_in=(Match(status=200, text="Welcome"),),
    sent_to_sign_in=(Match(status=200, text="oauth2/v2.0/authorize"), Match(status=302, location="/login")),
    handled=(Match(status=503, header="Retry-After"),),
)


def test_a_plan_survives_the_trip_through_json(tmp_path):
    plan = Plan(
        scenario="idp-outage",
        users=4,
        spawn_rate=2.0,
        duration_s=20.0,
        weights={"signed_in": 1},
        phases=(PhasePlan("baseline", 0, 8), PhasePlan("outage", 8, 14, "idp-outage"), PhasePlan("recovery", 14, 20)),
        app=APP,
        idp={"authority": "https://x/t/p", "users": [{"username": "u", "password": "p"}]},
        timeline=(FaultEntry(8.0, "outage", {"group": "all"}, duration_s=6.0), FaultEntry(8.0, "rotate-keys", grace_s=30)),
        emulator="https://127.0.0.1:1",
    )
    plan.write(tmp_path / "plan.json")
    assert Plan.read(tmp_path / "plan.json") == plan
    assert plan.phase_at(9.0).name == "outage" and plan.phase_at(99).name == "recovery"


def test_answers_are_classified_by_the_profile():
    assert APP.classify(200, {}, "<h1>Welcome Ada</h1>") == "ok"
    assert APP.classify(200, {}, "<meta http-equiv='refresh' content='0; URL=https://b2c/oauth2/v2.0/authorize?x'>") == "logged_out"
    assert APP.classify(302, {"Location": "/login?next=/"}, "") == "logged_out"
    assert APP.classify(503, {"Retry-After": "5"}, "busy") == "handled"
    assert APP.classify(503, {}, "busy") == "failed"  # a 503 without Retry-After is not the designed answer
    assert APP.classify(500, {}, "Internal Server Error") == "failed"
    assert APP.classify(0, {}, "") == "failed"  # no connection


def test_operations_round_trip_and_missing_file(tmp_path):
    ops = [Operation(0.5, "signed_in", "ok", 12.5, "u1"), Operation(1.0, "new_sign_in", "failed", 30.0, "u2", reason="HTTP 500")]
    (tmp_path / "ops.jsonl").write_text("\n".join(o.to_json() for o in ops) + "\n")
    assert read_operations(tmp_path / "ops.jsonl") == ops
    assert read_operations(tmp_path / "none.jsonl") == []
