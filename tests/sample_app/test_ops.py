"""Operations endpoints never call the IdP; logs carry no secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from tests.sample_app.conftest import start_stack
from tests.support import stop_emulator
from toolkit.drill import processes
from toolkit.emulator.server import free_port


def test_health_and_readiness_do_not_touch_the_idp(stack):
    before = stack.emulator.counts()
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    client = stack.client()
    assert client.get(stack.url + "/healthz").json() == {"status": "ok"}
    assert client.get(stack.url + "/readyz").json() == {"status": "ready", "store": "ok"}
    status = client.get(stack.url + "/status/idp").json()
    assert set(status) >= {"breaker", "last_success", "last_failure", "metadata_age_s"}
    assert "idp_requests_total" in client.get(stack.url + "/metrics").text
    after = stack.emulator.counts()
    assert sum(after.values()) == sum(before.values())


def test_breaker_state_is_reported(stack):
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    client = stack.client()
    for _ in range(4):  # BREAKER_FAIL_MAX is 3 in these tests
        client.get(stack.url + "/auth/login", allow_redirects=False)
    status = client.get(stack.url + "/status/idp").json()
    assert status["breaker"]["state"] == "open" and status["breaker"]["retry_after_s"] >= 1
    assert "idp_breaker_open 1.0" in client.get(stack.url + "/metrics").text


def test_a_retry_after_is_obeyed_and_reported(stack):
    """A 503 with Retry-After: 3: the app sends nobody to the IdP for 3 s (no probe either, so the
    breaker has nothing to count), and /status/idp says for how long."""
    stack.emulator.fault(kind="outage", group="all", retry_after=3)
    client = stack.client()
    first = client.get(stack.url + "/auth/login", allow_redirects=False)
    before = stack.emulator.counts()
    second = client.get(stack.url + "/auth/login", allow_redirects=False)
    assert first.status_code == second.status_code == 503 and 1 <= int(second.headers["Retry-After"]) <= 3
    assert stack.emulator.counts() == before  # nothing left the app
    assert 0 < client.get(stack.url + "/status/idp").json()["throttled_for_s"] <= 3


def test_request_id_is_echoed(stack):
    reply = stack.client().get(stack.url + "/healthz", headers={"X-Request-ID": "drill-42"})
    assert reply.headers["X-Request-ID"] == "drill-42"


def test_logs_are_json_and_hold_no_secrets(stack):
    client = stack.signed_in()
    client.get(stack.url + "/call-api")
    log = stack.app.log_text()
    secrets = [stack.emulator.config["client_secret"], *(u["password"] for u in stack.emulator.config["users"])]
    assert not any(s in log for s in secrets)
    assert "eyJ" not in log  # no JWT (header base64 always starts so)
    assert "code=" not in log
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "signed_in" and e.get("request_id") for e in events)


def test_json_log_lines_keep_the_traceback_of_an_exception():
    from sample_app.logs import JsonFormatter

    try:
        raise ValueError("could not convert string to float: 'abc'")
    except ValueError:
        record = logging.getLogger("sample_app").makeRecord(
            "sample_app", logging.ERROR, __file__, 1, "unexpected error", (), sys.exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "unexpected error"
    assert "Traceback" in line["exc"] and "ValueError: could not convert" in line["exc"]


def test_redirect_uri_comes_from_configuration_not_the_host_header(stack):
    reply = stack.client().get(
        stack.url + "/auth/login",
        headers={"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"},
        allow_redirects=False,
    )
    assert reply.status_code == 302
    redirect_uri = parse_qs(urlsplit(reply.headers["Location"]).query)["redirect_uri"]
    assert redirect_uri == [stack.url + "/auth/callback"]


def test_ops_endpoints_need_a_token_or_an_allowed_network(tmp_path):
    """OPS_ALLOWED_NETWORKS names a network the proxy in front (TRUSTED_PROXIES=1) reports;
    loopback itself is not in it."""
    env = {"OPS_TOKEN": "ops-secret", "OPS_ALLOWED_NETWORKS": "10.0.0.0/8", "TRUSTED_PROXIES": "1"}
    running = start_stack(tmp_path, app_env=env)
    try:
        client = running.client()
        for path in ("/metrics", "/status/idp"):
            assert client.get(running.url + path).status_code == 403
            assert client.get(running.url + path, headers={"Authorization": "Bearer wrong"}).status_code == 403
            assert client.get(running.url + path, headers={"Authorization": "Bearer ops-secret"}).status_code == 200
            assert client.get(running.url + path, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
            spoofed = "10.1.2.3, 192.0.2.7"  # the proxy appends the real client: only the last hop is trusted
            assert client.get(running.url + path, headers={"X-Forwarded-For": spoofed}).status_code == 403
        assert client.get(running.url + "/healthz").status_code == 200
    finally:
        running.app.stop()
        stop_emulator(running.emulator)


def test_a_production_start_refuses_a_missing_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(BIND=f"127.0.0.1:{free_port()}", SESSION_DIR=str(tmp_path / "s"), IDP_CACHE_DIR=str(tmp_path / "c"))
    args = [sys.executable, "-m", "gunicorn", "-c", str(processes.ROOT / "sample_app" / "gunicorn.conf.py"), "sample_app:create_app()"]
    done = subprocess.run(args, env=env, cwd=processes.ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr + done.stdout


def test_no_secret_key_is_in_the_repository():
    listed = subprocess.run(["git", "ls-files", "instance"], cwd=processes.ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout == ""
