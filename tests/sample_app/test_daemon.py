"""The reference daemon (`python -m sample_app.daemon`) against the real emulator and the reference
API under gunicorn, in both flavors: app-only tokens, calls through an IdP outage, and backoff
without a storm when no token can be had."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sample_app.conftest import Stack, running_stack, start_daemon
from tests.support import REDIRECT_URI
from toolkit import flows

#: the emulator asks msal to refresh app-only tokens after 2 s, so a short test sees refreshes fail
REFRESH_IN_S = 2


@pytest.fixture(scope="module", params=["b2c", "external-id"])
def daemon_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Emulator (one flavor, quick refresh_in) and the reference app serving the API."""
    args = ["--flavor", request.param, "--app-token-refresh-in", str(REFRESH_IN_S)]
    with running_stack(tmp_path_factory.mktemp("daemon"), emulator_args=args) as running:
        yield running


@pytest.fixture(autouse=True)
def _faults_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "daemon_stack" in request.fixturenames:
        request.getfixturevalue("daemon_stack").emulator.clear()


def finish(process: subprocess.Popen[bytes], summary: Path, tmp_path: Path) -> dict:
    assert process.wait(timeout=60) == 0, (tmp_path / "daemon.log").read_text()[-3000:]
    result: dict = json.loads(summary.read_text())
    return result


def failed_requests(result: dict) -> list[float]:
    return [r["at_s"] for r in result["token_request_log"] if r["outcome"] != "ok"]


@pytest.mark.parametrize("mode", ["503", "reset"])
def test_daemon_calls_through_an_idp_outage_shorter_than_its_token(daemon_stack, tmp_path, mode):
    """503 with Retry-After 2, or connections reset (no Retry-After: msal's 5 s). A refresh that
    failed while msal still had the old token used to be retried at every call (reset: 3 token
    requests in 4 s here, 5 in 5 s in a drill); now the next one waits for the backoff."""
    process, summary = start_daemon(daemon_stack, tmp_path, duration_s=9)
    time.sleep(3)  # a token in hand, already due for refresh
    daemon_stack.emulator.fault(kind="outage", group="all", mode=mode, retry_after=2, duration_s=4)
    result = finish(process, summary, tmp_path)
    assert result["calls"] > 40 and result["success_ratio"] == 1.0, result["outcomes"]
    failed = failed_requests(result)
    assert 1 <= len(failed) <= 2, result["token_request_log"]  # tried to refresh, without a storm
    assert all(later - earlier >= 2.9 for earlier, later in itertools.pairwise(failed))  # 5 s backoff (capped at 3 here)


def test_daemon_without_a_token_backs_off_then_recovers(daemon_stack, tmp_path):
    daemon_stack.emulator.fault(kind="outage", group="token", mode="reset", duration_s=5)
    process, summary = start_daemon(daemon_stack, tmp_path, duration_s=10)
    result = finish(process, summary, tmp_path)
    failed = failed_requests(result)
    # 0.1 s between calls: ~50 token requests in 5 s without backoff; with it (capped at 3 s here), 3 s apart
    assert all(later - earlier >= 2.9 for earlier, later in itertools.pairwise(failed))
    assert 1 <= len(failed) <= 4, result["token_request_log"]
    assert result["outcomes"]["no_token"] > 0 and result["outcomes"]["ok"] > 0, result["outcomes"]
    assert set(result["outcomes"]) == {"no_token", "ok"}


def get(stack: Stack, path: str, token: str):
    return stack.client().get(stack.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_report_takes_app_only_tokens_with_the_role_only(daemon_stack):
    emulator = daemon_stack.emulator
    daemon_token = emulator.daemon().acquire_token_for_client([emulator.default_scope])["access_token"]
    reply = get(daemon_stack, "/api/report", daemon_token)
    assert reply.status_code == 200 and reply.json()["roles"] == [emulator.config["api_role"]]
    assert get(daemon_stack, "/api/hello", daemon_token).status_code == 401  # no user, no scope

    no_role = emulator.cca().acquire_token_for_client([emulator.default_scope])["access_token"]
    refused = get(daemon_stack, "/api/report", no_role)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"

    app = emulator.cca()
    flow = app.initiate_auth_code_flow([emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
    user = daemon_stack.user()
    arrival = flows.sign_in(daemon_stack.client(), flow["auth_uri"], user["username"], user["password"])
    user_token = app.acquire_token_by_auth_code_flow(flow, arrival.params)["access_token"]
    assert get(daemon_stack, "/api/hello", user_token).status_code == 200
    refused = get(daemon_stack, "/api/report", user_token)
    assert refused.status_code == 403 and "app-only" in refused.json()["error_description"]


def test_a_refused_token_is_replaced_at_once(daemon_stack, tmp_path):
    """A signing-key rollover with no grace: the API refuses the token the daemon holds (401); the
    daemon drops it and calls again with a new one, so no scheduled call fails."""
    emulator = daemon_stack.emulator
    process, summary = start_daemon(daemon_stack, tmp_path, duration_s=5)
    time.sleep(2.5)
    emulator.session().post(f"{emulator.url}/_emulator/keys/rotate", json={"grace_s": 0}, timeout=5).raise_for_status()
    fresh = emulator.daemon().acquire_token_for_client([emulator.default_scope])["access_token"]
    assert get(daemon_stack, "/api/report", fresh).status_code == 200  # the API now knows the new key only
    result = finish(process, summary, tmp_path)
    assert result["outcomes"] == {"ok": result["calls"]}, result["outcomes"]


@pytest.mark.parametrize(("retry_after", "as_date"), [(86_400, False), (2_300_000_000, True)], ids=["a day", "a date in 2099"])
def test_an_absurd_retry_after_is_capped_by_the_daemons_longest_backoff(daemon_stack, tmp_path, retry_after, as_date):
    """The token endpoint throttles for 4 s, saying "come back in a day" (or in 2099): the daemon
    waits at most DAEMON_MAX_BACKOFF_S (3 s here), msal's own throttling included, then works."""
    daemon_stack.emulator.fault(kind="throttle", group="token", retry_after=retry_after, retry_after_date=as_date, duration_s=4)
    process, summary = start_daemon(daemon_stack, tmp_path, duration_s=10)
    result = finish(process, summary, tmp_path)
    assert result["outcomes"].get("ok", 0) > 0, result
    assert len(result["token_request_log"]) >= 2, result["token_request_log"]


def test_an_api_that_refuses_every_new_token_gets_no_storm(daemon_stack, tmp_path):
    """Two rollovers with no grace, 1 s apart: the API took the first new key and, rate-limited,
    refuses tokens signed with the second (401) for IDP_KEYS_MIN_REFRESH_S. The daemon replaces
    a refused token once, then not again before its backoff window ends (3 s here): a handful
    of token requests in 6 s (msal also renews every 2 s here) instead of one per call (60)."""
    emulator = daemon_stack.emulator
    process, summary = start_daemon(daemon_stack, tmp_path, duration_s=7)
    time.sleep(1)
    for _ in range(2):
        emulator.session().post(f"{emulator.url}/_emulator/keys/rotate", json={"grace_s": 0}, timeout=5).raise_for_status()
        fresh = emulator.daemon().acquire_token_for_client([emulator.default_scope])["access_token"]
        get(daemon_stack, "/api/report", fresh)  # the API learns the first new key, then is rate-limited
        time.sleep(0.5)
    result = finish(process, summary, tmp_path)
    assert result["outcomes"].get("http_401", 0) > 0, result["outcomes"]  # the API did refuse
    assert len(result["token_request_log"]) <= 12, result["token_request_log"]  # a storm: one per call, 60
