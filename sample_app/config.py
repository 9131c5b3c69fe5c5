"""Settings from environment variables, defaulting to a local `b2c-toolkit emulator`.

Every setting is described in `SETTINGS` (docs/reference-app.md's table is generated from it). With no environment at
all, the app takes the IdP's settings from the configuration a local emulator writes to its state folder
(`B2C_STATE_DIR/config.json`, default `.b2c-emulator`: what `b2c-toolkit emulator --print-config` prints, a contract
described in docs/emulator.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: name → (default, converter, description). The IdP's settings default to the emulator's configuration
#: when there is one (`FROM_EMULATOR`). The documentation's settings table is generated from this one.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "B2C_STATE_DIR": (".b2c-emulator", str, "a local emulator's state folder: the IdP's settings default to its config.json"),
    "B2C_BASE_URL": (
        "",
        str,
        "the IdP, e.g. https://contoso.b2clogin.com (default: the emulator's URL, else the one the app last used,"
        " kept with the last-known-good copies)",
    ),
    "OIDC_AUTHORITY": (
        "",
        str,
        "an External ID or custom-domain authority, e.g. https://contoso.ciamlogin.com/<tenant-id>/v2.0, used through msal's"
        " oidc_authority in place of B2C_BASE_URL, B2C_TENANT and the policies (default: the emulator's when it runs"
        " --flavor external-id)",
    ),
    "B2C_TENANT": ("", str, "e.g. contoso.onmicrosoft.com (default: the emulator's)"),
    "B2C_SIGNUP_SIGNIN_POLICY": ("B2C_1A_signup_signin", str, "the sign-up/sign-in policy"),
    "B2C_EDIT_PROFILE_POLICY": ("B2C_1A_ProfileEdit", str, "the profile-editing policy"),
    "B2C_RESET_PASSWORD_POLICY": ("B2C_1A_PasswordReset", str, "the password-reset policy"),
    "B2C_CLIENT_ID": ("", str, "the app registration's client id (default: the emulator's)"),
    "B2C_CLIENT_SECRET": ("", str, "the app registration's secret (default: the emulator's)"),
    "B2C_API_SCOPE": (
        "",
        str,
        "the scope the app asks for, e.g. https://contoso.onmicrosoft.com/api/demo.read (default: the emulator's)",
    ),
    "B2C_API_AUDIENCE": ("", str, "the API's app id: the `aud` its access tokens carry (default: the emulator's)"),
    "B2C_CA_BUNDLE": ("", str, "CA file to trust for the IdP (empty: the system's; default: the emulator's CA)"),
    "API_APP_ID_URI": ("", str, "the API's application ID URI; daemons ask for {it}/.default (default: the emulator's)"),
    "API_ROLE": ("Demo.Read.All", str, "the app role /api/report requires of app-only tokens (default: the emulator's)"),
    "DAEMON_CLIENT_ID": ("", str, "the daemon's app registration, client credentials (default: the emulator's)"),
    "DAEMON_CLIENT_SECRET": ("", str, "the daemon's secret (default: the emulator's)"),
    "DAEMON_INTERVAL_S": (5.0, float, "seconds between the daemon's calls of the API"),
    "DAEMON_MAX_BACKOFF_S": (60.0, float, "the longest wait between the daemon's failing token requests"),
    "REDIS_URL": (
        "",
        str,
        "share sessions, token caches and the last-known-good metadata and keys across instances (unset: files in"
        " SESSION_DIR and IDP_CACHE_DIR only)",
    ),
    "SESSION_DIR": ("", str, "sessions on disk when REDIS_URL is unset (default: instance/sessions)"),
    "IDP_CACHE_DIR": ("", str, "last-known-good metadata and keys, shared by the workers (default: instance/idp-cache)"),
    "IDP_CONNECT_TIMEOUT_S": (3.05, float, "connect timeout of every IdP call"),
    "IDP_READ_TIMEOUT_S": (10.0, float, "read timeout of every IdP call"),
    "IDP_GET_ATTEMPTS": (3, int, "attempts of a GET (discovery, keys), with backoff and jitter"),
    "IDP_MAX_RETRY_AFTER_S": (5.0, float, "longest Retry-After a GET waits for inside a request"),
    "IDP_RETRY_AFTER_CAP_S": (
        30.0,
        float,
        "longest Retry-After the app obeys at all (msal's throttling and the sign-in-unavailable page included): an IdP"
        " that answers a day, or a date in 2099, is taken to mean this many seconds",
    ),
    "IDP_ISSUER": (
        "",
        str,
        "the issuer the discovery document must name (empty: the issuer of its first good copy, kept in IDP_CACHE_DIR);"
        " a document naming another is a bad answer, never used",
    ),
    "IDP_KEYS_MIN_REFRESH_S": (
        30.0,
        float,
        "after the IdP answered a key refresh, tokens naming a key it did not list are refused without asking it again"
        " for this long (made-up key ids cannot flood the IdP)",
    ),
    "IDP_REQUEST_BUDGET_S": (
        5.0,
        float,
        "time one request may spend on the IdP in all (connects, reads, retries, key refresh); past it the request"
        " takes its degraded path (last-known-good copy, limited mode or the sign-in-unavailable page)",
    ),
    "BREAKER_FAIL_MAX": (5, int, "failures in a row that open the IdP circuit breaker"),
    "BREAKER_RESET_S": (3.0, float, "seconds the breaker stays open before one probe goes through"),
    "IDP_PROBE_INTERVAL_S": (1.0, float, "how long a success or probe result is trusted before sending a user to sign in"),
    "SESSION_LIFETIME_S": (86400, int, "the app session's lifetime"),
    "API_BASE_URL": ("", str, "where /call-api finds the API (default: this app)"),
    "APP_RESILIENCE": ("on", str, '"off" = the fragile behaviour of typical samples (for drills to compare against)'),
    "APP_PUBLIC_URL": (
        "",
        str,
        "the app's public URL, e.g. https://app.contoso.com: redirect_uri and sign-out's return address are built from it,"
        " never from the request's Host header (default: the gunicorn start uses https://BIND; `flask run` the request's host)",
    ),
    "TRUSTED_PROXIES": (
        0,
        int,
        "number of reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port are trusted (0: none)",
    ),
    "MAX_CONCURRENT_REQUESTS": (
        0,
        int,
        "requests one worker processes at once; more are refused at once with 503 and Retry-After (0: no limit)."
        " The gunicorn start sets it to THREADS - 2 unless given: keep it below THREADS, so that refusals and"
        " /healthz, /readyz always find a free thread",
    ),
    "OVERLOAD_RETRY_AFTER_S": (2, int, "Retry-After of a request refused because the worker is at MAX_CONCURRENT_REQUESTS"),
    "OPS_TOKEN": ("", str, "a bearer token that opens /metrics and /status/idp from any address (empty: none)"),
    "OPS_ALLOWED_NETWORKS": (
        "127.0.0.0/8,::1/128",
        str,
        "comma-separated networks that may read /metrics and /status/idp without OPS_TOKEN (empty: none)",
    ),
    "SECRET_KEY": (
        "",
        str,
        "Flask secret key. `generate`: a random key made once per deployment and kept in instance/secret_key."
        " A production start (sample_app/gunicorn.conf.py) refuses to start when it is unset; `flask run` and tests"
        " generate one",
    ),
}


#: the settings the emulator's configuration gives defaults for, and its field for each
FROM_EMULATOR = {
    "B2C_BASE_URL": "base_url",
    "OIDC_AUTHORITY": "oidc_authority",  # External ID only
    "B2C_TENANT": "tenant",
    "B2C_CLIENT_ID": "client_id",
    "B2C_CLIENT_SECRET": "client_secret",
    "B2C_API_SCOPE": "api_scope",
    "B2C_API_AUDIENCE": "api_audience",
    "B2C_CA_BUNDLE": "ca_bundle",
    "API_APP_ID_URI": "api_app_id_uri",
    "API_ROLE": "api_role",
    "DAEMON_CLIENT_ID": "daemon_client_id",
    "DAEMON_CLIENT_SECRET": "daemon_client_secret",
}


def _emulator_defaults(state_dir: Path) -> dict[str, Any]:
    """Defaults from the emulator's configuration in `state_dir` (none without one)."""
    try:
        config = json.loads((state_dir / "config.json").read_text())
    except FileNotFoundError:
        return {}
    return {setting: config[field] for setting, field in FROM_EMULATOR.items() if field in config}


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from `environ` (default: os.environ), then emulator defaults, then built-ins."""
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("B2C_STATE_DIR", SETTINGS["B2C_STATE_DIR"][0]))
    fallback = _emulator_defaults(state_dir)
    settings: dict[str, Any] = {}
    for name, (default, convert, _) in SETTINGS.items():
        raw = env.get(name)
        if raw is None or raw == "":
            settings[name] = fallback.get(name, default)
        else:
            try:
                settings[name] = convert(raw)
            except ValueError:
                raise ValueError(f"setting {name}={raw!r} is not a valid {convert.__name__}") from None
    return settings


def remembered_base_url(cache_dir: str | os.PathLike[str], base_url: str) -> str:
    """`base_url`, remembered next to the last-known-good copies; when it is unknown (no setting
    and no emulator configuration), the one remembered. So an app that starts while the IdP is
    down still knows where its last-known-good copies came from, and reaches the IdP again when
    it is back, without a restart."""
    path = Path(cache_dir) / "idp.json"
    if not base_url:
        try:
            found = json.loads(path.read_text()).get("base_url")
        except (OSError, ValueError, AttributeError):
            return ""
        return found if isinstance(found, str) else ""
    try:
        if not path.exists() or json.loads(path.read_text()).get("base_url") != base_url:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"base_url": base_url}))
            os.replace(tmp, path)
    except (OSError, ValueError, AttributeError):
        pass  # remembering is a convenience: never a reason not to start
    return base_url
