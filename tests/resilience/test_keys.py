"""Token validation with a cached, self-refreshing key set."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.resilience.documents import jwks
from toolkit.emulator.state import load_state
from toolkit.resilience.http import ResilientHttpClient
from toolkit.resilience.keys import KeySet, KeysUnavailable, TokenInvalid, validate
from toolkit.resilience.lastknown import LastKnownGood

OWN_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def keyset(emulator):
    http = ResilientHttpClient(ca_bundle=emulator.config["ca_bundle"], get_attempts=1)
    return KeySet(http, lambda: emulator.authority() + "/discovery/v2.0/keys", min_refresh_s=60)


def issuer(emulator) -> str:
    return f"{emulator.url}/{emulator.config['tenant_id']}/v2.0/"


def sign(emulator, **claims):
    """A token signed with the emulator's real active key (the state folder holds it)."""
    state = load_state(emulator.state_dir)
    key = state.active_key
    now = int(time.time())
    body = {"iss": issuer(emulator), "aud": "client", "sub": "s", "iat": now, "nbf": now, "exp": now + 600, **claims}
    return jwt.encode(body, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def test_genuine_token_passes(emulator, keyset):
    claims = validate(sign(emulator, nonce="n1"), keyset, issuer=issuer(emulator), audience="client", nonce="n1")
    assert claims["sub"] == "s"


@pytest.mark.parametrize(
    ("claims", "check", "reason"),
    [
        ({"aud": "someone-else"}, {}, "another audience"),
        ({"iss": "https://evil.example/v2.0/"}, {}, "another issuer"),
        ({"exp": int(time.time()) - 600}, {}, "expired"),
        ({"nonce": "replayed"}, {"nonce": "fresh"}, "nonce"),
        ({"scp": "other"}, {"required_scope": "demo.read"}, "scope"),
    ],
)
def test_genuinely_signed_but_wrong_claims_fail(emulator, keyset, claims, check, reason):
    with pytest.raises(TokenInvalid, match=reason):
        validate(sign(emulator, **claims), keyset, issuer=issuer(emulator), audience="client", **check)


def test_small_clock_skew_is_tolerated(emulator, keyset):
    token = sign(emulator, exp=int(time.time()) - 30)
    assert validate(token, keyset, issuer=issuer(emulator), audience="client", leeway_s=120)


def test_unknown_kid_refreshes_once_within_the_interval(emulator, keyset):
    validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")
    emulator.session().post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=5).raise_for_status()
    keyset.min_refresh_s = 0
    validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # new kid: one refresh
    keyset.min_refresh_s = 60
    before = emulator.counts().get("jwks 200", 0)
    with pytest.raises(TokenInvalid, match="unknown key"):
        validate(
            jwt.encode({"sub": "x"}, OWN_KEY, algorithm="RS256", headers={"kid": "nope"}),
            keyset,
            issuer=issuer(emulator),
            audience="client",
        )
    assert emulator.counts().get("jwks 200", 0) == before  # rate-limited: no second refresh


def test_rollover_right_after_the_first_load_is_picked_up(emulator, keyset):
    """The first load does not start the rate limit's interval: a rotation seconds after an app
    starts must not fail every new sign-in until the interval ends (the key-rotation drill)."""
    validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # the first load
    emulator.session().post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=5).raise_for_status()
    assert validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # new kid, min_refresh_s=60
    emulator.session().post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=5).raise_for_status()
    with pytest.raises(TokenInvalid, match="unknown key"):  # a second rollover within the interval waits for it
        validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")


def test_a_failed_refresh_does_not_hold_the_interval(emulator, keyset):
    """A rollover met while the IdP did not answer is picked up by the next new-kid token once it
    answers, not a whole interval later (a daemon's fresh token was refused for 30 s); meanwhile
    the genuine token is not called invalid: the IdP cannot say (a 503, not a 401)."""
    validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # the first load
    emulator.session().post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=5).raise_for_status()
    emulator.fault(kind="outage", group="all", mode="reset")
    with pytest.raises(KeysUnavailable):
        validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")
    emulator.clear()
    assert validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # min_refresh_s=60


def test_failed_refresh_keeps_known_keys(emulator, keyset):
    keyset.refresh(force=True)
    known = keyset.kids
    emulator.fault(kind="outage", group="all", mode="reset")
    assert keyset.refresh(force=True) is False
    assert keyset.kids == known
    assert validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")


def test_garbage_is_not_a_token(keyset):
    with pytest.raises(TokenInvalid):
        validate("not-a-jwt", keyset, issuer="x", audience="y")
    with pytest.raises(TokenInvalid, match="no key id"):
        validate(jwt.encode({"a": 1}, OWN_KEY, algorithm="RS256"), keyset, issuer="x", audience="y")


#: one key set per emulator for the property test below (its fixture would be made per test, not per example)
_KEYSETS: dict[str, KeySet] = {}
JUNK = st.text(max_size=10) | st.integers() | st.none() | st.lists(st.integers(), max_size=2)


@given(data=st.data())
def test_no_crafted_token_gets_through_or_breaks_validation(emulator, data):
    state = load_state(emulator.state_dir)
    keyset = _KEYSETS.get(emulator.url) or _KEYSETS.setdefault(
        emulator.url,
        KeySet(
            ResilientHttpClient(ca_bundle=emulator.config["ca_bundle"], get_attempts=1),
            lambda: emulator.authority() + "/discovery/v2.0/keys",
            min_refresh_s=60,
        ),
    )
    now = int(time.time())
    claims = {
        name: data.draw(st.sampled_from(good) | JUNK)
        for name, good in {
            "iss": [issuer(emulator)],
            "aud": ["client", ["client", "other"]],
            "sub": ["s"],
            "iat": [now],
            "nbf": [now, now + 3600],
            "exp": [now + 600, now - 3600],
            "nonce": ["n"],
            "scp": ["demo.read"],
        }.items()
        if data.draw(st.integers(0, 5))  # most claims present
    }
    signer = data.draw(st.sampled_from(["real key", "own key", "no signature", "junk"]))
    headers = {"kid": data.draw(st.sampled_from([state.active_key.kid, "other"]) | st.text(max_size=5))}
    body = json.dumps(claims).encode()  # signed as bytes: PyJWT would refuse to encode odd claims
    if signer == "real key":
        token = jwt.api_jws.encode(body, state.active_key.private_key, algorithm="RS256", headers=headers)
    elif signer == "own key":
        token = jwt.api_jws.encode(body, OWN_KEY, algorithm="RS256", headers=headers)
    elif signer == "no signature":
        token = jwt.api_jws.encode(body, None, algorithm="none", headers=headers)
    else:
        token = data.draw(st.text(max_size=60) | st.just("a.b.c"))
    try:
        got = validate(token, keyset, issuer=issuer(emulator), audience="client", nonce="n", required_scope="demo.read")
    except TokenInvalid:
        return
    # accepted: only a genuine token, meant for this client, in date, for this sign-in and scope
    assert signer == "real key" and got["iss"] == issuer(emulator) and got["nonce"] == "n" and got["exp"] > now - 120


def test_a_refresh_answered_from_the_stale_copy_does_not_count(emulator, tmp_path):
    """During an outage `get` answers the key set from the last-known-good copy: that says
    nothing of a new key, so the genuine token is a 503 (KeysUnavailable), the rate limit's
    interval does not start, and the new key is taken as soon as the IdP answers (401s went on
    9 s after the keys endpoint recovered)."""
    http = ResilientHttpClient(ca_bundle=emulator.config["ca_bundle"], get_attempts=1, last_known_good=LastKnownGood(tmp_path))
    keyset = KeySet(http, lambda: emulator.authority() + "/discovery/v2.0/keys", min_refresh_s=60)
    validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")  # the first load
    emulator.session().post(emulator.url + "/_emulator/keys/rotate", json={"grace_s": 300}, timeout=5).raise_for_status()
    emulator.fault(kind="outage", group="jwks", mode="reset")
    with pytest.raises(KeysUnavailable):
        validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")
    emulator.clear()
    assert validate(sign(emulator), keyset, issuer=issuer(emulator), audience="client")


class SlowKeys:
    """A key set endpoint that takes `seconds` to answer and counts its requests."""

    def __init__(self, body: str, seconds: float) -> None:
        self.body, self.seconds, self.requests = body, seconds, 0

    def get(self, url: str) -> requests.Response:
        self.requests += 1
        time.sleep(self.seconds)
        response = requests.Response()
        response.status_code, response._content = 200, self.body.encode()
        return response


def test_requests_meeting_a_refresh_in_flight_wait_for_it():
    """A refresh takes 0.5 s; 8 requests with the new key id arrive meanwhile: one refresh, and
    every one gets the key (127 of 1541 were refused while a refresh was in flight)."""
    source = SlowKeys(jwks("old"), 0.0)
    keyset = KeySet(source, lambda: "https://idp/discovery/v2.0/keys", min_refresh_s=60)
    keyset.key_for("old")  # the first load
    source.body, source.seconds = jwks("old", "new"), 0.5
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: keyset.key_for("new"), range(8)))
    assert all(key is keys[0] for key in keys) and source.requests == 2


def test_a_wait_longer_than_the_budget_is_a_503_not_a_401():
    source = SlowKeys(jwks("old"), 0.0)
    keyset = KeySet(source, lambda: "https://idp/discovery/v2.0/keys", min_refresh_s=60)
    keyset.key_for("old")
    source.body, source.seconds = jwks("old", "new"), 1.0
    http = ResilientHttpClient(budget_s=0.2)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(keyset.key_for, "new")
        time.sleep(0.1)

        def waiter():
            with http.budget():
                return keyset.key_for("new")

        with pytest.raises(KeysUnavailable):
            pool.submit(waiter).result()
        assert slow.result()
