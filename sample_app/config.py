"""Settings from environment variables, defaulting to a local `b2c-toolkit emulator`.

Every setting is documented in docs/reference-app.md, from the `#:` comment beside it. With no environment at
all, the app reads the emulator's state folder (`B2C_STATE_DIR`, default `.b2c-emulator`):
its URL from `emulator.json`, client id and secret from `tenant.json`, and trusts its `ca.pem`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: name → (default, converter). Defaults of B2C_* come from the emulator state when it exists.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "B2C_STATE_DIR": (".b2c-emulator", str),  #: emulator state folder the B2C_* defaults come from
    "B2C_BASE_URL": ("", str),  #: e.g. https://contoso.b2clogin.com (default: the emulator's URL)
    "OIDC_AUTHORITY": (
        "",
        str,
    ),  #: External ID or a custom domain, e.g. https://contoso.ciamlogin.com/<tenant-id>/v2.0 (msal's oidc_authority); replaces B2C_BASE_URL, B2C_TENANT and the policies (default: the emulator's, when it runs --flavor external-id)
    "B2C_TENANT": ("", str),  #: e.g. contoso.onmicrosoft.com (default: the emulator's tenant)
    "B2C_SIGNUP_SIGNIN_POLICY": ("B2C_1A_signup_signin", str),  #: the sign-up or sign-in policy
    "B2C_EDIT_PROFILE_POLICY": ("B2C_1A_ProfileEdit", str),  #: the profile-edit policy
    "B2C_RESET_PASSWORD_POLICY": ("B2C_1A_PasswordReset", str),  #: the password-reset policy
    "B2C_CLIENT_ID": ("", str),  #: the app registration's client id (default: the emulator's)
    "B2C_CLIENT_SECRET": ("", str),  #: the app registration's secret (default: the emulator's)
    "B2C_API_SCOPE": ("", str),  #: the scope the app asks for, e.g. https://contoso.onmicrosoft.com/api/demo.read (default: the emulator's)
    "B2C_API_AUDIENCE": ("", str),  #: the API's app id: the `aud` its access tokens carry (default: the emulator's)
    "B2C_CA_BUNDLE": ("", str),  #: CA file to trust for the IdP (default: the emulator's ca.pem; "" with no emulator: the system's)
    "API_APP_ID_URI": ("", str),  #: the API's application ID URI; daemons ask for {it}/.default (default: the emulator's)
    "API_ROLE": ("Demo.Read.All", str),  #: the app role /api/report requires of app-only tokens
    "DAEMON_CLIENT_ID": ("", str),  #: the daemon's app registration, client credentials (default: the emulator's)
    "DAEMON_CLIENT_SECRET": ("", str),  #: the daemon's secret (default: the emulator's)
    "DAEMON_INTERVAL_S": (5.0, float),  #: seconds between the daemon's calls of the API
    "DAEMON_MAX_BACKOFF_S": (60.0, float),  #: the longest wait between the daemon's failing token requests
    "REDIS_URL": ("", str),  #: share sessions and token caches across instances
    "SESSION_DIR": ("", str),  #: sessions on disk when REDIS_URL is unset (default: instance/sessions)
    "IDP_CACHE_DIR": ("", str),  #: last-known-good metadata and keys (default: instance/idp-cache)
    "IDP_CONNECT_TIMEOUT_S": (3.05, float),  #: connect timeout of every IdP call
    "IDP_READ_TIMEOUT_S": (10.0, float),  #: read timeout of every IdP call
    "IDP_GET_ATTEMPTS": (3, int),  #: attempts of an IdP GET (POSTs are never retried)
    "IDP_MAX_RETRY_AFTER_S": (5.0, float),  #: longest Retry-After honoured inside a request
    "BREAKER_FAIL_MAX": (5, int),  #: IdP failures in a row that open the circuit breaker
    "BREAKER_RESET_S": (3.0, float),  #: how long the breaker stays open before one probe goes through
    "IDP_PROBE_INTERVAL_S": (1.0, float),  #: how long a success or probe result is trusted before sign-in
    "SESSION_LIFETIME_S": (86400, int),  #: the app session's lifetime
    "API_BASE_URL": ("", str),  #: where /call-api finds the API (default: this app)
    "APP_RESILIENCE": ("on", str),  #: "off" = the fragile behaviour of typical samples (for drills)
    "SECRET_KEY": ("", str),  #: Flask secret (default: random, kept in the instance folder)
}


def _emulator_defaults(state_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    tenant_file, running = state_dir / "tenant.json", state_dir / "emulator.json"
    emulator = json.loads(running.read_text()) if running.exists() else {}
    if tenant_file.exists():
        tenant = json.loads(tenant_file.read_text())
        domain = f"{tenant['name']}.onmicrosoft.com"
        # the emulator's flavor decides the API's app ID URI (B2C: https://{domain}/api; External ID: api://{app id})
        app_id_uri = f"api://{tenant['api_app_id']}" if emulator.get("flavor") == "external-id" else f"https://{domain}/api"
        found.update(
            B2C_TENANT=domain,
            B2C_CLIENT_ID=tenant["client_id"],
            B2C_CLIENT_SECRET=tenant["client_secret"],
            B2C_API_SCOPE=f"{app_id_uri}/demo.read",
            B2C_API_AUDIENCE=tenant["api_app_id"],
            B2C_CA_BUNDLE=str((state_dir / "ca.pem").resolve()),
            API_APP_ID_URI=app_id_uri,
            DAEMON_CLIENT_ID=tenant.get("daemon_client_id", ""),
            DAEMON_CLIENT_SECRET=tenant.get("daemon_client_secret", ""),
        )
        if emulator.get("flavor") == "external-id":
            found["OIDC_AUTHORITY"] = f"{emulator['url']}/{tenant['tenant_id']}/v2.0"
    if emulator:
        found["B2C_BASE_URL"] = emulator["url"]
    return found


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from `environ` (default: os.environ), then emulator defaults, then built-ins."""
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("B2C_STATE_DIR", SETTINGS["B2C_STATE_DIR"][0]))
    fallback = _emulator_defaults(state_dir)
    settings: dict[str, Any] = {}
    for name, (default, convert) in SETTINGS.items():
        raw = env.get(name)
        if raw is None or raw == "":
            settings[name] = fallback.get(name, default)
        else:
            try:
                settings[name] = convert(raw)
            except ValueError:
                raise ValueError(f"setting {name}={raw!r} is not a valid {convert.__name__}") from None
    return settings
