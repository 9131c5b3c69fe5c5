"""The protected API accepts genuine access tokens only."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import example, given
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm

from tests.support import REDIRECT_URI
from toolkit import flows


@pytest.fixture(scope="module")
def genuine(stack):
    """A real access token from the emulator, and its claims and header."""
    app = stack.emulator.cca()
    flow = app.initiate_auth_code_flow([stack.emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
    user = stack.user()
    result = app.acquire_token_by_auth_code_flow(
        flow, flows.sign_in(stack.client(), flow["auth_uri"], user["username"], user["password"]).params
    )
    token = result["access_token"]
    return token, jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(token)


def call(stack, token):
    return stack.client().get(stack.url + "/api/hello", headers={"Authorization": f"Bearer {token}"})


def test_genuine_token_is_accepted(stack, genuine):
    reply = call(stack, genuine[0])
    assert reply.status_code == 200 and reply.json()["scopes"] == ["demo.read"]


def test_missing_token(stack):
    reply = stack.client().get(stack.url + "/api/hello")
    assert reply.status_code == 401 and "Bearer" in reply.headers["WWW-Authenticate"]


def _public_pem(stack, kid):
    keys = stack.client().get(stack.emulator.authority() + "/discovery/v2.0/keys").json()["keys"]
    key = next(k for k in keys if k["kid"] == kid)
    from cryptography.hazmat.primitives import serialization

    return RSAAlgorithm.from_jwk(json.dumps(key)).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def forged(stack, genuine, kind):
    _, claims, header = genuine
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "alg-none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
    if kind == "hs256-with-public-key":
        body = json.dumps(claims).encode()
        import base64
        import hashlib
        import hmac

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}).encode()) + "." + b64(body)
        signature = hmac.new(_public_pem(stack, header["kid"]), signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64(signature)
    if kind == "unknown-key":
        return jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": "attacker-key"})
    if kind == "known-kid-wrong-key":
        return jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": header["kid"]})
    changes = {
        "wrong-issuer": {"iss": "https://evil.example/v2.0/"},
        "wrong-audience": {"aud": "another-api"},
        "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200},
        "missing-scope": {"scp": "other.write"},
    }[kind]
    return jwt.encode({**claims, **changes}, own_key, algorithm="RS256", headers={"kid": header["kid"]}), changes


@pytest.mark.parametrize("kind", ["alg-none", "hs256-with-public-key", "unknown-key", "known-kid-wrong-key"])
def test_forged_signatures_are_rejected(stack, genuine, kind):
    reply = call(stack, forged(stack, genuine, kind))
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_token"


@pytest.mark.parametrize("kind", ["wrong-issuer", "wrong-audience", "expired", "missing-scope"])
def test_wrong_claims_are_rejected(stack, genuine, kind):
    # Signed with an attacker key, these fail on the signature; the claim checks themselves are
    # covered with genuinely signed tokens in tests/resilience/test_keys.py.
    token, _ = forged(stack, genuine, kind)
    assert call(stack, token).status_code == 401


def test_api_keeps_validating_while_b2c_is_down(stack, genuine):
    assert call(stack, genuine[0]).status_code == 200  # keys cached
    stack.emulator.fault(kind="outage", group="all", mode="reset")
    assert call(stack, genuine[0]).status_code == 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@given(
    header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "x"]), st.text(max_size=8) | st.integers() | st.none(), max_size=3),
    claims=st.dictionaries(st.sampled_from(["iss", "aud", "exp", "scp", "name"]), st.text(max_size=8) | st.integers(), max_size=3),
    signature=st.binary(max_size=8),
    raw=st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
@example(header={"alg": "\u0100"}, claims={}, signature=b"", raw=None)  # echoed in WWW-Authenticate: was a 500
def test_any_bearer_token_is_refused_with_a_readable_401(stack, header, claims, signature, raw):
    token = raw if raw is not None else ".".join(_b64(json.dumps(part).encode()) for part in (header, claims)) + "." + _b64(signature)
    reply = stack.client().get(stack.url + "/api/hello", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert reply.status_code == 401, reply.text[:200]
    assert reply.json()["error"] in ("invalid_token", "invalid_request")
    assert reply.headers["WWW-Authenticate"].startswith("Bearer error=")
