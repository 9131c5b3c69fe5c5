"""The personas: one Locust user class each. Each logical operation is reported once as a
`PERSONA` request with its outcome: `ok`, `handled` (a response the app was designed to give, such
as the 503 "sign-in unavailable" page during an outage) or `failed`."""

from __future__ import annotations

import time
import uuid
from typing import Any

from locust import HttpUser, between, task

from loadtests.collect import PERSONA
from loadtests.config import b2c_config, next_user
from toolkit import flows


class Persona(HttpUser):
    """Shared set-up: trust the IdP's CA only, know the B2C configuration, report outcomes."""

    abstract = True
    wait_time = between(0.5, 1.5)
    persona = ""

    def on_start(self) -> None:
        """Trust the emulator's CA, pick credentials."""
        self.b2c = b2c_config(self.environment.parsed_options.b2c_config)
        self.client.trust_env = False
        self.client.verify = self.b2c.get("ca_bundle") or True
        self.account = next_user(self.b2c)
        self.id = uuid.uuid4().hex[:8]

    def report(self, outcome: str, started: float, **context: Any) -> None:
        """One logical operation of this persona."""
        self.environment.events.request.fire(
            request_type=PERSONA,
            name=self.persona,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(context.get("reason", "failed")) if outcome == "failed" else None,
            context={"outcome": outcome, "user": self.id, **context},
        )

    def page(self, path: str) -> tuple[str, Any]:
        """GET an app page; classify the answer."""
        with self.client.get(path, allow_redirects=False, name=f"{self.persona} {path}", catch_response=True) as reply:
            if reply.status_code == 200:
                reply.success()
                return ("handled" if 'id="limited-mode"' in reply.text else "ok"), reply
            if reply.status_code == 302 and "/auth/login" in reply.headers.get("Location", ""):
                reply.failure("sent back to sign in")
                return "logged_out", reply
            reply.failure(f"HTTP {reply.status_code}")
            return "failed", reply


class Anonymous(Persona):
    """Browses public pages."""

    persona = "anonymous"

    @task
    def home(self) -> None:
        """The public home page."""
        started = time.perf_counter()
        outcome, _ = self.page("/")
        self.report(outcome if outcome != "logged_out" else "failed", started)


def full_sign_in(user: Persona, username: str, password: str, next_path: str = "/profile") -> str:
    """app login → B2C page → SelfAsserted → confirmed → app callback. Returns `ok`, or
    `handled` when the app answered its sign-in-unavailable page. Raises FlowError otherwise."""
    name = user.persona
    authorize = _app_redirect(user, "/auth/login", {"next": next_path}, f"{name} 1 app /auth/login")
    if authorize is None:
        return "handled"
    page = flows.open_page(user.client, authorize, name=f"{name} 2 b2c authorize")
    if isinstance(page, flows.Page):
        result = flows.submit(user.client, page, {"signInName": username, "password": password}, name=f"{name} 3 b2c SelfAsserted")
        if result.get("status") != "200":
            raise flows.FlowError(f"sign-in refused: {result.get('errorCode')}")
        page = flows.confirm(user.client, page, name=f"{name} 4 b2c confirmed")
    if not isinstance(page, flows.Arrival):
        raise flows.FlowError("no way back to the app")
    landed = _app_redirect(user, page.url, page.params, f"{name} 5 app /auth/callback")
    return "handled" if landed is None else "ok"


def _app_redirect(user: Persona, url: str, params: dict[str, str], name: str) -> str | None:
    """The app's redirect target, or None when it answered its sign-in-unavailable page (503)."""
    with user.client.get(url, params=params, allow_redirects=False, name=name, catch_response=True) as reply:
        if reply.status_code == 503:
            reply.success()
            return None
        if reply.status_code != 302:
            reply.failure(f"HTTP {reply.status_code}")
            raise flows.FlowError(f"{name} answered {reply.status_code}")
        return str(reply.headers["Location"])


class SignedIn(Persona):
    """Signs in once through the full flow, then browses protected pages and the API page."""

    persona = "signed_in"

    def on_start(self) -> None:
        """Sign in (again later if B2C is down right now)."""
        super().on_start()
        self.signed_in = False
        self.sign_in()

    def sign_in(self) -> None:
        """The full flow; not an operation of this persona (that is new_sign_in's job)."""
        try:
            self.signed_in = full_sign_in(self, self.account["username"], self.account["password"]) == "ok"
        except flows.FlowError:
            self.signed_in = False

    def visit(self, path: str) -> None:
        """One page view as a signed-in user."""
        if not self.signed_in:
            self.sign_in()
            return
        started = time.perf_counter()
        outcome, _ = self.page(path)
        if outcome == "logged_out":
            self.signed_in = False
            self.report("failed", started, logged_out=True, reason="sent back to sign in")
        else:
            self.report(outcome, started)

    @task(3)
    def profile(self) -> None:
        """The claims page."""
        self.visit("/profile")

    @task(2)
    def call_api(self) -> None:
        """The page that calls the API with the user's token."""
        self.visit("/call-api")

    @task(1)
    def home(self) -> None:
        """The home page, signed in."""
        self.visit("/")


class NewSignIn(Persona):
    """The full B2C flow every iteration, with a fresh cookie jar (no SSO shortcut)."""

    persona = "new_sign_in"

    @task
    def sign_in(self) -> None:
        """authorize → login form → callback → page."""
        self.client.cookies.clear()
        started = time.perf_counter()
        try:
            outcome = full_sign_in(self, self.account["username"], self.account["password"])
            if outcome == "ok":
                landed, _ = self.page("/profile")
                outcome = "ok" if landed == "ok" else "failed"
        except flows.FlowError as exc:
            self.report("failed", started, reason=str(exc))
            return
        self.report(outcome, started)


class Daemon(Persona):
    """A back-office daemon: the reference daemon (`sample_app.daemon.Daemon`, one per virtual
    user, with its own msal token cache and breakers) calling `/api/report` with an app-only token
    from the client credentials grant. Each token request that leaves it is reported too (as
    `daemon:token`), for the "one per Retry-After window" objective."""

    persona = "daemon"

    def on_start(self) -> None:
        """Build this daemon from the tenant configuration (settings as the daemon reads them)."""
        super().on_start()
        from sample_app.config import load_settings
        from sample_app.daemon import Daemon as ReferenceDaemon

        settings = load_settings({"B2C_STATE_DIR": "/nonexistent"})  # built-in defaults only
        oidc = self.b2c.get("oidc_authority", "")
        settings.update(
            B2C_CA_BUNDLE=self.b2c.get("ca_bundle") or "",
            B2C_BASE_URL=self.b2c.get("base_url", ""),
            B2C_TENANT=self.b2c.get("tenant", ""),
            B2C_SIGNUP_SIGNIN_POLICY=self.b2c.get("policies", {}).get("signup_signin", ""),
            OIDC_AUTHORITY=oidc,
            DAEMON_CLIENT_ID=self.b2c["daemon_client_id"],
            DAEMON_CLIENT_SECRET=self.b2c["daemon_client_secret"],
            API_APP_ID_URI=self.b2c["api_app_id_uri"],
            API_BASE_URL=self.host,
            IDP_CACHE_DIR="",  # last-known-good discovery in memory
        )
        self.daemon = ReferenceDaemon(settings)
        self.reported_tokens = 0

    @task
    def report_call(self) -> None:
        """One scheduled call of the API (getting or refreshing the token as the daemon does)."""
        started = time.perf_counter()
        outcome = self.daemon.call()
        self.report("ok" if outcome == "ok" else "failed", started, reason=outcome)
        sent = self.daemon.tally.token_requests[self.reported_tokens :]
        self.reported_tokens += len(sent)
        for _, result in sent:
            self.environment.events.request.fire(
                request_type=PERSONA,
                name="daemon:token",
                response_time=0,
                response_length=0,
                exception=None,
                context={"outcome": "ok" if result == "ok" else "failed", "user": self.id},
            )

    def on_stop(self) -> None:
        """Close the daemon's connections."""
        self.daemon.idp.close()
        self.daemon.api.close()


class ApiCaller(Persona):
    """Calls the API with a bearer token (from B2C's ROPC policy, which Microsoft discourages and
    External ID does not offer), refreshing it when refused. `daemon` is the default API persona."""

    persona = "api_caller"

    def on_start(self) -> None:
        """Get a token."""
        super().on_start()
        self.token: str | None = None
        self.get_token()

    def get_token(self) -> None:
        """ROPC grant against the ROPC policy (a daemon-like caller)."""
        authority = self.b2c["authority"].rsplit("/", 1)[0] + "/" + self.b2c["policies"]["ropc"]
        form = {
            "grant_type": "password",
            "client_id": self.b2c["client_id"],
            "client_secret": self.b2c["client_secret"],
            "username": self.account["username"],
            "password": self.account["password"],
            "scope": f"{self.b2c['api_scope']} openid",
        }
        with self.client.post(
            authority + "/oauth2/v2.0/token", data=form, name="api_caller b2c token (ROPC)", catch_response=True
        ) as reply:
            if reply.status_code == 200:
                self.token = reply.json().get("access_token")
            else:
                reply.success()  # B2C being down is the scenario, not a test failure
                self.token = None

    @task
    def hello(self) -> None:
        """GET /api/hello with the bearer token."""
        if self.token is None:
            self.get_token()
            return
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.get("/api/hello", headers=headers, name="api_caller /api/hello", catch_response=True) as reply:
            if reply.status_code == 200:
                reply.success()
                self.report("ok", started)
                return
            reply.failure(f"HTTP {reply.status_code}")
            if reply.status_code == 401:
                self.token = None
        self.report("failed", started, reason=f"HTTP {reply.status_code}")


PERSONAS: dict[str, type[Persona]] = {cls.persona: cls for cls in (Anonymous, SignedIn, NewSignIn, Daemon, ApiCaller)}
