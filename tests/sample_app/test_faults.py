"""Faults combined, against real processes: gunicorn with several workers and threads, the
emulator over HTTPS, real msal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sample_app.conftest import APP_ENV, Stack, access_token, running_stack, start_stack
from toolkit.drill import processes


@pytest.fixture
def workers2(tmp_path):
    """A fresh emulator and the app under gunicorn with 2 workers x 4 threads."""
    running = start_stack(tmp_path, workers=2, threads=4)
    yield running
    running.app.stop()
    running.emulator.service.stop()


def hello(stack: Stack, token: str) -> int:
    """/api/hello over a new connection (so that requests spread over the workers)."""
    return stack.client().get(stack.url + "/api/hello", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_a_key_one_worker_has_seen_validates_in_every_worker_during_an_outage(workers2):
    """Keys rotate, one worker sees a token signed with the new key, then B2C goes down: every
    worker accepts that token (the new key set is on disk, written by the worker that fetched it)."""
    old = access_token(workers2.emulator)
    assert [hello(workers2, old) for _ in range(20)] == [200] * 20  # every worker has the old key set
    workers2.emulator.session().post(workers2.emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=10)
    new = access_token(workers2.emulator)
    assert hello(workers2, new) == 200  # one worker fetched the new key set
    workers2.emulator.service.stop()  # down: connections refused
    assert [hello(workers2, new) for _ in range(30)] == [200] * 30


def test_a_damaged_cache_entry_is_as_good_as_none(tmp_path):
    """A last-known-good file with `"fetched_at": "abc"`: /status/idp and the pages read it as no
    entry, never a 500."""
    stack = start_stack(tmp_path)
    try:
        assert hello(stack, access_token(stack.emulator)) == 200  # discovery and keys cached on disk
        stack.app.stop()
        cache = tmp_path / "app" / "idp-cache"
        for path in cache.glob("*.json"):
            data = json.loads(path.read_text())
            path.write_text(json.dumps({**data, "fetched_at": "abc"}))
        stack.emulator.fault(kind="outage", group="all", mode="reset")
        stack.app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env=APP_ENV)
        client = stack.client()
        for _ in range(3):
            status = client.get(stack.url + "/status/idp")
            assert status.status_code == 200 and status.json()["metadata_age_s"] is None
        assert client.get(stack.url + "/auth/login", allow_redirects=False).status_code == 503
        api = client.get(stack.url + "/api/hello", headers={"Authorization": "Bearer x.y.z"})
        assert api.status_code == 503 and int(api.headers["Retry-After"]) >= 1  # no metadata to check the issuer
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


def forged_unknown_kid(token: str) -> str:
    """The claims of a genuine token, signed with another key under a key id B2C never used."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256", headers={"kid": "k2"})


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    start = time.monotonic()
    reply = call()
    return reply, time.monotonic() - start


def test_a_slow_idp_costs_a_request_at_most_its_budget(tmp_path):
    """B2C slowed by 20 s, read timeout 10 s, budget 1 s: a token with an unknown kid (a key
    refresh, retried) and a sign-in (a probe) each take their degraded path after the budget,
    instead of waiting out one or several read timeouts. The IdP could not say whether the key
    exists, so the token is not called invalid: 503 with Retry-After."""
    stack = start_stack(tmp_path, app_env={"IDP_REQUEST_BUDGET_S": "1", "IDP_READ_TIMEOUT_S": "10", "BREAKER_FAIL_MAX": "50"})
    try:
        token = access_token(stack.emulator)
        assert hello(stack, token) == 200  # keys and metadata loaded
        stack.emulator.fault(kind="latency", group="all", latency_ms=20000)
        client = stack.client()
        reply, seconds = timed(
            lambda: client.get(stack.url + "/api/hello", headers={"Authorization": f"Bearer {forged_unknown_kid(token)}"})
        )
        assert reply.status_code == 503 and "Retry-After" in reply.headers and seconds < 4, (reply.status_code, seconds)
        reply, seconds = timed(lambda: client.get(stack.url + "/auth/login", allow_redirects=False))
        assert reply.status_code == 503 and "Retry-After" in reply.headers and seconds < 4, (reply.status_code, seconds)
        assert hello(stack, token) == 200  # known keys: no IdP call at all
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


def test_a_cold_start_during_an_outage_serves_from_the_last_known_good_copies(tmp_path):
    """The emulator stops (SIGTERM: its emulator.json goes), the app restarts with no IdP
    settings: it serves from the copies on disk, and recovers without a restart when B2C is back."""
    stack = start_stack(tmp_path)
    env = {k: v for k, v in APP_ENV.items() if k == "SECRET_KEY"}  # only what the docs' start sets
    try:
        stack.app.stop()
        stack.app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env=env)
        token = access_token(stack.emulator)
        browser = stack.signed_in()
        assert hello(stack, token) == 200 and "Hello, Test User 1" in browser.get(stack.url + "/call-api").text
        stack.app.stop()
        port = int(stack.emulator.url.rsplit(":", 1)[1])
        stack.emulator.service.stop()
        assert not (tmp_path / "emulator" / "emulator.json").exists()

        stack.app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env=env)
        assert hello(stack, token) == 200
        page = browser.get(stack.url + "/call-api")
        assert page.status_code == 200 and "Hello, Test User 1" in page.text
        assert stack.client().get(stack.url + "/auth/login", allow_redirects=False).status_code == 503

        stack.emulator.service = processes.start_emulator(tmp_path / "emulator", port=port)
        stack.wait_for_recovery()
        assert stack.signed_in().get(stack.url + "/profile").status_code == 200
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


def test_past_its_concurrency_a_worker_refuses_at_once_and_recovers(tmp_path):
    """One slot per worker, taken by a sign-in waiting on a slow IdP: other requests are refused
    at once with 503 and Retry-After (a page for browsers, JSON for the API), health checks still
    answer, and once the slot is free requests are admitted again."""
    stack = start_stack(tmp_path, threads=4, app_env={"MAX_CONCURRENT_REQUESTS": "1", "OVERLOAD_RETRY_AFTER_S": "2"})
    try:
        stack.emulator.fault(kind="latency", group="all", latency_ms=3000)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(lambda: stack.client().get(stack.url + "/auth/login", allow_redirects=False, timeout=30))
            client = stack.client()
            deadline = time.monotonic() + 10
            while True:  # until the slow request holds the slot
                page, seconds = timed(lambda: client.get(stack.url + "/profile", allow_redirects=False))
                if page.status_code == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert page.status_code == 503 and page.headers["Retry-After"] == "2" and 'id="signin-unavailable"' in page.text
            assert seconds < 1
            api = client.get(stack.url + "/api/hello")
            assert api.status_code == 503 and api.headers["Retry-After"] == "2" and api.json()["error"] == "temporarily_unavailable"
            assert client.get(stack.url + "/healthz").status_code == 200 and client.get(stack.url + "/readyz").status_code == 200
            assert 'degraded_responses_total{kind="overload"}' in client.get(stack.url + "/metrics").text
            assert not slow.done()
            slow.result()
        stack.emulator.clear()
        assert stack.client().get(stack.url + "/").status_code == 200
        assert stack.client().get(stack.url + "/api/hello").status_code == 401  # admitted: asks for a token
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


# -- answers that look like success ----------------------------------------------------------


def rotate(stack: Stack) -> str:
    """Rotate the emulator's signing key; a genuine token signed with the new one."""
    stack.emulator.session().post(stack.emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=10).raise_for_status()
    return access_token(stack.emulator)


def restart(stack: Stack, tmp_path, env: dict[str, str]) -> None:
    stack.app.stop()
    stack.app = processes.start_app(tmp_path / "emulator", tmp_path / "app", env=env, workers=2, threads=4)


def test_a_bad_200_never_costs_a_genuine_token_then_or_after_a_restart(tmp_path):
    """For each answer that looks healthy but is not (on discovery and keys at once): a restarted
    app keeps validating from its good copies; a token signed with a key it has not seen is
    answered 503 with Retry-After (the IdP cannot say), never 401; after an outage and another
    restart the old token is still accepted; once the IdP answers well, the new key is taken."""
    env = {**APP_ENV, "IDP_KEYS_MIN_REFRESH_S": "0", "BREAKER_FAIL_MAX": "1000"}
    stack = start_stack(tmp_path, app_env=env, workers=2, threads=4)
    try:
        old = access_token(stack.emulator)
        assert hello(stack, old) == 200
        for answer in ("html", "empty-keys", "wrong-issuer", "huge"):  # each class once: every answer is in tests/resilience
            new = rotate(stack)  # before the faults: this test's own msal reads discovery too
            for group in ("metadata", "jwks"):
                stack.emulator.fault(kind="bad-answer", group=group, answer=answer)
            restart(stack, tmp_path, env)
            assert [hello(stack, old) for _ in range(6)] == [200] * 6, answer
            reply = stack.client().get(stack.url + "/api/hello", headers={"Authorization": f"Bearer {new}"})
            if answer == "wrong-issuer":  # a key set names no issuer: the keys answer well, the new key is taken
                assert reply.status_code == 200
            else:
                assert reply.status_code == 503 and int(reply.headers["Retry-After"]) >= 1, (answer, reply.status_code)
            assert "with a bad body" in stack.app.log_text(), answer  # counted as an IdP failure (each worker's /status/idp)

            stack.emulator.clear()
            stack.emulator.fault(kind="outage", group="all", mode="reset")
            restart(stack, tmp_path, env)
            assert [hello(stack, old) for _ in range(6)] == [200] * 6, answer
            stack.emulator.clear()
            assert hello(stack, new) == 200, answer
            old = new
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


def test_a_genuine_token_is_never_refused_while_a_key_refresh_is_in_flight(tmp_path):
    """Keys answer after 2 s; 12 requests with a token signed by a key just rotated in, at once,
    over 2 workers: each waits for the refresh in flight (within its budget) and is accepted."""
    stack = start_stack(tmp_path, app_env={"IDP_REQUEST_BUDGET_S": "5", "IDP_READ_TIMEOUT_S": "4"}, workers=2, threads=16)
    try:
        assert hello(stack, access_token(stack.emulator)) == 200
        new = rotate(stack)
        stack.emulator.fault(kind="latency", group="jwks", latency_ms=2000)
        before = stack.emulator.counts().get("jwks 200", 0)
        with ThreadPoolExecutor(12) as pool:  # below one worker's admission limit (THREADS - 2)
            statuses = list(pool.map(lambda _: hello(stack, new), range(12)))
        assert statuses == [200] * 12
        assert stack.emulator.counts().get("jwks 200", 0) - before <= 2  # one refresh per worker
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


def stored_kids(cache) -> set[str]:
    """The key ids of the key set copies in an app's last-known-good folder."""
    entries = [json.loads(path.read_text()) for path in cache.glob("*.json")]
    return {key["kid"] for entry in entries if str(entry.get("url", "")).endswith("/keys") for key in json.loads(entry["body"])["keys"]}


def test_a_key_copy_lost_to_a_full_disk_is_written_once_space_returns(tmp_path):
    """The cache folder cannot be written while a worker fetches a rotated key set; once it can,
    the copy is written again without any request (the workers hold it in memory and never fetch
    it again; the chaos search found the other worker unable to read it while no request reached
    the one that held it), so a restart during an outage still accepts the new key's tokens."""
    env = dict(APP_ENV)
    stack = start_stack(tmp_path, app_env=env, workers=2, threads=4)
    cache = tmp_path / "app" / "idp-cache"
    try:
        assert hello(stack, access_token(stack.emulator)) == 200
        cache.rename(tmp_path / "moved")
        cache.write_text("a full disk")  # as root too, nothing can be written below a file
        new = rotate(stack)
        assert [hello(stack, new) for _ in range(8)] == [200] * 8
        kid = jwt.get_unverified_header(new)["kid"]
        cache.unlink()
        (tmp_path / "moved").rename(cache)  # space is back
        assert kid not in stored_kids(cache)
        deadline = time.monotonic() + 10
        while kid not in stored_kids(cache) and time.monotonic() < deadline:  # each worker retries once a second
            time.sleep(0.2)
        stack.emulator.fault(kind="outage", group="all", mode="reset")
        restart(stack, tmp_path, env)
        assert [hello(stack, new) for _ in range(16)] == [200] * 16
    finally:
        stack.app.stop()
        stack.emulator.service.stop()


@pytest.mark.parametrize("endless", [False, True], ids=["a byte a second", "never-ending"])
def test_a_dribbled_discovery_document_costs_a_sign_in_its_budget_and_frees_its_slot(tmp_path, endless):
    """Discovery sent at 1 byte/s held /auth/login 60 s, and a body that never ended held it (and
    its admission slot) for ever: now the sign-in start answers 503 within the budget, and the one
    admission slot is free again for the next request."""
    env = {"IDP_REQUEST_BUDGET_S": "2", "IDP_READ_TIMEOUT_S": "1.5", "MAX_CONCURRENT_REQUESTS": "1"}
    with running_stack(tmp_path, app_env=env) as stack:
        stack.emulator.fault(kind="dribble", group="metadata", bytes_per_s=1, endless=endless)
        reply, seconds = timed(lambda: stack.client().get(stack.url + "/auth/login", allow_redirects=False, timeout=60))
        assert reply.status_code == 503 and "Retry-After" in reply.headers and seconds < 4, (reply.status_code, seconds)
        assert stack.client().get(stack.url + "/").status_code == 200  # the slot was given back
