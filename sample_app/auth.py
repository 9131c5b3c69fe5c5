"""Sign-up/sign-in, edit profile, password reset and sign-out through B2C, with graceful
degradation: an IdP that is down gives a friendly 503 page, never a 500 or a redirect into it."""

from __future__ import annotations

import hashlib
import logging
import math
import warnings
from typing import Any
from urllib.parse import urlencode

import msal
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from sample_app.authority import uses_policies
from sample_app.idp import IDP_ERRORS, idp
from sample_app.logs import correlation_id
from sample_app.pages import SIGNED_OUT_COOKIE
from sample_app.security import check_csrf, public_url, safe_next
from sample_app.sessions import STORE_RETRY_AFTER_S, clear_cookie, end_session, session_lost, store_errors
from toolkit.resilience.http import IdpUnavailable
from toolkit.resilience.keys import TokenInvalid, validate

bp = Blueprint("auth", __name__, url_prefix="/auth")
LOG = logging.getLogger(__name__)
FORGOT_PASSWORD, CANCELLED = "AADB2C90118", "AADB2C90091"
#: codes that mean "try again later", answered with the sign-in-unavailable page: B2C's, then
#: External ID's (throttled, loop detected, directory unavailable, token issuance error)
TRANSIENT_CODES = ("AADB2C90229", "AADB2C90244", "AADB2C90035", "AADB2C90048", "AADSTS90055", "AADSTS50196", "AADSTS90033", "AADSTS50000")


def unavailable(retry_after: float | None = None, reason: str = "") -> Response:
    """The friendly "sign-in temporarily unavailable" page: 503 with Retry-After."""
    wait = max(1, math.ceil(retry_after or idp().config["BREAKER_RESET_S"]))
    idp().metrics.degraded.labels("signin_unavailable").inc()
    LOG.warning("sign-in unavailable: %s", reason or "idp down", extra={"event": "signin_unavailable"})
    response = make_response(render_template("unavailable.html", retry_after=wait, session_lost=session_lost()), 503)
    response.headers["Retry-After"] = str(wait)
    return response


def failed(message: str, code: str | None = None, status: int = 400) -> Response:
    """A friendly error page (never a traceback)."""
    return make_response(render_template("error.html", message=message, code=code), status)


def store_unwritable() -> Response | None:
    """A 503 page when the session store cannot be written now, else None: the flow a sign-in
    starts must be kept, or the user would come back from B2C to "this link has expired"."""
    try:
        current_app.extensions["session_probe"]()
    except store_errors(current_app) as exc:
        LOG.warning("session store cannot be written: %s", exc, extra={"event": "session_store_unavailable"})
        message = "We cannot sign you in for a moment: our session store is not accepting changes. Please try again shortly."
        response = make_response(render_template("error.html", message=message, code="503"), 503)
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        return response
    return None


def start(policy: str, next_url: str, **kwargs: Any) -> Response:
    """Begin a journey of `policy`: remember the flow server-side, send the user to B2C."""
    refused = store_unwritable()
    if refused is not None:
        return refused
    ok, wait = idp().available()
    if not ok:
        return unavailable(wait, "breaker open or probe failed")
    scopes = [idp().config["B2C_API_SCOPE"]] if policy == idp().susi and idp().config["B2C_API_SCOPE"] else []
    try:
        with warnings.catch_warnings():
            # msal recommends form_post; it needs a SameSite=None session cookie, so the app keeps
            # SameSite=Lax and uses the query mode, with PKCE and single-use codes.
            warnings.simplefilter("ignore", UserWarning)
            flow = (
                idp().cca(policy).initiate_auth_code_flow(scopes, redirect_uri=public_url("auth.callback"), response_mode="query", **kwargs)
            )
    except IDP_ERRORS as exc:
        return unavailable(getattr(exc, "retry_after", None), f"discovery failed: {exc.__class__.__name__}")
    session["auth_flow"] = {"flow": flow, "policy": policy, "next": safe_next(next_url)}
    return redirect(flow["auth_uri"])


@bp.get("/login")
def login() -> Response:
    """Sign up or sign in."""
    return start(idp().susi, request.args.get("next", "/"))


@bp.get("/edit-profile")
def edit_profile() -> Response:
    """Edit the profile (B2C uses the SSO session). External ID has no profile-editing user flow."""
    if not uses_policies(idp().config):
        return failed("Profile editing is not offered by this sign-in service.", status=404)
    if "user" not in session:
        return redirect(url_for("auth.login", next="/profile"))
    return start(idp().config["B2C_EDIT_PROFILE_POLICY"], "/profile")


@bp.get("/reset-password")
def reset_password() -> Response:
    """Reset the password: B2C's reset policy (where "Forgot your password?" leads), or External ID's
    sign-in flow, whose own "Forgot password?" link resets it."""
    if not uses_policies(idp().config):
        return start(idp().susi, "/")
    return start(idp().config["B2C_RESET_PASSWORD_POLICY"], "/")


@bp.route("/callback", methods=["GET", "POST"])
def callback() -> Response:
    """Where B2C sends the user back: errors, cancellations, or a code to redeem."""
    params = request.form if request.method == "POST" else request.args
    pending = session.pop("auth_flow", None)
    if "error" in params:
        description = params.get("error_description", "")
        if FORGOT_PASSWORD in description:
            return redirect(url_for("auth.reset_password"))
        if CANCELLED in description:
            flash("You cancelled; nothing was changed.")
            return redirect(url_for("pages.index"))
        code = description.split(":", 1)[0] if description.startswith("AADB2C") else params.get("error")
        LOG.warning("b2c returned an error", extra={"event": "b2c_error", "correlation_id": correlation_id(description), "status": code})
        if code in TRANSIENT_CODES:
            return unavailable(None, f"b2c said {code}")
        return failed("We could not sign you in. Please try again.", code)
    if not pending or params.get("state") != pending["flow"].get("state"):
        return failed("This sign-in link has expired or was already used. Please start again.")
    return _redeem(pending, dict(params))


def _redeem(pending: dict[str, Any], params: dict[str, str]) -> Response:
    policy = pending["policy"]
    susi = policy == idp().susi
    cache = msal.SerializableTokenCache()  # per sign-in: discarded if anything below fails
    try:
        app = idp().cca(policy, cache)
        result = app.acquire_token_by_auth_code_flow(pending["flow"], params)
    except IdpUnavailable as exc:
        return unavailable(exc.retry_after, "token endpoint unavailable")
    except IDP_ERRORS as exc:
        LOG.warning("code redemption failed: %s", exc.__class__.__name__, extra={"event": "redeem_failed"})
        return unavailable(None, f"code redemption failed: {exc.__class__.__name__}")
    if "error" in result:
        description = str(result.get("error_description", ""))
        code = description.split(":", 1)[0]
        LOG.warning(
            "token endpoint refused the code",
            extra={"event": "redeem_refused", "correlation_id": correlation_id(description), "status": code},
        )
        if code in TRANSIENT_CODES:
            return unavailable(None, f"b2c said {code}")
        return failed("We could not complete your sign-in. Please start again.", code)
    try:
        nonce = hashlib.sha256(pending["flow"]["nonce"].encode()).hexdigest()
        claims = validate(result["id_token"], idp().keys, issuer=idp().issuer(policy), audience=idp().config["B2C_CLIENT_ID"], nonce=nonce)
    except TokenInvalid as exc:
        LOG.warning("id token rejected: %s", exc, extra={"event": "id_token_rejected"})
        return failed("The sign-in response could not be verified. Please start again.")
    except IDP_ERRORS:
        return unavailable(None, "no keys to validate the id token")
    if susi:
        _sign_in(claims, app, cache)
    elif "user" in session and policy == idp().config["B2C_EDIT_PROFILE_POLICY"]:
        session["user"] = {**session["user"], "name": claims.get("name")}
        flash("Your profile was updated.")
    else:
        flash("Your password was changed. Please sign in.")
        return redirect(url_for("auth.login"))
    return redirect(pending["next"])


def _sign_in(claims: dict[str, Any], app: msal.ConfidentialClientApplication, cache: msal.SerializableTokenCache) -> None:
    """Start a fresh session for the signed-in user (new session id: no fixation)."""
    accounts = app.get_accounts()
    session.clear()
    session.permanent = True
    # B2C says `emails` and `tfp`; External ID `email`, `preferred_username` and `tid`
    kept = ("sub", "oid", "name", "emails", "email", "preferred_username", "tfp", "tid", "auth_time", "exp")
    session["user"] = {k: claims.get(k) for k in kept if k in claims}
    session["account"] = accounts[0]["home_account_id"] if accounts else None
    session["token_cache"] = cache.serialize()
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)  # after filling it: Flask-Session skips empty sessions
    LOG.info("signed in", extra={"event": "signed_in"})


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the session cookie always goes; the session itself is deleted from the store, and
    when the store cannot do that the answer says so (503) instead of claiming success; B2C's
    session ends too when it can be reached."""
    check_csrf()
    if not end_session():
        LOG.error("sign-out could not delete the session from the store", extra={"event": "signout_incomplete"})
        message = (
            "This browser is signed out, but we could not end your session on our side just now; it ends by itself"
            " when it expires. If this is a shared computer, close the browser."
        )
        page = make_response(render_template("error.html", message=message, code="503", store_down=True), 503)
        page.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        clear_cookie(page)
        return page
    home = public_url("pages.index")
    try:
        ok, _ = idp().available()
        end = idp().metadata().get("end_session_endpoint") if ok else None
    except IDP_ERRORS:
        end = None
    response = redirect(f"{end}?{urlencode({'post_logout_redirect_uri': home})}" if end else home)
    clear_cookie(response)
    response.set_cookie(SIGNED_OUT_COOKIE, "1", max_age=120, path="/", secure=True, httponly=True, samesite="Lax")
    return response
