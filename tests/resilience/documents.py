"""Good and bad IdP documents for unit tests: a discovery document and a key set, and what the
hostile probes answered in their place with a 200."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://login.example/tenant-id/v2.0/"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def metadata(**changes: Any) -> str:
    """A discovery document (`changes`: fields to replace; None removes one)."""
    base = "https://login.example/tenant/B2C_1A_signup_signin"
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
    }
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not None})


def jwk(kid: str = "key-1", **changes: Any) -> dict[str, Any]:
    """One public RSA signing key as a JWK."""
    key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(_KEY.public_key()))
    return {**key, "kid": kid, "use": "sig", **changes}


def jwks(*kids: str) -> str:
    """A key set with one signing key per kid."""
    return json.dumps({"keys": [jwk(kid) for kid in kids or ("key-1",)]})


#: 200 answers that are no answer: (name, metadata body, key set body)
BAD_ANSWERS = [
    ("html", "<!DOCTYPE html><html><body>Service unavailable</body></html>", "<html><body>maintenance</body></html>"),
    ("empty object", "{}", "{}"),
    ("empty", "", ""),
    ("a list", "[]", "[]"),
    ("missing fields", metadata(token_endpoint=None), json.dumps({"keys": []})),
    ("wrong types", metadata(jwks_uri=42), json.dumps({"keys": [jwk(kty="EC")]})),
    ("not a URL", metadata(authorization_endpoint="javascript:alert(1)"), json.dumps({"keys": [jwk(use="enc")]})),
    ("huge", metadata(padding="x" * 600_000), json.dumps({"keys": [jwk()], "padding": "x" * 600_000})),
    ("broken key", metadata(issuer=None), json.dumps({"keys": [jwk(n="!!")]})),
]
