"""Operations endpoints never call the IdP; logs carry no secrets."""

from __future__ import annotations

import json
import logging
import sys


def test_health_and_readiness_do_not_touch_the_idp(stack):
    before = stack.emulator.counts()
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    client = stack.client()
    assert client.get(stack.url + "/healthz").json() == {"status": "ok"}
    assert client.get(stack.url + "/readyz").json() == {"status": "ready"}
    status = client.get(stack.url + "/status/idp").json()
    assert set(status) >= {"breaker", "last_success", "last_failure", "metadata_age_s"}
    assert "idp_requests_total" in client.get(stack.url + "/metrics").text
    after = stack.emulator.counts()
    assert sum(after.values()) == sum(before.values())


def test_breaker_state_is_reported(stack):
    stack.emulator.fault(kind="outage", group="all")
    client = stack.client()
    for _ in range(4):  # BREAKER_FAIL_MAX is 3 in these tests
        client.get(stack.url + "/auth/login", allow_redirects=False)
    status = client.get(stack.url + "/status/idp").json()
    assert status["breaker"]["state"] == "open" and status["breaker"]["retry_after_s"] >= 1
    assert "idp_breaker_open 1.0" in client.get(stack.url + "/metrics").text


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
