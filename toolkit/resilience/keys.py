"""Token validation against the IdP's signing keys, cached and refreshed with care.

msal 1.38+ does not validate ID tokens (nor does anything validate access tokens for an API), so
the app does: RS256 only (no `none`, no HS256 with the public key), a key from the JWKS by `kid`,
`iss`, `aud`, `exp`/`nbf` with a small leeway, and the `nonce` of the sign-in it started.

An unknown `kid` (key rollover) is looked up first in the stored last-known-good JWKS (`stored(url)`,
cheap: no network): another process of the same app may have fetched the newer key set already,
and during an outage that copy is the only place the new key can come from. Then one JWKS refresh:

- **Single flight.** One refresh at a time; a request that meets one in flight waits for it (within
  what is left of its budget) and uses its result, instead of being refused meanwhile.
- **Only the IdP's own answer is an answer.** A refresh that failed, or that `get` answered from the
  last-known-good copy, says nothing about whether the key exists: the token is then neither
  accepted nor called invalid, `KeysUnavailable` (a 503 with Retry-After) is raised, and the
  refresh does not count for the rate limit.
- **Rate limit.** After the IdP itself answered, unknown key ids are refused (`TokenInvalid`) for
  `min_refresh_s` without asking again, so that made-up key ids cannot turn into a flood of
  requests to the IdP. The first load does not count, so a rollover soon after start-up is picked
  up at once.
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

from toolkit.resilience.answers import signing_keys
from toolkit.resilience.http import IdpUnavailable, budget_left, from_last_known_good

LOG = logging.getLogger(__name__)
#: the longest a request outside any budget waits for a refresh in flight
MAX_WAIT_S = 10.0


class Getter(Protocol):
    """Anything with `get(url)`: `ResilientHttpClient` or a plain `requests.Session`."""

    def get(self, url: str) -> requests.Response: ...


class TokenInvalid(Exception):
    """A token that must not be accepted; the message says why (never the token itself)."""


class KeysUnavailable(IdpUnavailable):
    """The token names a key the app does not hold, and the IdP cannot say now whether it exists."""


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
        self._answered_at = -float("inf")  #: when the IdP itself last answered a rate-limited refresh
        self._started = 0  #: refreshes started
        self._finished = (0, False)  #: the number of the last refresh finished, and whether the IdP itself answered it
        self._cond = threading.Condition()

    @property
    def kids(self) -> list[str]:
        """Key ids known now."""
        return sorted(self._keys)

    def refresh(self, force: bool = False) -> bool:
        """Fetch the JWKS now, or wait for the fetch in flight; True when the IdP itself answered
        with usable keys. Rate-limited unless `force`."""
        with self._cond:
            if not force and time.monotonic() - self._answered_at < self.min_refresh_s:
                return False
        return self._refresh_once()

    def _refresh_once(self) -> bool:
        """Join the refresh in flight, or run one; whether the IdP itself answered it."""
        with self._cond:
            if self._finished[0] != self._started:  # one in flight: wait for it, within the budget
                number, left = self._started, budget_left()
                if not self._cond.wait_for(lambda: self._finished[0] >= number, MAX_WAIT_S if left is None else max(0.0, left)):
                    raise KeysUnavailable("signing keys are being refreshed", retry_after=1.0)
                return self._finished[1]
            self._started += 1
            number = self._started
            counts = bool(self._keys)  # the first load does not start the interval
        answered = False
        try:
            response = self.http.get(self.jwks_uri())
            keys = parse_jwks(response.text)
            answered = bool(keys) and not from_last_known_good(response)
        except Exception as exc:  # any failure keeps the known keys: that is the point
            LOG.warning("jwks refresh failed, keeping %d known keys: %s", len(self._keys), exc)
            keys = {}
        with self._cond:
            if keys:
                self._keys = {**self._keys, **keys} if not answered else keys
            if answered and counts:
                self._answered_at = time.monotonic()
            self._finished = (number, answered)
            self._cond.notify_all()
        return answered

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
        """The key a token names; TokenInvalid when the IdP says it has no such key,
        KeysUnavailable when it cannot say now."""
        if not kid:
            raise TokenInvalid("token has no key id")
        if kid not in self._keys:
            self._from_stored()
        if kid in self._keys:
            return self._keys[kid]
        with self._cond:
            limited = time.monotonic() - self._answered_at < self.min_refresh_s
        answered = limited or self._refresh_once()
        if kid in self._keys:
            return self._keys[kid]
        if answered:
            raise TokenInvalid("token is signed with an unknown key")
        raise KeysUnavailable("signing keys cannot be refreshed now", retry_after=1.0)


def parse_jwks(text: str) -> dict[str, jwt.PyJWK]:
    """The usable RSA signing keys of a JWKS document by `kid`."""
    return signing_keys(json.loads(text))


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
