"""How the personas find their way to the IdP on any app: a 302, a link or meta refresh, a form;
how a request that never ends is still seen; and how the daemon persona runs the app's daemon."""

from __future__ import annotations

import sys
import time

import pytest
from gevent import GreenletExit
from locust.env import Environment

from loadtests import collect
from loadtests.config import DrillRun
from loadtests.contract import DaemonPlan, PhasePlan, Plan
from loadtests.personas import _LINK, REQUEST_TIMEOUT_S, Daemon, find_form, tracked
from tests.loadtests.test_contract import APP

B2C = "https://127.0.0.1:9/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/v2.0/authorize?client_id=x&amp;state=y"


def test_a_link_or_a_meta_refresh_to_authorize_is_found():
    link = _LINK.search(f"<ul><li><a href='{B2C}'>Sign In</a></li></ul>")
    refresh = _LINK.search(f"<meta http-equiv='refresh' content='0; URL={B2C}'>")
    assert link is not None and link.group(1) == B2C
    assert refresh is not None and refresh.group(1) == B2C
    assert _LINK.search("<a href='/about'>About</a>") is None


def test_forms_are_read_with_their_hidden_fields():
    html = """<form action="/search"><input name="q"></form>
    <form method="post" action="/auth/logout"><input type="hidden" name="csrf_token" value="a&amp;b"><button>Sign out</button></form>"""
    assert find_form(html, "https://app/profile", "/auth/logout") == ("https://app/auth/logout", "POST", {"csrf_token": "a&b"})
    assert find_form(html, "https://app/profile") == ("https://app/search", "GET", {"q": ""})
    assert find_form(html, "https://app/profile", "/nowhere") is None


def test_requests_get_a_timeout_and_unanswered_ones_stay_in_flight():
    """Every request has a timeout unless it names one; a request the end of the run interrupts
    (GreenletExit) stays in flight for on_stop to record; one that raised otherwise does not."""
    seen, in_flight = [], {}

    def request(method, url, **kwargs):
        seen.append((method, url, kwargs, dict(in_flight)))
        if url == "/forever":
            raise GreenletExit
        if url == "/broken":
            raise ValueError("no")
        return "reply"

    call = tracked(request, in_flight)
    assert call("get", "/profile", name="signed_in /profile") == "reply"
    assert call("GET", "/slow", timeout=3) == "reply"
    assert [s[2]["timeout"] for s in seen] == [REQUEST_TIMEOUT_S, 3]
    assert [v[:2] for v in seen[0][3].values()] == [("GET", "signed_in /profile")]  # in flight while it ran
    assert in_flight == {}
    with pytest.raises(ValueError):
        call("GET", "/broken")
    assert in_flight == {}
    with pytest.raises(GreenletExit):
        call("GET", "/forever", name="signed_in /call-api")
    assert [v[:2] for v in in_flight.values()] == [("GET", "signed_in /call-api")]


DAEMON_SCRIPT = """
import json, signal, sys, time
with open(sys.argv[1], "a") as events:
    for line in (
        {"t": 1000.5, "event": "call", "outcome": "ok", "ms": 12.5},
        {"t": 1001.0, "event": "token", "outcome": "http_503"},
        {"t": 1001.5, "event": "call", "outcome": "http_401", "ms": 30, "refused": 2},
        {"event": "restarted"},
    ):
        events.write(json.dumps(line) + "\\n")
    events.write("not json\\n" + json.dumps({"t": 1002.0, "event": "call", "outcome": "handled"}))  # the last line unfinished
    events.flush()

    def finish(*_):  # the last line is finished when the drill stops the daemon
        events.write("\\n")
        events.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    time.sleep(60)
"""


def daemon_user(tmp_path, daemon: DaemonPlan) -> tuple[Daemon, collect.Recorder]:
    """A daemon user of a one-daemon plan whose results go to `tmp_path`, and what records its operations."""
    plan = Plan("s", 1, 1.0, 5.0, {"daemon": 1}, (PhasePlan("a", 0, 5),), APP, {"users": [{}]}, out=str(tmp_path), daemon=daemon)
    environment = Environment(host=APP.url)
    environment.drill_run = DrillRun(plan)
    recorder = collect.Recorder()
    environment.events.request.add_listener(recorder.on_request)
    user = type("Daemon", (Daemon,), {"host": APP.url})(environment)
    return user, recorder


def test_the_daemon_persona_runs_the_apps_daemon_and_records_what_it_reports(tmp_path):
    """The daemon is a process of the profile's; each call it reports is an operation, placed by
    when it started, each token request a `daemon:token` record; stopping the user stops it."""
    daemon = DaemonPlan(command=(sys.executable, "-c", DAEMON_SCRIPT, "{events}"), env={"EVENTS": "{events}"}, cwd=str(tmp_path))
    user, recorder = daemon_user(tmp_path, daemon)
    user.on_start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(recorder.pending) < 3:
        user.read_events()
        time.sleep(0.1)
    user.on_stop()
    assert user.process.returncode is not None  # stopped
    ops = recorder.operations(False, 1000.0)
    assert [(o.t, o.persona, o.outcome, o.reason, o.genuine_tokens_refused) for o in ops] == [
        (0.5, "daemon", "ok", "", 0),
        (1.0, "daemon:token", "failed", "http_503", 0),
        (1.5, "daemon", "failed", "http_401", 2),
        (2.0, "daemon", "handled", "handled", 0),
    ]
    assert (tmp_path / "daemons" / f"{user.id}.jsonl").exists()


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ((sys.executable, "-c", "import sys; sys.exit(3)"), "the daemon exited with 3"),
        (("/nonexistent/daemon",), "the daemon could not start"),
    ],
)
def test_a_daemon_that_exits_or_does_not_start_fails_its_operations(tmp_path, command, reason):
    daemon = DaemonPlan(command=(*command, "{events}"), env={}, cwd=str(tmp_path))
    user, recorder = daemon_user(tmp_path, daemon)
    user.on_start()
    if user.process is not None:
        user.process.wait(timeout=10)
    user.read_events()
    user.on_stop()
    (failed,) = recorder.operations(False, None)
    assert failed.outcome == "failed" and reason in failed.reason
