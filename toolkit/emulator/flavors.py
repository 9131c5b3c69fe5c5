"""The two kinds of CIAM tenant the emulator can be: Azure AD B2C, or Microsoft Entra External ID.

A flavor holds everything that differs between them, so the endpoints stay the same code:
- where things are (B2C: `/{tenant}/{policy}/...`; External ID: `/{tenant}/...`, one user flow
  linked to the app, discovery under `/{tenant}.onmicrosoft.com/v2.0/` and `/{tenant-id}/v2.0/`),
- the issuer (B2C `https://{host}/{tenant-id}/v2.0/`; External ID
  `https://{tenant-id}.ciamlogin.com/{tenant-id}/v2.0`, served as `https://{host}/{tenant-id}/v2.0`),
- the claims (B2C `tfp`, `emails`, `ver` 1.0; External ID `tid`, `preferred_username`, `email`,
  `ver` 2.0, a pairwise `sub`),
- the app ID URI of the API (B2C `https://{tenant}.onmicrosoft.com/api`; External ID `api://{app-id}`),
- the messages throttling and outages answer with, and the per-IP request limit (External ID: 20/s).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from toolkit.emulator.state import API_SCOPE_NAME, POLICIES, State, Tenant, User

#: the role the app-only tokens of the daemon registration carry
DAEMON_ROLE = "Demo.Read.All"


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Flavor:
    """Azure AD B2C: what the emulator always was."""

    name: str = "b2c"
    title: str = "Azure AD B2C"
    #: user-flow role -> the policy (or user flow) id served for it
    policies: dict[str, str] = field(default_factory=lambda: dict(POLICIES))
    grants: tuple[str, ...] = ("authorization_code", "refresh_token", "password", "client_credentials")
    #: requests per second one client IP may send under a `tenant-limit` fault (None: no such limit)
    ip_limit: int | None = None
    tenant_limit: int = 200
    throttled: str = (
        "AADB2C90229: Azure AD B2C throttled traffic if too many requests are sent from the same source in a short period of time."
    )
    unavailable: str = "AADB2C90035: The service is temporarily unavailable. Please retry after a few minutes."
    server_error: str = "AADB2C90048: An unhandled exception has occurred on the server."
    invalid_scope: str = "AADB2C90117"
    #: "Forgot your password?" ends the sign-in journey with AADB2C90118 (B2C) or stays in it
    forgot_password_in_flow: bool = False
    id_token_version: str = "1.0"

    def issuer(self, host: str, tenant: Tenant) -> str:
        """B2C's default issuer form."""
        return f"https://{host}/{tenant.tenant_id}/v2.0/"

    def endpoint_base(self, host: str, tenant: Tenant, tenant_path: str, policy: str) -> str:
        """The prefix of the authorize, token, logout and keys endpoints (under the tenant as asked)."""
        return f"https://{host}/{tenant_path}/{policy}"

    def app_id_uri(self, tenant: Tenant) -> str:
        """The API's application ID URI: scopes are `{uri}/{name}`, app-only ones `{uri}/.default`."""
        return f"https://{tenant.domain}/api"

    def api_scope(self, tenant: Tenant) -> str:
        """The API's delegated scope, which user access tokens carry."""
        return f"{self.app_id_uri(tenant)}/{API_SCOPE_NAME}"

    def authority(self, base_url: str, tenant: Tenant) -> dict[str, str]:
        """How msal is pointed at this tenant: `{"authority": ...}` or `{"oidc_authority": ...}`."""
        return {"authority": f"{base_url}/{tenant.domain}/{self.policies['signup_signin']}"}

    def user_claims(self, user: User, client_id: str, tenant: Tenant, policy: str) -> dict[str, Any]:
        """Claims about the user in id and access tokens."""
        return {"sub": user.oid, "oid": user.oid, "name": user.name, "emails": [user.email], "idp": "LocalAccount", "tfp": policy}

    def client_info(self, user: User, tenant: Tenant, policy: str) -> str:
        """B2C's client_info: uid is `{oid}-{policy lowercased}`, utid the tenant id."""
        return b64url(json.dumps({"uid": f"{user.oid}-{policy.lower()}", "utid": tenant.tenant_id}).encode())

    def client_config(self, state: State, base_url: str) -> dict[str, Any]:
        """Everything an app, a daemon, the load tests or the drill need to use an emulator of this
        flavor at `base_url`: `--print-config`, `/_emulator/config` and `STATE_DIR/config.json`.
        A contract: docs/emulator.md lists the fields, and a test holds this to that list."""
        t = state.tenant
        uri = self.app_id_uri(t)
        return {
            "flavor": self.name,
            **self.authority(base_url, t),
            "base_url": base_url,
            "tenant": t.domain,
            "tenant_id": t.tenant_id,
            "policies": dict(self.policies),
            "client_id": t.client_id,
            "client_secret": t.client_secret,
            "redirect_uri_hint": "http://127.0.0.1:5000/auth/callback (any loopback http(s) URI is accepted)",
            "api_scope": self.api_scope(t),
            "api_audience": t.api_app_id,
            "api_app_id_uri": uri,
            "api_role": DAEMON_ROLE,
            "daemon_client_id": t.daemon_client_id,
            "daemon_client_secret": t.daemon_client_secret,
            "ca_bundle": str(state.ca_bundle.resolve()),
            "users": [u.public() for u in state.users],
        }

    def claims_supported(self) -> list[str]:
        """For the discovery document."""
        return ["name", "emails", "idp", "oid", "sub", "tfp", "iss", "iat", "exp", "aud", "acr", "nonce", "auth_time"]


@dataclass(frozen=True)
class ExternalId(Flavor):
    """Microsoft Entra External ID (external tenant): one user flow, no policy in any URL."""

    name: str = "external-id"
    title: str = "Microsoft Entra External ID"
    policies: dict[str, str] = field(default_factory=lambda: {"signup_signin": "SignUpSignIn"})
    grants: tuple[str, ...] = ("authorization_code", "refresh_token", "client_credentials")
    ip_limit: int | None = 20
    tenant_limit: int = 200
    throttled: str = "AADSTS90055: TenantThrottlingError: There are too many incoming requests. Please retry after the time in Retry-After."
    unavailable: str = "AADSTS90033: A transient error has occurred (the directory service is unavailable). Please try again."
    server_error: str = "AADSTS50000: There was an error issuing a token or an issue with the sign-in service."
    invalid_scope: str = "AADSTS1002012"
    forgot_password_in_flow: bool = True
    id_token_version: str = "2.0"

    def issuer(self, host: str, tenant: Tenant) -> str:
        """`https://{tenant-id}.ciamlogin.com/{tenant-id}/v2.0`, on the emulator's host (no trailing slash)."""
        return f"https://{host}/{tenant.tenant_id}/v2.0"

    def endpoint_base(self, host: str, tenant: Tenant, tenant_path: str, policy: str) -> str:
        """Endpoints are always under the tenant id, whichever alias discovery was asked with."""
        return f"https://{host}/{tenant.tenant_id}"

    def app_id_uri(self, tenant: Tenant) -> str:
        """External ID's default application ID URI."""
        return f"api://{tenant.api_app_id}"

    def authority(self, base_url: str, tenant: Tenant) -> dict[str, str]:
        """msal >= 1.28 takes a non-ciamlogin host (a custom domain, or this emulator) as `oidc_authority`."""
        return {"oidc_authority": f"{base_url}/{tenant.tenant_id}/v2.0"}

    def user_claims(self, user: User, client_id: str, tenant: Tenant, policy: str) -> dict[str, Any]:
        """`sub` is pairwise (per app), `oid` the user's object id, `tid` the tenant."""
        pairwise = b64url(hashlib.sha256(f"{user.oid}|{client_id}".encode()).digest())
        return {
            "sub": pairwise,
            "oid": user.oid,
            "tid": tenant.tenant_id,
            "name": user.name,
            "preferred_username": user.email,
            "email": user.email,
        }

    def client_info(self, user: User, tenant: Tenant, policy: str) -> str:
        """Entra's client_info: uid is the object id."""
        return b64url(json.dumps({"uid": user.oid, "utid": tenant.tenant_id}).encode())

    def claims_supported(self) -> list[str]:
        """For the discovery document."""
        return ["sub", "oid", "tid", "iss", "iat", "exp", "nbf", "aud", "nonce", "name", "preferred_username", "email", "ver"]


FLAVORS: dict[str, Flavor] = {"b2c": Flavor(), "external-id": ExternalId()}


def flavor(name: str) -> Flavor:
    """The flavor called `name`; ValueError names the choices."""
    try:
        return FLAVORS[name]
    except KeyError:
        raise ValueError(f"unknown flavor {name!r}: choose {' or '.join(FLAVORS)}") from None
