"""App profiles: checked before anything starts (exit 2, naming the file and the key); an app that
does not start is reported with its last log lines (exit 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.drill import profile as profiles

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[app]
name = "t"
command = "{python} -m http.server {port}"
[app.env]
CA = "{ca_bundle}"
[app.routes]
protected = "/p"
sign_in = "/login"
callback = "/cb"
[app.outcomes]
signed_in = [{ status = 200 }]
sent_to_sign_in = [{ status = 302, location = "/login" }]
"""


def drill(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit", "drill", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_the_shipped_reference_profile_loads():
    p = profiles.load("reference-app")
    app = p.resolve("https://127.0.0.1:1")
    assert p.tls and app.api == "/api/hello" and app.sign_in_via == "redirect"
    assert app.classify(302, {"Location": "/auth/login?next=/profile"}, "") == "logged_out"
    assert app.classify(200, {}, '<div id="limited-mode">') == "handled"


def test_a_good_profile_loads(tmp_path):
    (tmp_path / "p.toml").write_text(GOOD)
    p = profiles.load(str(tmp_path / "p.toml"))
    assert (p.name, p.routes["callback"], p.resolve("http://x").pages) == ("t", "/cb", ("/p",))


@pytest.mark.parametrize(
    ("old", "new", "where", "key"),
    [
        ('protected = "/p"', 'protected = "p"', ":8", "app.routes.protected"),
        ('sign_in = "/login"', 'sign_in = "/login"\nsign_in_via = "carrier-pigeon"', ":10", "app.routes.sign_in_via"),
        ('command = "{python} -m http.server {port}"', 'command = "{python} -m http.server 8000"', ":4", "app.command"),
        ('command = "{python} -m http.server {port}"', 'command = "x {port}"\nurl = "http://a"', ":4", "app.command"),
        ('CA = "{ca_bundle}"', 'CA = "{ca_bundel}"', ":6", "app.env.CA"),
        ("signed_in = [{ status = 200 }]", 'signed_in = [{ status = "200" }]', ":12", "app.outcomes.signed_in[0].status"),
        ("signed_in = [{ status = 200 }]", "signed_in = [{ colour = 1 }]", ":12", "app.outcomes.signed_in[0]"),
        ('name = "t"', 'name = "t"\nport = 3', ":4", "app.port"),
        ('callback = "/cb"', "", ":7", "app.routes.callback"),  # missing: the table it belongs in
    ],
)
def test_profile_mistakes_name_the_file_line_and_key(tmp_path, old, new, where, key):
    path = tmp_path / "bad.toml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(profiles.ProfileError) as caught:
        profiles.load(str(path))
    assert str(caught.value).startswith(f"{path}{where}: {key}:"), caught.value


def test_a_profile_mistake_exits_2_before_anything_starts(tmp_path):
    (tmp_path / "bad.toml").write_text(GOOD.replace('protected = "/p"', "protected = 3"))
    proc = drill("--app", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and f"{tmp_path / 'bad.toml'}:8: app.routes.protected" in proc.stderr
    assert not (tmp_path / "out").exists()
    assert drill("--app", "nope", timeout=60).returncode == 2


def test_a_scenario_may_hold_the_app_table(tmp_path):
    scenario = (ROOT / "loadtests" / "scenarios" / "baseline.toml").read_text()
    (tmp_path / "s.toml").write_text(scenario + GOOD.replace('"/p"', '"p"'))
    proc = drill("--scenario", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and f"{tmp_path / 's.toml'}:" in proc.stderr and ": app.routes.protected: must be a path" in proc.stderr


def test_an_app_that_does_not_start_exits_3_with_its_last_log_lines(tmp_path):
    crash = GOOD.replace(
        'command = "{python} -m http.server {port}"',
        """command = "{python} -c 'import sys; print(\\"AUTHORITY is not set\\"); sys.exit(4)' {port}" """,
    )
    (tmp_path / "crash.toml").write_text(crash)
    proc = drill("--app", str(tmp_path / "crash.toml"), "--scenario", "baseline", "--duration", "5", "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "exited with 4" in proc.stderr and "AUTHORITY is not set" in proc.stderr


def test_an_app_already_running_is_drilled_at_its_url(tmp_path):
    """A deployment configured once with the emulator's identity and address (kept across drills
    with --emulator-state and --emulator-port): the drill starts only the emulator and the load."""
    import json
    import os

    from toolkit.emulator.server import free_port

    state, port, app_port = tmp_path / "emulator", free_port(), free_port()
    printed = subprocess.run(
        [sys.executable, "-m", "toolkit", "emulator", "--state-dir", str(state), "--print-config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    config = json.loads(printed.stdout)
    env = {
        **os.environ,
        "AUTHORITY": f"https://127.0.0.1:{port}/{config['tenant']}/{config['policies']['signup_signin']}",
        "CLIENT_ID": config["client_id"],
        "CLIENT_SECRET": config["client_secret"],
        "REDIRECT_URI": f"http://127.0.0.1:{app_port}/getAToken",
        "REQUESTS_CA_BUNDLE": config["ca_bundle"],
        "SESSION_FILE_DIR": str(tmp_path / "sessions"),
    }
    typical = ROOT / "tests" / "drill" / "typical_app"
    command = [sys.executable, "-m", "flask", "--app", str(typical / "app.py"), "run", "--port", str(app_port)]
    profile = (typical / "profile.toml").read_text().split("[app.routes]", 1)[1]
    (tmp_path / "running.toml").write_text(
        f'[app]\nname = "running"\nurl = "http://127.0.0.1:{app_port}"\nready = "/getAToken"\n[app.routes]{profile}'
    )
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as app:
        try:
            args = ["--app", str(tmp_path / "running.toml"), "--scenario", "baseline", "--duration", "6", "--users", "3"]
            proc = drill(*args, "--emulator-state", str(state), "--emulator-port", str(port), "--out", str(tmp_path / "out"), timeout=180)
        finally:
            app.terminate()
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text())
    new = card["phases"][0]["personas"]["new_sign_in"]
    assert card["app"] == "running" and new["requests"] > 0 and new["failures"] == 0
    assert not (tmp_path / "out" / "app.log").exists()  # the drill started no app


def test_the_ca_of_an_app_with_its_own_certificate_is_found_beside_the_profile(tmp_path):
    (tmp_path / "app-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "p.toml").write_text(GOOD.replace('name = "t"', 'name = "t"\nca_bundle = "app-ca.pem"'))
    assert profiles.load(str(tmp_path / "p.toml")).ca_bundle == str(tmp_path / "app-ca.pem")
    (tmp_path / "q.toml").write_text(GOOD.replace('name = "t"', 'name = "t"\nca_bundle = "nowhere.pem"'))
    with pytest.raises(profiles.ProfileError, match=r"q.toml:4: app.ca_bundle: a PEM file"):
        profiles.load(str(tmp_path / "q.toml"))


def test_the_app_starts_in_its_runs_own_folder_unless_cwd_names_another(tmp_path):
    """An app that writes into its current folder (sessions, a .env) writes into the run's folder
    for it, never into the toolkit's checkout; `cwd` (relative to the profile) names another."""
    writes = GOOD.replace(
        'command = "{python} -m http.server {port}"',
        """command = "{python} -c 'import os, pathlib; pathlib.Path(\\"here.txt\\").write_text(os.getcwd())' {port}" """,
    )
    (tmp_path / "p.toml").write_text(writes)
    p = profiles.load(str(tmp_path / "p.toml"))
    given = profiles.values({}, p, 1, tmp_path / "run" / "app", None)
    assert profiles.working_folder(p, given) == tmp_path / "run" / "app"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "q.toml").write_text(writes.replace('name = "t"', 'name = "t"\ncwd = "elsewhere"'))
    q = profiles.load(str(tmp_path / "q.toml"))
    assert profiles.working_folder(q, profiles.values({}, q, 1, tmp_path / "run" / "app", None)) == tmp_path / "elsewhere"
    with pytest.raises(profiles.AppStartError):  # the app exits at once, having written its folder
        profiles.start(p, {}, tmp_path / "run" / "app", tmp_path / "run" / "app.log")
    assert (tmp_path / "run" / "app" / "here.txt").read_text() == str(tmp_path / "run" / "app")
    assert not (ROOT / "here.txt").exists()


def test_python_names_the_apps_own_interpreter_or_virtual_environment(tmp_path):
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("#!/bin/sh\n")
    (tmp_path / "p.toml").write_text(GOOD.replace('name = "t"', 'name = "t"\npython = ".venv"'))
    p = profiles.load(str(tmp_path / "p.toml"))
    assert profiles.values({}, p, 1, tmp_path, None)["python"] == str(venv / "python")
    assert profiles.values({}, profiles.load(str(_write(tmp_path / "d.toml", GOOD))), 1, tmp_path, None)["python"] == sys.executable
    (tmp_path / "bad.toml").write_text(GOOD.replace('name = "t"', 'name = "t"\npython = "nowhere/bin/python"'))
    with pytest.raises(profiles.ProfileError, match=r"bad.toml:4: app.python: no interpreter at"):
        profiles.load(str(tmp_path / "bad.toml"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


DAEMON = """[app.daemon]
command = "{python} -m mydaemon --events {events}"
[app.daemon.env]
CA = "{ca_bundle}"
CLIENT_ID = "{daemon_client_id}"
API = "{app_url}/api/report"
"""


def test_a_profile_names_its_daemon_resolved_for_a_run(tmp_path):
    """The daemon's placeholders are the app's and its own registration; `{events}` is left for
    each daemon's own file; it starts in the run's folder for daemons unless `cwd` says."""
    (tmp_path / "p.toml").write_text(GOOD + DAEMON)
    p = profiles.load(str(tmp_path / "p.toml"))
    idp = {"ca_bundle": "/ca.pem", "daemon_client_id": "d-1", "daemon_client_secret": "s"}
    plan = profiles.daemon_plan(p, idp, "https://127.0.0.1:8443", tmp_path / "daemons")
    assert plan is not None and plan.command[1:] == ("-m", "mydaemon", "--events", "{events}")
    assert plan.env == {"CA": "/ca.pem", "CLIENT_ID": "d-1", "API": "https://127.0.0.1:8443/api/report"}
    assert plan.cwd == str(tmp_path / "daemons") and (tmp_path / "daemons").is_dir()
    (tmp_path / "q.toml").write_text(GOOD)
    assert profiles.daemon_plan(profiles.load(str(tmp_path / "q.toml")), idp, "http://x", tmp_path / "d") is None
    assert profiles.load("reference-app").daemon is not None  # the reference daemon, through the same section


@pytest.mark.parametrize(
    ("old", "new", "where", "key"),
    [
        ("--events {events}", "", ":15", "app.daemon.command"),  # nowhere to report to
        ('CA = "{ca_bundle}"', 'CA = "{ca_bundel}"', ":17", "app.daemon.env.CA"),  # not app.env.CA, line 6
        ('CA = "{ca_bundle}"', 'CA = "{events}"\nPORT = 3', ":18", "app.daemon.env.PORT"),
        ('command = "{python} -m mydaemon --events {events}"', 'comand = "x {events}"', ":15", "app.daemon.comand"),
        ('command = "{python} -m mydaemon --events {events}"', 'cwd = "x"', ":14", "app.daemon.command"),  # missing
    ],
)
def test_daemon_mistakes_name_the_file_line_and_key(tmp_path, old, new, where, key):
    path = tmp_path / "bad.toml"
    assert old in DAEMON
    path.write_text(GOOD + DAEMON.replace(old, new))
    with pytest.raises(profiles.ProfileError) as caught:
        profiles.load(str(path))
    assert str(caught.value).startswith(f"{path}{where}: {key}:"), caught.value
