"""The resilient msal http client against the real emulator, faults injected over its admin API."""

from __future__ import annotations

import time

import msal
import pytest

from toolkit.resilience.http import BudgetSpent, IdpUnavailable, ResilientHttpClient, new_breaker, retry_after_s
from toolkit.resilience.lastknown import LastKnownGood


def client(emulator, **kwargs) -> ResilientHttpClient:
    return ResilientHttpClient(ca_bundle=emulator.config["ca_bundle"], backoff_s=0.05, max_backoff_s=0.1, **kwargs)


def metadata(emulator) -> str:
    return emulator.authority() + "/v2.0/.well-known/openid-configuration"


def token_url(emulator) -> str:
    return emulator.authority() + "/oauth2/v2.0/token"


def delta(emulator, before: dict[str, int], key: str) -> int:
    return emulator.counts().get(key, 0) - before.get(key, 0)


def test_get_retries_honouring_retry_after(emulator):
    emulator.fault(kind="throttle", group="metadata", retry_after=1, duration_s=0.5)
    before = emulator.counts()
    start = time.monotonic()
    assert client(emulator).get(metadata(emulator)).status_code == 200
    assert time.monotonic() - start >= 1.0  # it waited what the server asked, not its own backoff
    assert (delta(emulator, before, "metadata 429"), delta(emulator, before, "metadata 200")) == (1, 1)


def test_get_does_not_wait_longer_than_its_budget(emulator):
    emulator.fault(kind="throttle", group="metadata", retry_after=30)
    before = emulator.counts()
    with pytest.raises(IdpUnavailable) as exc:
        client(emulator, max_retry_after_s=5).get(metadata(emulator))
    assert exc.value.retry_after == 30
    assert delta(emulator, before, "metadata 429") == 1


def test_post_is_never_retried(emulator):
    emulator.fault(kind="error", group="token", status=503, body="json")
    before = emulator.counts()
    reply = client(emulator).post(token_url(emulator), data={"grant_type": "authorization_code"})
    assert reply.status_code == 503
    assert delta(emulator, before, "token 503") == 1


def test_breaker_ignores_invalid_grant(emulator):
    breaker = new_breaker(fail_max=2, reset_timeout_s=60)
    http = client(emulator, breaker=breaker)
    form = {
        "grant_type": "refresh_token",
        "client_id": emulator.config["client_id"],
        "client_secret": emulator.config["client_secret"],
        "refresh_token": "bad",
    }
    for _ in range(5):
        assert http.post(token_url(emulator), data=form).json()["error"] == "invalid_grant"
    assert breaker.current_state == "closed"


def test_breaker_opens_on_5xx_then_half_open_probe_closes_it(emulator):
    breaker = new_breaker(fail_max=2, reset_timeout_s=0.5)
    http = client(emulator, breaker=breaker)
    emulator.fault(kind="error", group="token", status=502)
    for _ in range(2):
        assert http.post(token_url(emulator), data={}).status_code == 502
    assert breaker.current_state == "open"
    before = emulator.counts()
    with pytest.raises(IdpUnavailable):
        http.post(token_url(emulator), data={})
    assert emulator.counts() == before  # nothing left the app while open
    emulator.clear()
    time.sleep(0.6)
    assert http.post(token_url(emulator), data={}).status_code == 400  # the probe reaches B2C
    assert breaker.current_state == "closed"


def test_breaker_opens_on_timeouts_and_resets(emulator):
    breaker = new_breaker(fail_max=2, reset_timeout_s=60)
    http = client(emulator, breaker=breaker, read_timeout_s=0.3, get_attempts=1)
    emulator.fault(kind="latency", group="jwks", latency_ms=1500)
    for _ in range(2):
        with pytest.raises(IdpUnavailable):
            http.get(emulator.authority() + "/discovery/v2.0/keys")
    assert breaker.current_state == "open"


def test_last_known_good_serves_metadata_and_lets_msal_start_during_outage(emulator, tmp_path):
    assert client(emulator, last_known_good=LastKnownGood(tmp_path)).get(metadata(emulator)).status_code == 200
    emulator.fault(kind="outage", group="all", mode="reset")
    restarted = client(emulator, last_known_good=LastKnownGood(tmp_path))  # a new process, same disk
    reply = restarted.get(metadata(emulator))
    assert reply.status_code == 200 and reply.headers["X-Served-From"] == "last-known-good"
    app = msal.ConfidentialClientApplication(
        emulator.config["client_id"],
        client_credential=emulator.config["client_secret"],
        authority=emulator.authority(),
        http_client=restarted,
    )
    assert app.authority.token_endpoint.endswith("/oauth2/v2.0/token")


def test_without_cache_an_outage_is_idp_unavailable(emulator):
    emulator.fault(kind="outage", group="all", mode="reset")
    with pytest.raises(IdpUnavailable):
        client(emulator, get_attempts=2).get(metadata(emulator))


@pytest.mark.parametrize(
    ("value", "expected"), [("7", 7.0), (" 3 ", 3.0), ("soon", None), ("", None), ("\u00b2", None)]
)  # ² is a digit int() refuses
def test_retry_after_parsing(value, expected):
    import requests

    response = requests.Response()
    response.headers["Retry-After"] = value
    assert retry_after_s(response) == expected


def test_retry_after_http_date():
    import email.utils

    import requests

    response = requests.Response()
    response.headers["Retry-After"] = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_s(response) or 0) <= 31


def test_one_budget_covers_every_call_and_retry_of_a_request(emulator, tmp_path):
    """A slow IdP (3 s per answer), read timeout 10 s, 3 attempts, budget 0.5 s: a GET is answered
    from the last-known-good copy, and a POST is refused, each within the budget; then, the budget
    spent, no request leaves at all."""
    cache = LastKnownGood(tmp_path)
    http = client(emulator, read_timeout_s=10, get_attempts=3, last_known_good=cache, breaker=new_breaker(fail_max=50), budget_s=0.5)
    http.get(metadata(emulator))  # a good copy
    emulator.fault(kind="latency", group="all", latency_ms=3000)
    with http.budget():
        start = time.monotonic()
        assert http.get(metadata(emulator)).headers["X-Served-From"] == "last-known-good"
        with pytest.raises(BudgetSpent):
            http.post(token_url(emulator), data={"grant_type": "refresh_token"})
        assert time.monotonic() - start < 2
        before = emulator.counts()
        assert http.get(metadata(emulator)).headers["X-Served-From"] == "last-known-good"
        assert sum(emulator.counts().values()) == sum(before.values())
    emulator.clear()
    assert http.get(metadata(emulator)).status_code == 200 and "X-Served-From" not in http.get(metadata(emulator)).headers


# -- answers that look like success (the emulator's bad-answer, dribble and cut faults) ---------

BAD = ["html", "empty-object", "empty-keys", "missing-fields", "wrong-issuer", "huge"]


def keys_url(emulator) -> str:
    return emulator.authority() + "/discovery/v2.0/keys"


@pytest.mark.parametrize("answer", BAD)
@pytest.mark.parametrize("group", ["metadata", "jwks"])
def test_a_bad_200_is_an_idp_failure_never_a_copy(emulator, tmp_path, group, answer):
    """Answered from the good copy, never stored over it (not in memory, not on disk), counted by
    the breaker and the metrics; without a copy, IdpUnavailable rather than the bad body."""
    url = metadata(emulator) if group == "metadata" else keys_url(emulator)
    seen: list[str] = []
    breaker = new_breaker(fail_max=50)
    http = client(emulator, last_known_good=LastKnownGood(tmp_path), breaker=breaker, observer=lambda e, outcome, s: seen.append(outcome))
    good = http.get(url).text
    emulator.fault(kind="bad-answer", group=group, answer=answer)
    before = emulator.counts()
    reply = http.get(url)
    if not (answer == "wrong-issuer" and group == "jwks"):  # a key set names no issuer: it stays good
        assert reply.headers.get("X-Served-From") == "last-known-good" and reply.text == good
        assert LastKnownGood(tmp_path).get(url)[1] == good  # what a restarted app would read
        assert "bad_answer" in seen and breaker.fail_counter >= 1
        assert delta(emulator, before, f"{group} 200-{answer}") == 3  # retried like a 5xx
    if answer != "wrong-issuer":  # with neither a copy nor IDP_ISSUER, no issuer is wrong
        with pytest.raises(IdpUnavailable):
            client(emulator, get_attempts=1).get(url)


def test_a_discovery_document_naming_another_issuer_is_refused_even_first(emulator, tmp_path):
    """The configured issuer is checked on the first fetch too (no copy to compare with yet)."""
    issuer = f"{emulator.url}/{emulator.config['tenant_id']}/v2.0/"
    http = client(emulator, last_known_good=LastKnownGood(tmp_path), issuer=issuer, get_attempts=1)
    assert http.get(metadata(emulator)).json()["issuer"] == issuer
    emulator.fault(kind="bad-answer", group="metadata", answer="wrong-issuer")
    fresh = client(emulator, issuer=issuer, get_attempts=1)
    with pytest.raises(IdpUnavailable, match="issuer"):
        fresh.get(metadata(emulator))


def test_msal_never_caches_a_bad_discovery_document(emulator, tmp_path):
    """msal keeps a GET's 2xx for 24 hours: a second of HTML must not break sign-in for a day."""
    cache: dict = {}
    emulator.fault(kind="bad-answer", group="metadata", answer="missing-fields", duration_s=0.5)
    http = client(emulator, get_attempts=1)
    with pytest.raises(IdpUnavailable):
        msal.ConfidentialClientApplication(
            emulator.config["client_id"], client_credential="x", authority=emulator.authority(), http_client=http, http_cache=cache
        )
    time.sleep(0.6)
    app = msal.ConfidentialClientApplication(
        emulator.config["client_id"], client_credential="x", authority=emulator.authority(), http_client=http, http_cache=cache
    )
    assert app.authority.token_endpoint.endswith("/oauth2/v2.0/token")


@pytest.mark.parametrize("endless", [False, True], ids=["dribbled", "never-ending"])
def test_one_deadline_covers_the_whole_body(emulator, tmp_path, endless):
    """Read timeout 1.5 s per read, 3 attempts, budget 1 s: a body sent a byte a second (or one
    that never ends) costs the budget, not a read timeout per byte."""
    cache = LastKnownGood(tmp_path)
    http = client(emulator, read_timeout_s=1.5, get_attempts=3, last_known_good=cache, breaker=new_breaker(fail_max=50), budget_s=1.0)
    http.get(metadata(emulator))
    emulator.fault(kind="dribble", group="metadata", bytes_per_s=1, endless=endless)
    with http.budget():
        start = time.monotonic()
        assert http.get(metadata(emulator)).headers["X-Served-From"] == "last-known-good"
        assert time.monotonic() - start < 1.5
    start = time.monotonic()
    with pytest.raises(IdpUnavailable):  # outside a budget: connect + read timeout for the whole exchange
        client(emulator, connect_timeout_s=0.5, read_timeout_s=1.0, get_attempts=1).get(metadata(emulator))
    assert time.monotonic() - start < 2.5


def test_a_slow_but_whole_body_within_the_deadline_is_taken(emulator):
    emulator.fault(kind="dribble", group="jwks", bytes_per_s=20_000)
    assert client(emulator, get_attempts=1).get(keys_url(emulator)).json()["keys"]


def test_a_body_cut_halfway_is_retried_then_answered_from_the_copy(emulator, tmp_path):
    http = client(emulator, last_known_good=LastKnownGood(tmp_path), breaker=new_breaker(fail_max=50))
    good = http.get(keys_url(emulator)).text
    emulator.fault(kind="outage", group="jwks", mode="cut")
    before = emulator.counts()
    assert http.get(keys_url(emulator)).text == good
    assert delta(emulator, before, "jwks 200") == 3  # three answers started, each cut


@pytest.mark.parametrize(
    ("retry_after", "as_date"), [(86_400, False), (99_999, False), (2_300_000_000, True)], ids=["a day", "99999 s", "2099"]
)
def test_an_absurd_retry_after_is_capped_before_msal_sees_it(emulator, retry_after, as_date):
    emulator.fault(kind="throttle", group="token", retry_after=retry_after, retry_after_date=as_date)
    reply = client(emulator, retry_after_cap_s=60).post(token_url(emulator), data={})
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "60"
    assert msal.throttled_http_client.RetryAfterParser().parse(result=reply) == 60
