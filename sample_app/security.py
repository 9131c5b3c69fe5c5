"""Small security helpers: CSRF tokens for forms, safe `next` targets, login_required, headers."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for

F = TypeVar("F", bound=Callable[..., Any])


def csrf_token() -> str:
    """The session's anti-forgery token: an HMAC of the session id under the secret key, so that
    rendering a form writes nothing to the session store (a page view must work while the store
    cannot be written). Sign-in gives a new session id, hence a new token."""
    sid = str(getattr(session, "sid", "") or "")
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"csrf:{sid}".encode(), hashlib.sha256).hexdigest() if sid else ""


def check_csrf() -> None:
    """Abort with 400 unless the form carries the session's token."""
    sent = request.form.get("csrf_token", "")
    expected = csrf_token()
    if not sent or not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="The form has expired. Please go back and try again.")


def safe_next(target: str | None) -> str:
    """A same-site path to go to after sign-in; anything else becomes the home page, so `next`
    can never redirect off-site nor break the redirect: absolute URLs, `//host`, backslashes, and
    control characters (browsers drop tabs and newlines, so `/<TAB>/host` would be `//host`; CR/LF
    cannot go into a header). Spaces and non-ASCII characters are percent-encoded."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    target = quote(target, safe="".join(chr(c) for c in range(0x21, 0x7F)))
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def public_url(endpoint: str) -> str:
    """The absolute URL of `endpoint` from APP_PUBLIC_URL (the Host header could name any site);
    without it (`flask run` in development), from the request."""
    base = str(current_app.config["APP_PUBLIC_URL"]).rstrip("/")
    return base + url_for(endpoint) if base else url_for(endpoint, _external=True)


def ops_allowed() -> bool:
    """Whether this request may read /metrics and /status/idp: it carries OPS_TOKEN, or comes
    from OPS_ALLOWED_NETWORKS (the client address as TRUSTED_PROXIES proxies report it)."""
    token = str(current_app.config["OPS_TOKEN"])
    sent = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(str(current_app.config["OPS_ALLOWED_NETWORKS"])))


@functools.lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip())


def login_required(view: F) -> F:
    """Send anonymous users to sign in, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "user" not in session:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Security headers on every response and the CSRF token in templates."""
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # HTTPS only from the first visit on (no includeSubDomains: that is the domain owner's call)
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        )
        # a session store that failed to open the session (store_down) must not be read again
        if g.get("store_down") or "user" in session or request.path.startswith("/auth"):
            response.headers["Cache-Control"] = "no-store"
        return response
