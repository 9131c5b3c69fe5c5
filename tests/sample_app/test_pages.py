"""Signed-in users keep working through an outage; anonymous users get a friendly 503."""

from __future__ import annotations

import time

import pytest

from tests.sample_app.conftest import access_token, running_stack, start_stack
from tests.support import stop_emulator
from toolkit import flows


@pytest.mark.parametrize("mode", ["reset", "503"])
def test_signed_in_user_keeps_browsing_during_outage(stack, mode):
    client = stack.signed_in()
    stack.emulator.fault(kind="outage", group="all", mode=mode)
    for path in ("/", "/profile", "/call-api"):
        reply = client.get(stack.url + path, allow_redirects=False)
        assert reply.status_code == 200, (path, reply.status_code)
    assert "Hello, Test User 1" in client.get(stack.url + "/call-api").text  # the cached access token


def test_anonymous_sign_in_during_outage_is_503_with_retry_after(stack):
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    for _ in range(5):
        reply = stack.client().get(stack.url + "/auth/login", allow_redirects=False)
        assert reply.status_code == 503
        assert int(reply.headers["Retry-After"]) >= 1
        assert "Sign-in is temporarily unavailable" in reply.text


def test_sign_in_recovers_without_restart(stack):
    stack.emulator.fault(kind="outage", group="all")
    assert stack.client().get(stack.url + "/auth/login", allow_redirects=False).status_code == 503
    stack.emulator.clear()
    stack.wait_for_recovery()
    assert stack.signed_in() is not None


def test_outage_between_page_and_callback_is_503_not_500(stack):
    client = stack.client()
    user = stack.user()
    arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
    stack.emulator.fault(kind="outage", group="token", mode="reset")
    reply = flows.back_to_app(client, arrival)
    assert reply.status_code == 503 and "Retry-After" in reply.headers


def test_throttled_token_endpoint_is_503_not_500(stack):
    client = stack.client()
    user = stack.user()
    arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
    stack.emulator.fault(kind="throttle", group="token", retry_after=1)
    reply = flows.back_to_app(client, arrival)
    assert reply.status_code == 503
    # msal honours Retry-After itself: it answers the same 429 without calling until it passes.
    time.sleep(1.1)


def test_slow_idp_is_cut_off_by_timeouts(stack):
    # IDP_READ_TIMEOUT_S is 1.5 in these tests: a token endpoint 4 s slow gives up, it does not hang.
    client = stack.client()
    user = stack.user()
    arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
    stack.emulator.fault(kind="latency", group="token", latency_ms=4000)
    reply = flows.back_to_app(client, arrival, timeout=10)
    assert reply.status_code == 503
    assert 'idp_requests_total{endpoint="token",outcome="timeout"}' in client.get(stack.url + "/metrics").text


def test_limited_mode_when_the_token_cannot_be_refreshed(tmp_path):
    # Access tokens of 300 s count as expired at once for msal (5 minutes early): every API call
    # needs a refresh, which an outage makes impossible. The user stays signed in.
    short = start_stack(tmp_path, token_lifetime_s=300)
    try:
        client = short.signed_in()
        assert "Hello, Test User 1" in client.get(short.url + "/call-api").text
        short.emulator.fault(kind="outage", group="all", mode="reset")
        page = client.get(short.url + "/call-api", allow_redirects=False)
        assert page.status_code == 200
        assert 'id="limited-mode"' in page.text and 'id="api-unavailable"' in page.text
        assert client.get(short.url + "/profile", allow_redirects=False).status_code == 200
        assert "degraded_responses_total" in client.get(short.url + "/metrics").text
    finally:
        short.app.stop()
        stop_emulator(short.emulator)


def test_fragile_mode_logs_users_out_during_outage(tmp_path):
    fragile = start_stack(tmp_path, app_env={"APP_RESILIENCE": "off"})
    try:
        client = fragile.signed_in()
        assert client.get(fragile.url + "/profile", allow_redirects=False).status_code == 200
        fragile.emulator.session().post(fragile.emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=10)
        token = access_token(fragile.emulator)
        fragile.emulator.fault(kind="outage", group="all", mode="reset")
        reply = client.get(fragile.url + "/profile", allow_redirects=False)
        assert reply.status_code == 302 and reply.headers["Location"].startswith("/auth/login")
        # a genuine token it cannot check now is refused (the reference app answers 503)
        api = fragile.client().get(fragile.url + "/api/hello", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401
    finally:
        fragile.app.stop()
        stop_emulator(fragile.emulator)


def test_call_api_is_not_refused_by_its_own_admission_control(tmp_path):
    """One slot per worker: /call-api holds it while it calls this app's own API, whose request
    runs on that slot instead of being refused (it carries the deployment's X-Refapp-Slot)."""
    with running_stack(tmp_path, app_env={"MAX_CONCURRENT_REQUESTS": "1"}) as stack:
        page = stack.signed_in().get(stack.url + "/call-api")
        assert page.status_code == 200 and "Hello, Test User 1" in page.text, page.text[-500:]


def test_after_a_429_nobody_is_sent_to_b2c_before_its_capped_retry_after(tmp_path):
    """The token endpoint answers one redemption 429 "for a day": the next sign-in start gets the
    sign-in-unavailable page (not B2C's page, where a password typed in could not be redeemed),
    with the capped Retry-After; once that has passed, sign-in works again."""
    with running_stack(tmp_path, app_env={"IDP_RETRY_AFTER_CAP_S": "2"}) as stack:
        client = stack.client()
        user = stack.user()
        arrival = flows.app_sign_in_at_b2c(client, stack.url, user["username"], user["password"])
        stack.emulator.fault(kind="throttle", group="token", retry_after=86_400)
        assert flows.back_to_app(client, arrival).status_code == 503
        stack.emulator.clear()
        start = stack.client().get(stack.url + "/auth/login", allow_redirects=False)
        assert start.status_code == 503 and 1 <= int(start.headers["Retry-After"]) <= 2
        time.sleep(2.1)
        assert stack.signed_in().get(stack.url + "/profile").status_code == 200
