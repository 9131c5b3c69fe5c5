"""Real drills: emulator + app (gunicorn) + Locust, short enough for CI. What a drill does without
its processes (usage errors, Locust's command line, stopping what started, scoring, the
scorecard's schema, fault names, the daemon persona) is tested in test_command.py,
test_scenario.py, test_score.py, test_scorecard.py and tests/loadtests; these check what only a
real run shows."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "toolkit" / "drill" / "scorecard.schema.json").read_text())


DRILL = [sys.executable, "-m", "toolkit", "drill", "--scenario", "idp-outage"]


def drill(out: Path, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "drill",
            "--scenario",
            "idp-outage",
            "--duration",
            "20",
            "--users",
            "12",
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    card = json.loads((out / "scorecard.json").read_text()) if (out / "scorecard.json").exists() else {}
    return proc.returncode, card, proc.stdout + proc.stderr


def test_short_drill_passes_with_a_valid_scorecard(tmp_path):
    code, card, output = drill(tmp_path, "--policies", str(ROOT / "policies" / "resilient"))
    assert code == 0, output
    jsonschema.validate(card, SCHEMA)
    assert [p["name"] for p in card["phases"]] == ["baseline", "outage", "recovery"]
    assert card["phases"][1]["fault"] == "idp-outage"
    assert all(set(p["personas"]) == {"anonymous", "signed_in", "new_sign_in", "daemon"} for p in card["phases"])
    assert all(s["requests"] > 0 for p in card["phases"] for s in p["personas"].values())
    assert len(card["objectives"]) == 9 and all(o["observed"] is not None for o in card["objectives"])
    for name in ("report.html", "timeline.png", "ops.jsonl", "requests.jsonl", "plan.json", "idp.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "PASSED" in output and "phase outage" in output and "handled/failed so far" in output  # summary and progress
    assert "one user signed in through reference app" in output  # before the load
    assert card["emulator_clock_offset_s"] is not None and 0 <= card["emulator_clock_offset_s"] < 1
    assert all(p["idp"]["requests"] > 0 for p in card["phases"]) and card["phases"][1]["idp_ratio"] is not None
    assert "lifetimes from" in (tmp_path / "emulator.log").read_text()  # --policies reached the emulator


def test_external_id_drill_passes_with_daemons_quiet_during_the_outage(tmp_path):
    code, card, output = drill(tmp_path, "--flavor", "external-id")
    assert code == 0, output
    assert "(external-id)" in output and "Microsoft Entra External ID emulator" in (tmp_path / "emulator.log").read_text()
    outage = card["phases"][1]["personas"]["daemon"]
    assert outage["success_ratio"] == 1.0 and outage["token_requests_per_window"] <= 1 and outage["token_window_s"] == 5
    assert "oidc_authority" in json.loads((tmp_path / "b2c-config.json").read_text())


def test_compound_drill_passes(tmp_path):
    """Faults one after another: a key rotation, B2C's token endpoint slowed to 10 s, a full outage, then
    recovery. Signed-in users and API callers keep working in every phase, no request to the app
    waits on B2C past the app's time budget plus a margin, and new sign-ins recover within 5 s.
    New sign-ins validate at once the tokens signed with the new key (they failed until the app's
    key set refresh interval ended)."""
    code, card, output = drill(tmp_path, "--scenario", "compound", "--duration", "30")
    rotated = card["phases"][1]
    assert rotated["fault"] == "rotate-keys:all" and rotated["personas"]["new_sign_in"]["failures"] == 0, rotated
    assert "new_sign_in app callback /auth/callback" in card["app_requests_max_ms"]  # the slowest request is the code redemption
    assert code == 0, output


def test_fragile_app_fails_its_objectives(tmp_path):
    code, card, output = drill(tmp_path, "--fragile")
    assert code == 1, output
    failed = {o["name"] for o in card["objectives"] if not o["passed"]}
    assert "no signed-in user sent back to sign in" in failed
    assert card["signed_in_users_logged_out"] > 0


def _alive(marker: str) -> list[str]:
    """Command lines of running processes that mention `marker` (Linux /proc)."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in text:
            lines.append(text)
    return lines


def _answers(url: str) -> bool:
    """True when something accepts connections at the URL's port."""
    try:
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads running processes from /proc")
def test_a_terminated_drill_stops_everything_it_started(tmp_path):
    """SIGTERM (a cancelled CI job, `kill`) used to end the drill at once and leave the emulator,
    gunicorn and Locust running. Now the drill unwinds, stops them, and exits 143."""
    out = tmp_path / "terminated"
    command = [sys.executable, "-m", "toolkit", "drill", "--scenario", "idp-outage", "--duration", "60", "--users", "4", "--out", str(out)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        urls: list[str] = []
        for line in proc.stdout:  # "emulator https://…   app https://…   locust workers: …"
            if "locust workers" in line:
                urls = re.findall(r"https://[\d.]+:\d+", line)
                break
        for _ in range(40):  # Locust starts right after that line
            if any("locust" in c for c in _alive(str(out))):
                break
            time.sleep(0.25)
        assert len(urls) == 2 and all(_answers(u) for u in urls) and any("locust" in c for c in _alive(str(out)))
        proc.terminate()
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 143, rest
    assert "terminated; stopping" in rest and "Traceback" not in rest
    assert _alive(str(out)) == [] and not any(_answers(u) for u in urls)


TYPICAL = ROOT / "tests" / "drill" / "typical_app" / "profile.toml"


def test_a_typical_identity_sample_app_drilled_with_idp_outage(tmp_path):
    """An app written like Microsoft's Python web sample (identity's Flask Auth, filesystem
    sessions), drilled through its profile. Measured: signed-in users keep working (the session
    alone decides), but every new sign-in during the outage sends the browser to the dead IdP,
    with no designed answer from the app; the app has no API, so that persona is left out."""
    code, card, output = drill(tmp_path, "--app", str(TYPICAL))
    assert code == 1, output
    assert card["app"] == "typical app (identity sample)"
    outage = card["phases"][1]["personas"]
    assert outage["signed_in"]["requests"] > 0 and outage["signed_in"]["failures"] == 0
    new = outage["new_sign_in"]  # (a sign-in finishing just after the outage began may still succeed)
    assert new["requests"] > 0 and new["success_ratio"] < 0.25 and new["handled"] == 0
    assert card["phases"][0]["personas"]["new_sign_in"]["failures"] == 0  # it does sign users in when B2C is up
    failed = {o["name"] for o in card["objectives"] if not o["passed"]}
    assert failed == {"new sign-ins during the outage end on the app's own answer, not a dead IdP"}
    assert any(o.get("skipped") for o in card["objectives"]) and "api_caller" not in outage
    reasons = {json.loads(line)["reason"] for line in (tmp_path / "ops.jsonl").read_text().splitlines()}
    assert any("authorize" in r for r in reasons)  # the browser's next stop was B2C's authorize page


def test_workers_started_apart_join_the_drill_master(tmp_path):
    """Locust across machines, on loopback: the drill runs the master and waits; two workers are
    started apart with --master-host, as they would be on other hosts."""
    from toolkit.emulator.server import free_port

    port = free_port()
    out = tmp_path / "remote"
    command = [*DRILL, "--duration", "15", "--users", "8", "--out", str(out), "--remote-workers", "2", "--master-port", str(port)]
    workers: list[subprocess.Popen[bytes]] = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        hint = ""
        for line in proc.stdout:
            if "--worker --master-host" in line:
                hint = line.strip()
                break
        assert hint.startswith("locust -f") and f"--master-port {port}" in hint and "--drill-plan" in hint
        plan = hint.split("--drill-plan ", 1)[1]
        for _ in range(2):
            worker = [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtests" / "locustfile.py"), "--worker"]
            worker += ["--master-host", "127.0.0.1", "--master-port", str(port), "--drill-plan", plan]
            workers.append(subprocess.Popen(worker, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        rest = proc.stdout.read()
        assert proc.wait(timeout=240) in (0, 1), rest
    for worker in workers:
        assert worker.wait(timeout=30) == 0
    card = json.loads((out / "scorecard.json").read_text())
    assert sum(s["requests"] for p in card["phases"] for s in p["personas"].values()) > 30


TEAM_DAEMON = ROOT / "tests" / "drill" / "team_daemon" / "profile.toml"


def test_a_teams_own_daemon_drilled_with_idp_outage(tmp_path):
    """A daemon written the plain way (msal's client credentials in a loop), named by the profile's
    [app.daemon] and run as its own processes. Measured: its calls keep working through the
    outage on msal's cached token, but msal asks the dead IdP for a new one on every call, where
    the reference daemon waits a Retry-After window."""
    code, card, output = drill(tmp_path, "--app", str(TEAM_DAEMON))
    assert code == 1, output
    daemon = [p["personas"]["daemon"] for p in card["phases"]]
    assert all(d["requests"] > 0 for d in daemon) and daemon[1]["success_ratio"] == 1.0
    assert daemon[0]["token_requests"] > 0 and daemon[1]["token_requests_per_window"] > 1
    failed = {o["name"] for o in card["objectives"] if not o["passed"]}
    assert "daemons send at most one token request per Retry-After window during the outage" in failed
    assert "team_daemon/daemon.py" in " ".join(json.loads((tmp_path / "plan.json").read_text())["daemon"]["command"])


def test_an_instance_added_during_an_outage_serves_the_signed_in_users(tmp_path):
    """scale-out: halfway through the outage a second instance starts with an empty folder and joins
    the round-robin front once ready; it finds the sessions and the last-known-good metadata and
    keys in the Redis both share, so every objective holds."""
    code, card, output = drill(tmp_path, "--scenario", "scale-out", "--duration", "30", "--users", "10")
    assert code == 0, output
    replicas = card["replicas"]
    assert replicas["started"] == 1 and replicas["requests"] > 0 and replicas["probes"] > 0, replicas
    assert (tmp_path / "app-2.log").stat().st_size > 0 and (tmp_path / "redis").is_dir()
    assert "scale-out: starting app-2" in output and "added instances: 1/1 started" in output


def test_an_added_instance_without_shared_sessions_fails_the_scale_out_drill(tmp_path):
    """The same drill with each instance's sessions and last-known-good copies on its own disk: the
    new instance sends the signed-in users to sign in, and the objectives say so."""
    code, card, output = drill(tmp_path, "--scenario", "scale-out", "--duration", "30", "--users", "10", "--app-env", "REDIS_URL=")
    assert code == 1, output
    failed = {o["metric"] for o in card["objectives"] if not o["passed"]}
    assert {"signed_in_users_logged_out", "replica_users_logged_out"} <= failed, failed
