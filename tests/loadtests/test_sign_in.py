"""The personas' sign-in on apps that start it differently (a 302, a link, a form), against the
real emulator over HTTPS, with Locust's own HTTP client: the app under test is a small Flask app
using msal, served on a loopback thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import msal
import pytest
from flask import Flask, redirect, request, session
from locust import events
from locust.env import Environment
from werkzeug.serving import make_server

from loadtests.config import DrillRun
from loadtests.contract import AppProfile, Match, PhasePlan, Plan
from loadtests.personas import NewSignIn, full_sign_in
from toolkit.emulator.server import free_port
from toolkit.resilience.http import trusting_session


def small_app(idp: dict, port: int, style: str) -> Flask:
    """Signs in with msal's auth-code flow (form_post back to the app); `style` says how sign-in starts."""
    app = Flask(__name__)
    app.secret_key = "test"
    redirect_uri = f"http://127.0.0.1:{port}/cb"

    def cca() -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            idp["client_id"],
            client_credential=idp["client_secret"],
            authority=idp["authority"],
            instance_discovery=False,
            http_client=trusting_session(idp["ca_bundle"]),
        )

    def start() -> str:
        flow = cca().initiate_auth_code_flow([], redirect_uri=redirect_uri, response_mode="form_post")
        session["flow"] = flow
        return str(flow["auth_uri"])

    @app.route("/login", methods=["GET", "POST"])
    def login() -> object:
        if style == "busy":
            return "Sign-in is unavailable, try later", 503, {"Retry-After": "5"}
        if style == "redirect" or request.method == "POST":
            return redirect(start())
        if style == "link":
            return f"<a href='{start().replace('&', '&amp;')}'>Sign in</a>"
        return "<form method='post' action='/login'><input type='hidden' name='x' value='1'><button>Sign in</button></form>"

    @app.post("/cb")
    def callback() -> object:
        result = cca().acquire_token_by_auth_code_flow(session.pop("flow", {}), request.form.to_dict())
        if "id_token_claims" not in result:
            return f"error: {result.get('error')}", 500
        session["user"] = result["id_token_claims"]["sub"]
        return redirect("/private")

    @app.get("/private")
    def private() -> object:
        return ("Welcome " + session["user"]) if "user" in session else redirect("/login")

    return app


@pytest.fixture
def signer(emulator) -> Iterator:
    servers = []

    def make(style: str, idp: dict | None = None) -> NewSignIn:
        idp = idp or emulator.config
        port = free_port()
        server = make_server("127.0.0.1", port, small_app(emulator.config, port, style), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        profile = AppProfile(
            name=style, url=f"http://127.0.0.1:{port}", protected="/private", sign_in="/login",
            sign_in_via="form" if style == "form" else ("link" if style == "link" else "redirect"),
            callback="/cb", pages=("/private",), public=("/",), api=None, sign_out=None,
            signed_in=(Match(status=200, text="Welcome"),), sent_to_sign_in=(Match(status=302, location="/login"),),
            handled=(Match(status=503, header="Retry-After"),),
        )  # fmt: skip
        environment = Environment(events=events, host=profile.url)
        environment.drill_run = DrillRun(Plan("s", 1, 1.0, 5.0, {"new_sign_in": 1}, (PhasePlan("a", 0, 5),), profile, idp))
        user = type("Browser", (NewSignIn,), {"host": profile.url})(environment)
        user.on_start()
        return user

    yield make
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("style", ["redirect", "link", "form"])
def test_sign_in_reaches_the_protected_page_however_it_starts(signer, style):
    assert full_sign_in(signer(style)) == ("ok", "")


def test_the_apps_designed_answer_is_handled(signer):
    outcome, reason = full_sign_in(signer("busy"))
    assert outcome == "handled" and "handled" in reason


def test_a_browser_sent_to_a_dead_idp_fails(signer, emulator):
    """B2C's pages reset every connection; the app itself (metadata, keys) is unaffected and sends
    the browser there all the same."""
    user = signer("redirect")
    emulator.fault(kind="outage", group="pages", mode="reset")
    outcome, reason = full_sign_in(user)
    assert outcome == "failed" and reason.startswith("authorize: no answer from the IdP"), reason
