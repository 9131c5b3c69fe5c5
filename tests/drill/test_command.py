"""The drill's command and run modules without starting a process: what the command line resolves
to, usage errors (exit 2), Locust's command line, and that whatever started is stopped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from loadtests.contract import Plan
from toolkit.cli import build_parser
from toolkit.drill import command, run
from toolkit.drill.profile import RunningApp
from toolkit.drill.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[2]


def args(*argv: str):
    return build_parser("drill").parse_args(["drill", *argv])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenario", "nope"], "no scenario"),
        (["--weights", "x=1"], "bad persona weight"),
        (["--workers", "-1"], "--workers"),
        (["--workers", "2", "--remote-workers", "2"], "exclude each other"),
        (["--policies", "nowhere"], "not a folder"),
        (["--flavor", "external-id", "--weights", "api_caller=1"], "no ROPC"),
        (["--app-env", "NOVALUE"], "--app-env takes NAME=VALUE"),
        (["--idp", "x.json", "--emulator-port", "3"], "--idp runs without the emulator"),
    ],
)
def test_usage_errors_exit_2_before_anything_starts(tmp_path, capsys, argv, message):
    assert command.run_drill(args("--out", str(tmp_path / "out"), *argv)) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_command_line_resolves_to_a_drill():
    drill = command.resolve(args("--scenario", "idp-outage", "--users", "3", "--duration", "10", "--fragile", "--app-env", "X=1"))
    assert (drill.scenario.name, drill.scenario.users, drill.scenario.duration_s) == ("idp-outage", 3, 10.0)
    assert drill.profile.name == "reference app" and drill.profile.env["APP_RESILIENCE"] == "off" and drill.profile.env["X"] == "1"
    assert drill.out == Path("drill-results/idp-outage") and drill.idp is None and drill.remote is None
    remote = command.resolve(args("--remote-workers", "2", "--master-port", "6000")).remote
    assert remote.args()[-4:] == ["--master-bind-host", "127.0.0.1", "--master-bind-port", "6000"]
    assert "--worker --master-host 127.0.0.1 --master-port 6000 --drill-plan p.json" in remote.worker_command(Path("p.json"))


def test_a_real_tenant_is_refused_a_scenario_with_faults(tmp_path):
    tenant = dict.fromkeys(command.IDP_KEYS, "x") | {"users": [{"username": "u", "password": "p"}]}
    (tmp_path / "t.json").write_text(json.dumps(tenant))
    with pytest.raises(ScenarioError, match="injects faults"):
        command.resolve(args("--idp", str(tmp_path / "t.json")))
    drill = command.resolve(args("--idp", str(tmp_path / "t.json"), "--scenario", "baseline", "--users", "2"))
    assert drill.idp == tenant and drill.notes[0].startswith("b2c-toolkit drill: estimated load on the tenant")


def test_the_progress_line_shows_the_operations_the_scorecard_scores(tmp_path):
    """progress.json counts what the scorecard scores (the load tests leave a daemon's token
    requests out of it: loadtests.collect.so_far); the line shows those counts as they are."""
    scenario = command.resolve(args("--scenario", "idp-outage", "--duration", "20")).scenario
    assert run._progress_line(tmp_path, scenario, 3).endswith("starting users...")
    progress = {"users": 4, "so_far": {"daemon": {"ok": 3, "handled": 0, "failed": 0}, "new_sign_in": {"ok": 0, "handled": 2, "failed": 0}}}
    (tmp_path / "progress.json").write_text(json.dumps(progress))
    line = run._progress_line(tmp_path, scenario, 9)
    assert "phase outage" in line and "daemon 3/0/0, new_sign_in 0/2/0" in line


def test_a_persona_the_app_or_the_idp_cannot_serve_is_left_out(tmp_path):
    drill = command.resolve(args("--scenario", "deceptive-idp"))
    assert run.skipped_personas(drill.scenario, drill.profile, IDP) == {}
    (tmp_path / "p.toml").write_text((ROOT / "tests" / "drill" / "typical_app" / "profile.toml").read_text())
    typical = command.resolve(args("--scenario", "deceptive-idp", "--weights", "daemon=1,api_caller=1", "--app", str(tmp_path / "p.toml")))
    skipped = run.skipped_personas(typical.scenario, typical.profile, IDP)
    assert "[app.daemon]" in skipped["daemon"] and "app.routes.api" in skipped["api_caller"]
    assert "daemon_client_id" in run.skipped_personas(drill.scenario, drill.profile, {**IDP, "daemon_client_id": ""})["daemon"]


class FakeLocust:
    """Stands in for Locust's process: records its command line, writes what it would."""

    started: ClassVar[list[list[str]]] = []

    def __init__(self, argv, **kwargs):
        FakeLocust.started.append(argv)
        plan = Path(argv[argv.index("--drill-plan") + 1])
        (plan.parent / "ops.jsonl").write_text('{"t": 1.0, "persona": "signed_in", "outcome": "ok", "ms": 5.0}\n')
        self.returncode = 0

    def poll(self):
        return 0


def test_a_drill_runs_and_stops_everything_it_started(tmp_path, monkeypatch):
    """Resolving and running apart: the processes are stood in for; Locust gets the plan and
    `--processes K` for local workers; the emulator and the app are stopped once, in reverse order."""
    stopped: list[str] = []

    class Service:
        url = "https://127.0.0.1:1"

        def stop(self):
            stopped.append("emulator")

    class App(RunningApp):
        def stop(self):
            stopped.append("app")

    state = tmp_path / "out" / "emulator-state"
    monkeypatch.setattr(run.processes, "start_emulator", lambda *a, **k: Service())
    monkeypatch.setattr(
        run, "trusting_session", lambda ca: type("S", (), {"get": lambda *a, **k: type("R", (), {"json": lambda self: IDP})()})()
    )
    monkeypatch.setattr(run, "start_app", lambda *a, **k: App("https://127.0.0.1:2", None, None))
    monkeypatch.setattr(run.preflight, "check", lambda *a, **k: None)
    monkeypatch.setattr(run.subprocess, "Popen", FakeLocust)
    monkeypatch.setattr("toolkit.drill.plot.timeline", lambda *a, **k: None)
    drill = command.resolve(
        args("--scenario", "baseline", "--duration", "5", "--users", "1", "--workers", "2", "--out", str(tmp_path / "out"))
    )
    said: list[str] = []
    card = run.run(drill.scenario, drill.out, drill.profile, workers=2, say=said.append, emulator_state=state)
    assert stopped == ["app", "emulator"] and "--processes" in FakeLocust.started[-1] and "2" in FakeLocust.started[-1]
    assert card.phases[0].personas["signed_in"].requests == 1 and (tmp_path / "out" / "scorecard.json").exists()
    daemon = Plan.read(tmp_path / "out" / "plan.json").daemon  # the reference daemon, a process each daemon user starts
    assert daemon is not None and daemon.command[1:] == ("-m", "sample_app.daemon", "--interval", "1", "--events", "{events}")
    assert daemon.env["DAEMON_CLIENT_ID"] == "d" and daemon.env["API_BASE_URL"] == "https://127.0.0.1:2"
    stopped.clear()
    monkeypatch.setattr(run.subprocess, "Popen", _crash)
    with pytest.raises(OSError):
        run.run(drill.scenario, drill.out, drill.profile, say=said.append, emulator_state=state)
    assert stopped == ["app", "emulator"]  # a failure after both started stops both


def _crash(*args, **kwargs):
    raise OSError("no locust")


IDP = {
    "authority": "https://127.0.0.1:1/contoso.onmicrosoft.com/B2C_1A_signup_signin",
    "base_url": "https://127.0.0.1:1",
    "tenant": "contoso.onmicrosoft.com",
    "policies": {"signup_signin": "B2C_1A_signup_signin", "ropc": "B2C_1A_ropc"},
    "client_id": "c",
    "client_secret": "s",
    "ca_bundle": "",
    "daemon_client_id": "d",
    "users": [{"username": "u", "password": "p"}],
}
