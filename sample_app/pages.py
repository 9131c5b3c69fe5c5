"""Pages: home, the user's claims, and a page that calls the API with the user's token.

Signed-in users keep working through an IdP outage: their session is the app's, and when a token
cannot be refreshed the page says "limited mode" instead of sending them to sign in again.
"""

from __future__ import annotations

import logging
from typing import Any

import msal
import requests
from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from sample_app.admission import SLOT_HEADER, slot_token
from sample_app.idp import IDP_ERRORS, idp
from sample_app.security import login_required, public_url
from toolkit.resilience.http import trusting_session

bp = Blueprint("pages", __name__)
LOG = logging.getLogger(__name__)


def limited(reason: str) -> None:
    """Mark this response as served in limited mode."""
    g.limited = True
    idp().metrics.degraded.labels("limited_mode").inc()
    LOG.info("limited mode: %s", reason, extra={"event": "limited_mode"})


#: a short-lived cookie that says "you are signed out" on the home page (sign-out writes nothing to
#: the session store, so the note cannot live in the session)
SIGNED_OUT_COOKIE = "__Host-refapp-signed-out"


@bp.get("/")
def index() -> Response:
    """The public home page."""
    signed_out = request.cookies.get(SIGNED_OUT_COOKIE) == "1"
    response = make_response(render_template("index.html", signed_out=signed_out))
    if signed_out:
        response.delete_cookie(SIGNED_OUT_COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
    return response


@bp.get("/profile")
@login_required
def profile() -> str | Response:
    """The signed-in user's claims (no IdP call: the session is the app's)."""
    if not idp().resilient:
        # What fragile samples do: re-check with the IdP on every page, sign out on any failure.
        result = _silent(force_refresh=True)
        if not isinstance(result, dict) or "error" in result:
            session.clear()
            return redirect(url_for("auth.login", next="/profile"))
    return render_template("profile.html", user=session["user"])


def _silent(force_refresh: bool = False) -> dict[str, Any] | Exception | None:
    """acquire_token_silent for the API scope from the user's cache (saved back if it changed)."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(session.get("token_cache") or None)
    try:
        app = idp().cca(idp().susi, cache)
        account = next((a for a in app.get_accounts() if a["home_account_id"] == session.get("account")), None)
        if account is None:
            return None
        result: dict[str, Any] | None = app.acquire_token_silent([idp().config["B2C_API_SCOPE"]], account, force_refresh=force_refresh)
    except IDP_ERRORS as exc:
        return exc
    if cache.has_state_changed:
        session["token_cache"] = cache.serialize()
    return result


@bp.get("/call-api")
@login_required
def call_api() -> str | Response:
    """Call the API with the user's access token (from the cache, refreshed when needed)."""
    result = _silent(force_refresh=not idp().resilient)
    if isinstance(result, Exception) or result is None or "error" in result:
        if not idp().resilient:
            session.clear()
            return redirect(url_for("auth.login", next="/call-api"))
        ok, _ = idp().available()
        if ok and not isinstance(result, Exception):
            return redirect(url_for("auth.login", next="/call-api"))  # a genuine re-consent
        limited("no access token and the IdP is unavailable")
        return render_template("call_api.html", data=None)
    base = idp().config["API_BASE_URL"] or public_url("pages.index")  # never the Host header: the token goes there
    headers = {"Authorization": f"Bearer {result['access_token']}"}
    if not idp().config["API_BASE_URL"]:  # this app's own API: it runs on this page's admission slot
        headers[SLOT_HEADER] = slot_token(str(current_app.config["SECRET_KEY"]))
    try:
        reply = _api_session().get(base.rstrip("/") + "/api/hello", headers=headers, timeout=(2, 5))
        data = reply.json() if reply.ok else {"error": f"the API answered {reply.status_code}"}
    except (requests.RequestException, ValueError) as exc:
        data = {"error": f"the API is unreachable ({exc.__class__.__name__})"}
    return render_template("call_api.html", data=data)


def _api_session() -> requests.Session:
    if "api_session" not in g:
        g.api_session = trusting_session(idp().config["B2C_CA_BUNDLE"])
    session_: requests.Session = g.api_session
    return session_
