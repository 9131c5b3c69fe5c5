"""Tokens as B2C issues them: RS256 id and access tokens with B2C's claims, single-use
authorization codes with PKCE, rolling refresh tokens, and the SSO session cookie."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from toolkit.emulator.flavors import Flavor
from toolkit.emulator.state import App, State, User

CODE_LIFETIME_S = 600  # "Authorization codes expire after about 10 minutes"


@dataclass(frozen=True)
class Lifetimes:
    """Token and session lifetimes in seconds (B2C's documented defaults)."""

    access_token: int = 3600
    id_token: int = 3600
    refresh_token: int = 1209600
    rolling_refresh: int = 7776000
    session: int = 86400
    #: `refresh_in` of app-only tokens (None: half their lifetime)
    app_refresh_in: int | None = None


class GrantError(Exception):
    """An OAuth error answered as `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; raises ValueError on garbage."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def same(sent: str, expected: str) -> bool:
    """Constant-time comparison of a secret someone sent; any text (compare_digest refuses non-ASCII
    strings with an exception, which would be a 500)."""
    return secrets.compare_digest(sent.encode(), expected.encode())


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge for a verifier."""
    return b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass
class Code:
    """What an authorization code stands for."""

    oid: str
    policy: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    auth_time: int
    expires: float


class TokenService:
    """Mints and checks every token the emulator hands out."""

    def __init__(self, state: State, lifetimes: Lifetimes | None = None, flavor: Flavor | None = None) -> None:
        self.state = state
        self.lifetimes = lifetimes or Lifetimes()
        self.flavor = flavor or Flavor()
        self._codes: dict[str, Code] = {}
        self._lock = threading.Lock()

    # -- discovery ----------------------------------------------------------------------------

    def issuer(self, host: str) -> str:
        """The flavor's issuer on `host`."""
        return self.flavor.issuer(host, self.state.tenant)

    def jwks(self) -> dict[str, Any]:
        """The published signing keys."""
        keys = []
        for k in self.state.published_keys():
            jwk = json.loads(RSAAlgorithm.to_jwk(k.private_key.public_key()))
            keys.append({"kid": k.kid, "use": "sig", "alg": "RS256", "nbf": int(k.created), **jwk})
        return {"keys": keys}

    # -- codes -------------------------------------------------------------------------------

    def new_code(self, code: Code) -> str:
        """Store a single-use code and return its value."""
        value = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            # drop expired codes so the table stays bounded under load
            if len(self._codes) > 10000:
                self._codes = {k: c for k, c in self._codes.items() if c.expires > now}
            self._codes[value] = code
        return value

    def redeem_code(self, value: str, policy: str, client_id: str, redirect_uri: str, verifier: str | None) -> Code:
        """Check and consume a code (a second redemption fails)."""
        with self._lock:
            code = self._codes.pop(value, None)
        if code is None:
            raise GrantError("invalid_grant", "AADB2C90090: The provided authorization code is invalid, expired or already redeemed.")
        if code.expires < time.time():
            raise GrantError("invalid_grant", "AADB2C90080: The provided grant has expired. Please re-authenticate and try again.")
        if code.policy.casefold() != policy.casefold():
            raise GrantError("invalid_grant", "AADB2C90088: The provided grant has not been issued for this endpoint.")
        if code.client_id != client_id or code.redirect_uri != redirect_uri:
            raise GrantError("invalid_grant", "AADB2C90006: The redirect URI or client id does not match the authorization request.")
        if code.code_challenge:
            if not verifier:
                raise GrantError("invalid_request", "AADB2C90183: The code_verifier is missing.")
            expected = pkce_s256(verifier) if code.code_challenge_method == "S256" else verifier
            if not same(expected, code.code_challenge):
                raise GrantError("invalid_grant", "AADB2C90183: The supplied code_verifier is invalid.")
        return code

    # -- tokens ------------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any]) -> str:
        key = self.state.active_key
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})

    def client_info(self, user: User, policy: str) -> str:
        """The flavor's client_info (msal builds the account's home_account_id from it)."""
        return self.flavor.client_info(user, self.state.tenant, policy)

    def token_response(
        self, host: str, user: User, policy: str, client_id: str, scope: str, nonce: str | None, auth_time: int
    ) -> dict[str, Any]:
        """The JSON a token endpoint answers for a successful grant."""
        now = int(time.time())
        life = self.lifetimes
        tenant = self.state.tenant
        base = {"iss": self.issuer(host), "iat": now, "nbf": now, "ver": self.flavor.id_token_version, "auth_time": auth_time}
        identity = self.flavor.user_claims(user, client_id, tenant, policy)
        id_claims = {**base, **identity, "aud": client_id, "exp": now + life.id_token}
        if nonce is not None:
            id_claims["nonce"] = nonce
        scopes = scope.split()
        response: dict[str, Any] = {
            "id_token": self._sign(id_claims),
            "token_type": "Bearer",
            "not_before": now,
            "id_token_expires_in": life.id_token,
            "client_info": self.client_info(user, policy),
            "scope": scope,
        }
        api_scope = self.api_scope
        granted = [s for s in scopes if s in (api_scope, client_id)]
        if granted:
            audience = tenant.api_app_id if api_scope in granted else client_id
            scp = {"scp": api_scope.rsplit("/", 1)[1]} if api_scope in granted else {}
            access = {**base, **identity, **scp, "aud": audience, "azp": client_id, "exp": now + life.access_token}
            response.update(access_token=self._sign(access), expires_in=life.access_token, expires_on=now + life.access_token)
        if "offline_access" in scopes:
            response.update(
                refresh_token=self.refresh_token(user, policy, client_id, scope, auth_time), refresh_token_expires_in=life.refresh_token
            )
        return response

    @property
    def api_scope(self) -> str:
        """The delegated scope of the API."""
        return self.flavor.api_scope(self.state.tenant)

    def app_token_response(self, host: str, app: App, scope: str) -> dict[str, Any]:
        """The client credentials grant: an app-only access token for the API, with the app's roles
        and no user claims. The scope must be `{app ID URI}/.default`."""
        tenant = self.state.tenant
        wanted = f"{self.flavor.app_id_uri(tenant)}/.default"
        if scope.strip().casefold() != wanted.casefold():
            raise GrantError(
                "invalid_scope",
                f"{self.flavor.invalid_scope}: The provided value for scope {scope!r} is not valid. "
                f"Client credential flows must have a scope value with /.default suffixed to the resource identifier ({wanted}).",
            )
        now = int(time.time())
        life = self.lifetimes.access_token
        claims: dict[str, Any] = {
            "iss": self.issuer(host),
            "aud": tenant.api_app_id,
            "iat": now,
            "nbf": now,
            "exp": now + life,
            "azp": app.client_id,
            "azpacr": "1",  # authenticated with a client secret
            "oid": app.service_principal,
            "sub": app.service_principal,
            "tid": tenant.tenant_id,
            "idtyp": "app",
            "ver": self.flavor.id_token_version,
        }
        if app.roles:
            claims["roles"] = list(app.roles)
        refresh_in = self.lifetimes.app_refresh_in if self.lifetimes.app_refresh_in is not None else life // 2
        return {
            "token_type": "Bearer",
            "expires_in": life,
            "ext_expires_in": life,
            "refresh_in": min(refresh_in, life),  # msal refreshes from then on, keeping the old token if that fails
            "access_token": self._sign(claims),
        }

    def refresh_token(self, user: User, policy: str, client_id: str, scope: str, auth_time: int) -> str:
        """A rolling refresh token: valid `refresh_token` seconds, never past the sliding window."""
        now = int(time.time())
        exp = min(now + self.lifetimes.refresh_token, auth_time + self.lifetimes.rolling_refresh)
        claims = {
            "typ": "rt",
            "oid": user.oid,
            "tfp": policy,
            "aud": client_id,
            "scope": scope,
            "auth_time": auth_time,
            "iat": now,
            "exp": exp,
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode(claims, self.state.tenant.refresh_key, algorithm="HS256")

    def read_refresh_token(self, token: str, policy: str, client_id: str) -> tuple[User, dict[str, Any]]:
        """Check a refresh token; B2C's error codes when it cannot be used."""
        try:
            claims = jwt.decode(token, self.state.tenant.refresh_key, algorithms=["HS256"], audience=client_id)
        except jwt.ExpiredSignatureError:
            raise GrantError(
                "invalid_grant", "AADB2C90080: The provided grant has expired. Please re-authenticate and try again."
            ) from None
        except jwt.PyJWTError:
            raise GrantError(
                "invalid_grant", "AADB2C90129: The provided grant has been revoked or is not valid. Please reauthenticate and try again."
            ) from None
        if claims.get("typ") != "rt":
            raise GrantError("invalid_grant", "AADB2C90129: The provided grant is not a refresh token.")
        if str(claims.get("tfp", "")).casefold() != policy.casefold():
            raise GrantError("invalid_grant", "AADB2C90088: The provided grant has not been issued for this endpoint.")
        user = self.state.user_by_oid(str(claims.get("oid")))
        if user is None:
            raise GrantError(
                "invalid_grant",
                "AADB2C90128: The account associated with this grant no longer exists. Please reauthenticate and try again.",
            )
        return user, claims

    # -- SSO session -------------------------------------------------------------------------

    def session_cookie(self, user: User, auth_time: int) -> str:
        """The value of the `x-ms-cpim-sso` cookie: who signed in, and when."""
        claims = {"typ": "sso", "oid": user.oid, "auth_time": auth_time, "exp": int(time.time()) + self.lifetimes.session}
        return jwt.encode(claims, self.state.tenant.refresh_key, algorithm="HS256")

    def read_session(self, value: str | None) -> tuple[User, int] | None:
        """The signed-in user of an SSO cookie, or None."""
        if not value:
            return None
        try:
            claims = jwt.decode(value, self.state.tenant.refresh_key, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        user = self.state.user_by_oid(str(claims.get("oid")))
        if claims.get("typ") != "sso" or user is None:
            return None
        return user, int(claims["auth_time"])
