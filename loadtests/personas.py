"""The personas: one Locust user class each, driving whatever app the plan's profile describes.
Each logical operation is reported once as a `PERSONA` request with its outcome (see
`loadtests.contract`): `ok`, `handled` (an answer the app was designed to give, such as a 503
"sign-in unavailable" page) or `failed`."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from locust import HttpUser, between, constant, task

from loadtests.collect import PERSONA
from loadtests.config import drill_run
from loadtests.contract import (
    ANONYMOUS,
    API_CALLER,
    CALL,
    DAEMON,
    DAEMON_TOKEN,
    FAILED,
    HANDLED,
    NEW_SIGN_IN,
    OK,
    SIGNED_IN,
    AppProfile,
    DaemonEvent,
)
from toolkit import flows

AUTHORIZE = "/oauth2/v2.0/authorize"
_LINK = flows.AUTHORIZE_LINK
find_form = flows.find_form
MAX_HOPS = 5


#: a request that receives nothing for this long is cut and recorded as failed, with the time it
#: waited: an app that hangs on a body that never ends shows in the figures instead of vanishing
REQUEST_TIMEOUT_S = 20.0
#: what a request still unanswered when the run ends is recorded as (failed, with the time it waited)
UNANSWERED = "unanswered when the run ended"


def tracked(request: Callable[..., Any], in_flight: dict[int, tuple[str, str, float]]) -> Callable[..., Any]:
    """`request(method, url, ...)` with a timeout of REQUEST_TIMEOUT_S unless given, keeping each
    request in `in_flight` (method, Locust name, start) until it is answered. A request the end of
    the run interrupts (GreenletExit) stays there, for `on_stop` to record."""
    numbers = itertools.count()

    def call(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_S)
        number = next(numbers)
        in_flight[number] = (method.upper(), kwargs.get("name") or url, time.perf_counter())
        try:
            reply = request(method, url, *args, **kwargs)
        except Exception:
            in_flight.pop(number, None)
            raise
        in_flight.pop(number, None)
        return reply

    return call


class Persona(HttpUser):
    """Shared set-up: the plan, trust the IdP's CA only, report outcomes."""

    abstract = True
    wait_time = between(0.5, 1.5)
    persona = ""

    def on_start(self) -> None:
        """Read the plan, pick credentials."""
        run = drill_run(self.environment)
        the_plan = run.plan
        self.app: AppProfile = the_plan.app
        self.idp = the_plan.idp
        self.client.base_url = self.app.url
        self.client.trust_env = False
        self.client.verify = the_plan.trust or self.idp.get("ca_bundle") or True
        self.account = run.next_user()
        self.id = uuid.uuid4().hex[:8]
        self.in_flight: dict[int, tuple[str, str, float]] = {}
        self.client.request = tracked(self.client.request, self.in_flight)  # type: ignore[method-assign]

    def on_stop(self) -> None:
        """Record the requests the end of the run interrupted as failed, with the time they waited."""
        now = time.perf_counter()
        for method, name, started in self.in_flight.values():
            self.environment.events.request.fire(
                request_type=method,
                name=name,
                response_time=(now - started) * 1000,
                response_length=0,
                exception=RuntimeError(UNANSWERED),
                context={},
            )
        self.in_flight.clear()

    def report(self, outcome: str, started: float, **context: Any) -> None:
        """One logical operation of this persona."""
        self.environment.events.request.fire(
            request_type=PERSONA,
            name=self.persona,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(context.get("reason", "failed")) if outcome == FAILED else None,
            context={"outcome": outcome, "user": self.id, **context},
        )

    def page(self, path: str) -> tuple[str, str]:
        """GET an app page as a signed-in user: `ok`, `handled`, `logged_out` or `failed`, and why."""
        with self.client.get(path, allow_redirects=False, name=f"{self.persona} {path}", catch_response=True) as reply:
            outcome = self.app.classify(reply.status_code, reply.headers, reply.text or "")
            reason = f"HTTP {reply.status_code}" if reply.status_code else f"connection error: {reply.error}"
            if outcome in (OK, HANDLED):
                reply.success()
            else:
                reply.failure("sent back to sign in" if outcome == "logged_out" else reason)
            return outcome, reason


class Anonymous(Persona):
    """Browses public pages."""

    persona = ANONYMOUS

    @task
    def browse(self) -> None:
        """A public page: any answer below 400 is fine, a handled one is handled."""
        started = time.perf_counter()
        path = random.choice(self.app.public)
        with self.client.get(path, allow_redirects=False, name=f"{self.persona} {path}", catch_response=True) as reply:
            if any(m.matches(reply.status_code, reply.headers, reply.text or "") for m in self.app.handled):
                reply.success()
                self.report(HANDLED, started)
            elif 0 < reply.status_code < 400:
                reply.success()
                self.report(OK, started)
            else:
                reply.failure(f"HTTP {reply.status_code}")
                self.report(FAILED, started, reason=f"HTTP {reply.status_code}" if reply.status_code else "connection error")


def _authorize_url(user: Persona) -> str | None:
    """Start sign-in at the app until the browser is sent to the IdP's authorize endpoint: a 302,
    a link or meta refresh on a page, or a form to submit. None: the app answered a handled page."""
    app, name = user.app, user.persona
    url, method, data = app.sign_in, "GET", None
    for hop in range(MAX_HOPS):
        with user.client.request(
            method, url, data=data, allow_redirects=False, name=f"{name} {hop + 1} app sign-in", catch_response=True
        ) as reply:
            status, body = reply.status_code, reply.text or ""
            if any(m.matches(status, reply.headers, body) for m in app.handled):
                reply.success()
                return None
            if 300 <= status < 400 and reply.headers.get("Location"):
                reply.success()
                target = urljoin(str(reply.url), reply.headers["Location"])
                if AUTHORIZE in target:
                    return target
                url, method, data = target, "GET", None
                continue
            if status != 200:
                reply.failure(f"HTTP {status}" if status else f"connection error: {reply.error}")
                raise flows.FlowError(f"sign-in start answered {status or 'no connection'}")
            reply.success()
        link = flows.authorize_link(body, str(reply.url))
        if link and app.sign_in_via != "form":
            return link
        form = find_form(body, str(reply.url)) if app.sign_in_via == "form" else None
        if form is None:
            raise flows.FlowError("the sign-in page has no way to the IdP")
        url, method, data = form
    raise flows.FlowError(f"sign-in did not reach the IdP within {MAX_HOPS} hops")


def sign_out(user: Persona) -> None:
    """Sign out as a browser would: submit the sign-out form of the protected page (with its
    anti-forgery field), or follow the sign-out link. The IdP's own sign-out is not followed."""
    sign_out_path = user.app.sign_out
    if sign_out_path is None:
        return
    page = user.client.get(user.app.protected, allow_redirects=False, name=f"{user.persona} app page before sign-out")
    form = find_form(page.text or "", str(page.url), sign_out_path)
    if form is None:
        user.client.get(sign_out_path, allow_redirects=False, name=f"{user.persona} app sign-out")
    else:
        url, method, fields = form
        user.client.request(method, url, data=fields, allow_redirects=False, name=f"{user.persona} app sign-out")


def full_sign_in(user: Persona) -> tuple[str, str]:
    """Sign-in start → B2C page → SelfAsserted → confirmed → the app's callback → the protected
    page. Returns (`ok` | `handled` | `failed`, reason)."""
    app, name = user.app, user.persona
    try:
        authorize = _authorize_url(user)
        if authorize is None:
            return HANDLED, "the app answered a handled page"
        page = flows.open_page(user.client, authorize, name=f"{name} b2c authorize")
        if isinstance(page, flows.Page):
            fields = {app.username_field: user.account["username"], "password": user.account["password"]}
            result = flows.submit(user.client, page, fields, name=f"{name} b2c SelfAsserted")
            if result.get("status") != "200":
                return FAILED, f"sign-in refused: {result.get('errorCode')}"
            page = flows.confirm(user.client, page, name=f"{name} b2c confirmed")
        if not isinstance(page, flows.Arrival):
            return FAILED, "no way back to the app"
    except flows.FlowError as exc:
        return FAILED, str(exc)
    with flows.back_to_app(user.client, page, name=f"{name} app callback {app.callback}", catch_response=True) as reply:
        if any(m.matches(reply.status_code, reply.headers, reply.text or "") for m in app.handled):
            reply.success()
            return HANDLED, f"callback answered a handled page ({reply.status_code})"
        if reply.status_code == 0 or reply.status_code >= 400:
            reply.failure(f"HTTP {reply.status_code}")
            return FAILED, f"callback answered {reply.status_code or 'no connection'}"
        reply.success()
    outcome, reason = user.page(app.protected)
    if outcome == "logged_out":
        return FAILED, "signed in, then sent back to sign in"
    return outcome, "" if outcome == OK else reason


class SignedIn(Persona):
    """Signs in once through the full flow, then browses the pages a signed-in user browses."""

    persona = SIGNED_IN

    def on_start(self) -> None:
        """Sign in (again later if that fails now)."""
        super().on_start()
        self.signed_in = False
        self.sign_in()

    def sign_in(self) -> None:
        """The full flow; not an operation of this persona (that is new_sign_in's job)."""
        self.signed_in = full_sign_in(self)[0] == OK

    @task
    def visit(self) -> None:
        """One page view as a signed-in user."""
        if not self.signed_in:
            self.sign_in()
            return
        started = time.perf_counter()
        outcome, reason = self.page(random.choice(self.app.pages))
        if outcome == "logged_out":
            self.signed_in = False
            self.report(FAILED, started, logged_out=True, reason="sent back to sign in")
        else:
            self.report(outcome, started, reason="" if outcome == OK else reason)


class NewSignIn(Persona):
    """The full sign-in every iteration, with a fresh cookie jar (no SSO shortcut), then sign-out."""

    persona = NEW_SIGN_IN

    @task
    def sign_in(self) -> None:
        """sign-in start → B2C → callback → protected page."""
        self.client.cookies.clear()
        started = time.perf_counter()
        outcome, reason = full_sign_in(self)
        self.report(outcome, started, reason="" if outcome == OK else reason)
        if outcome == OK:
            sign_out(self)


class Daemon(Persona):
    """A back-office daemon: the app's own (the profile's `[app.daemon]`, the reference daemon for
    the reference app), one process per virtual user, calling the app's API with app-only tokens.
    It reports each call and each token request to its own events file as it goes (`DaemonEvent`);
    this user starts it, reads what it reported once a second and records each call as an
    operation of this persona, timed from when the daemon started it, and each token request as
    `daemon:token`, for the "one per Retry-After window" objective."""

    persona = DAEMON
    wait_time = constant(1)

    def on_start(self) -> None:
        """Start this daemon's process."""
        super().on_start()
        plan = drill_run(self.environment).plan
        daemon = plan.daemon
        if daemon is None:
            raise RuntimeError("the plan names no daemon (the profile's [app.daemon])")
        folder = Path(plan.out or tempfile.mkdtemp(prefix="drill-")) / "daemons"
        folder.mkdir(parents=True, exist_ok=True)
        self.events = folder / f"{self.id}.jsonl"
        self.events.touch()
        self.log = folder / f"{self.id}.log"
        self.read_to = 0  #: bytes of the events file already read
        given = str(self.events)
        environ = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")}
        environ.update({name: value.replace("{events}", given) for name, value in daemon.env.items()})
        self.process: subprocess.Popen[bytes] | None = None
        with open(self.log, "ab") as log:  # its own process group: stopping it stops what it started
            try:
                self.process = subprocess.Popen(
                    [arg.replace("{events}", given) for arg in daemon.command],
                    stdout=log, stderr=subprocess.STDOUT, env=environ, cwd=daemon.cwd, start_new_session=True,
                )  # fmt: skip
            except OSError as exc:  # fails every second, as a daemon that exits does
                log.write(f"could not start {daemon.command[0]!r}: {exc}\n".encode())

    @task
    def read_events(self) -> None:
        """Record what the daemon reported since the last look; a daemon that exited is a failure."""
        self._record_new_events()
        if self.process is None or self.process.poll() is not None:
            ended = "could not start" if self.process is None else f"exited with {self.process.returncode}"
            self.report(FAILED, time.perf_counter(), reason=f"the daemon {ended}; see {self.log}")

    def _record_new_events(self) -> None:
        with open(self.events, "rb") as fh:
            fh.seek(self.read_to)
            lines = fh.read().split(b"\n")
        self.read_to += sum(len(line) + 1 for line in lines[:-1])  # a last line without its newline waits
        for line in lines[:-1]:
            event = DaemonEvent.from_json(line.decode(errors="replace"))
            if event is not None:
                self._record(event)

    def _record(self, event: DaemonEvent) -> None:
        outcome = event.counted_as
        self.environment.events.request.fire(
            request_type=PERSONA,
            name=DAEMON if event.event == CALL else DAEMON_TOKEN,
            response_time=event.ms,
            response_length=0,
            exception=RuntimeError(event.outcome) if outcome == FAILED else None,
            context={
                "outcome": outcome,
                "user": self.id,
                "started_at": event.t,
                "reason": "" if outcome == OK else event.outcome,
                "genuine_tokens_refused": event.refused,  # the daemon's tokens are the IdP's own: genuine
            },
        )

    def on_stop(self) -> None:
        """Stop the daemon (and what it started), then record what it reported meanwhile."""
        super().on_stop()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._record_new_events()


class ApiCaller(Persona):
    """Calls the app's API with a bearer token (from B2C's ROPC policy, which Microsoft discourages
    and External ID does not offer), getting a new one when refused. `daemon` is the default API
    persona."""

    persona = API_CALLER

    def on_start(self) -> None:
        """Get a token."""
        super().on_start()
        self.token: str | None = None
        self.get_token()

    def get_token(self) -> None:
        """ROPC grant against the ROPC policy (a daemon-like caller)."""
        url, form = flows.token_request(self.idp, self.account)
        with self.client.post(url, data=form, name="api_caller b2c token (ROPC)", catch_response=True) as reply:
            if reply.status_code == 200:
                self.token = reply.json().get("access_token")
            else:
                reply.success()  # B2C being down is the scenario, not a test failure
                self.token = None

    @task
    def call(self) -> None:
        """The app's API with the bearer token."""
        if self.token is None or self.app.api is None:
            self.get_token()
            return
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.get(self.app.api, headers=headers, name=f"api_caller {self.app.api}", catch_response=True) as reply:
            if reply.status_code == 200:
                reply.success()
                self.report(OK, started)
                return
            if any(m.matches(reply.status_code, reply.headers, reply.text or "") for m in self.app.handled):
                reply.success()
                self.report(HANDLED, started, reason=f"HTTP {reply.status_code}")
                return
            reply.failure(f"HTTP {reply.status_code}")
            refused = int(reply.status_code == 401)  # the token came from the IdP: a genuine one
            if refused:
                self.token = None
        self.report(
            FAILED, started, reason=f"HTTP {reply.status_code}" if reply.status_code else "connection error", genuine_tokens_refused=refused
        )


PERSONAS: dict[str, type[Persona]] = {cls.persona: cls for cls in (Anonymous, SignedIn, NewSignIn, Daemon, ApiCaller)}
