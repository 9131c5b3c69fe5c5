"""Token validation against the IdP's signing keys, cached and refreshed with care.

msal 1.38+ does not validate ID tokens (nor does anything validate access tokens for an API), so
the app does: RS256 only (no `none`, no HS256 with the public key), a key from the JWKS by `kid`,
`iss`, `aud`, `exp`/`nbf` with a small leeway, and the `nonce` of the sign-in it started.

An unknown `kid` (key rollover) triggers one JWKS refresh, at most every `min_refresh_s` (so that
tokens with made-up key ids cannot turn into a flood of requests to B2C); the first load does not
count, so a rollover soon after start-up is picked up at once. A failed refresh keeps the keys
already known, so tokens keep validating while B2C is down.

Before any network refresh, an unknown `kid` is looked up in the stored last-known-good JWKS
(`stored(url)`, cheap: no network): another process of the same app may have fetched the newer key
set already, and during an outage that copy is the only place the new key can come from.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import jwt
import requests

LOG = logging.getLogger(__name__)


class Getter(Protocol):
    """Anything with `get(url)`: `ResilientHttpClient` or a plain `requests.Session`."""

    def get(self, url: str) -> requests.Response: ...


class TokenInvalid(Exception):
    """A token that must not be accepted; the message says why (never the token itself)."""


class KeySet:
    """The IdP's signing keys by `kid`."""

    def __init__(
        self,
        http: Getter,
        jwks_uri: Callable[[], str],
        min_refresh_s: float = 30.0,
        stored: Callable[[str], str | None] | None = None,
    ) -> None:
        self.http = http
        self.jwks_uri = jwks_uri
        self.min_refresh_s = min_refresh_s
        self.stored = stored
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stored_body: str | None = None  #: the stored JWKS last parsed
        self._last_refresh = -float("inf")  #: when the last rate-limited refresh started
        self._lock = threading.Lock()

    @property
    def kids(self) -> list[str]:
        """Key ids known now."""
        return sorted(self._keys)

    def refresh(self, force: bool = False) -> bool:
        """Fetch the JWKS (rate-limited unless `force`, which does not start the limit's interval
        either); True when keys were loaded."""
        with self._lock:
            if not force:
                if time.monotonic() - self._last_refresh < self.min_refresh_s:
                    return False
                self._last_refresh = time.monotonic()
        try:
            keys = parse_jwks(self.http.get(self.jwks_uri()).text)
        except Exception as exc:  # any failure keeps the known keys: that is the point
            LOG.warning("jwks refresh failed, keeping %d known keys: %s", len(self._keys), exc)
            if not force:
                # a refresh that fetched nothing does not hold the interval: the next new kid may
                # try again once the IdP answers (the circuit breaker keeps a failing IdP unasked)
                with self._lock:
                    self._last_refresh = -float("inf")
            return False
        if keys:
            self._keys = keys
        return bool(keys)

    def _from_stored(self) -> None:
        """Take the stored last-known-good JWKS when it changed since it was last read."""
        if self.stored is None:
            return
        try:
            body = self.stored(self.jwks_uri())
            if body is None or body == self._stored_body:
                return
            keys = parse_jwks(body)
        except Exception:  # no stored copy to use: the network refresh below decides
            return
        self._stored_body = body
        if keys:
            self._keys = keys

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The key a token names; one rate-limited refresh when it is unknown."""
        if not kid:
            raise TokenInvalid("token has no key id")
        if kid not in self._keys:
            self._from_stored()
        if kid not in self._keys:
            self.refresh(force=not self._keys)
        if kid not in self._keys:
            raise TokenInvalid("token is signed with an unknown key")
        return self._keys[kid]


def parse_jwks(text: str) -> dict[str, jwt.PyJWK]:
    """The RSA keys of a JWKS document by `kid`."""
    document = json.loads(text)
    return {k["kid"]: jwt.PyJWK(k) for k in document.get("keys", []) if k.get("kid") and k.get("kty") == "RSA"}


def validate(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    audience: str,
    leeway_s: float = 120,
    nonce: str | None = None,
    required_scope: str | None = None,
) -> dict[str, Any]:
    """The token's claims if it is genuine and meant for `audience`; else TokenInvalid."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenInvalid("token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise TokenInvalid(f"token algorithm {header.get('alg')!r} is not accepted")
    key = keys.key_for(header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=leeway_s,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenInvalid("token is meant for another audience") from None
    except jwt.InvalidIssuerError:
        raise TokenInvalid("token comes from another issuer") from None
    except jwt.PyJWTError as exc:
        raise TokenInvalid(f"token is invalid: {exc.__class__.__name__}") from None
    if nonce is not None and claims.get("nonce") != nonce:
        raise TokenInvalid("token nonce does not match this sign-in")
    if required_scope is not None and required_scope not in str(claims.get("scp", "")).split():
        raise TokenInvalid(f"token lacks the scope {required_scope}")
    return claims
