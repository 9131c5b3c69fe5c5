"""Where msal finds the IdP, from the settings: a B2C policy (`B2C_BASE_URL/B2C_TENANT/{policy}`),
or an External ID tenant or custom domain (`OIDC_AUTHORITY`, msal's `oidc_authority`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def uses_policies(settings: Mapping[str, Any]) -> bool:
    """True for B2C (one authority per policy); False for an `OIDC_AUTHORITY` (one user flow per app)."""
    return not settings["OIDC_AUTHORITY"]


def msal_authority(settings: Mapping[str, Any], policy: str) -> dict[str, str]:
    """The keyword msal is pointed with. A B2C authority has no trailing slash: msal detects B2C
    by its two path segments."""
    if not uses_policies(settings):
        return {"oidc_authority": str(settings["OIDC_AUTHORITY"]).rstrip("/")}
    return {"authority": f"{str(settings['B2C_BASE_URL']).rstrip('/')}/{settings['B2C_TENANT']}/{policy}"}


def discovery_url(settings: Mapping[str, Any], policy: str) -> str:
    """Where the OpenID Connect discovery document is (what msal fetches)."""
    where = msal_authority(settings, policy)
    if "oidc_authority" in where:
        return where["oidc_authority"] + "/.well-known/openid-configuration"
    return where["authority"] + "/v2.0/.well-known/openid-configuration"
