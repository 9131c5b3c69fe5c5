"""The user journeys: authorize, pages shaped like B2C's self-asserted page, and the XHR and
navigation calls a real B2C page makes (`SelfAsserted`, `api/.../confirmed`, `unified`).

The HTTP steps a non-browser client takes (the Locust driver follows them, and they match what
public load-test scripts do against real B2C; see docs/emulator.md):

1. GET  /{tenant}/{policy}/oauth2/v2.0/authorize?...  → 200 HTML with `var SETTINGS = {...};`
   (`csrf`, `transId`, `api`, `hosts`) and cookies `x-ms-cpim-csrf`, `x-ms-cpim-trans`.
2. POST {hosts.tenant}/SelfAsserted?tx={transId}&p={policy} with header `X-CSRF-TOKEN`, form
   `request_type=RESPONSE&signInName=..&password=..` → 200 `{"status":"200"}` or
   `{"status":"400","errorCode":"AADB2C90054",...}`.
3. GET  {hosts.tenant}/api/{api}/confirmed?rememberMe=false&csrf_token={csrf}&tx={transId}&p={policy}
   → 302 to `redirect_uri?code=..&state=..` (or a form_post page, or the next page of the journey).
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, jsonify, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from toolkit.emulator.oidc import SSO_COOKIE, emulator, loopback_or_registered, resolve
from toolkit.emulator.state import User
from toolkit.emulator.tokens import Code, b64url, b64url_decode, same

bp = Blueprint("journeys", __name__)
TRANSACTION_LIFETIME_S = 1800
CSRF_COOKIE, TRANS_COOKIE = "x-ms-cpim-csrf", "x-ms-cpim-trans"
FORGOT = "AADB2C90118: The user has forgotten their password."
CANCELLED = "AADB2C90091: The user has cancelled entering self-asserted information."
#: page kind → (SETTINGS.api, page title)
PAGES = {
    "signin": ("CombinedSigninAndSignup", "Sign in"),
    "signup": ("SelfAsserted", "Sign up"),
    "profile": ("SelfAsserted", "Edit profile"),
    "reset": ("SelfAsserted", "Reset your password"),
}


@dataclass
class Transaction:
    """One authorization request in progress (B2C's `StateProperties` transaction)."""

    tid: str
    csrf: str
    policy: str
    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    scope: str
    response_mode: str
    steps: list[str]  #: pages still to show, current first
    user: User | None = None  #: set once a page has identified the user
    done: bool = False  #: the current page was submitted successfully
    auth_time: int = 0
    created: float = field(default_factory=time.time)

    @property
    def trans_id(self) -> str:
        """`StateProperties=` + base64url of `{"TID": ...}`, as B2C writes it."""
        return "StateProperties=" + b64url(json.dumps({"TID": self.tid}, separators=(",", ":")).encode())


class Transactions:
    """In-memory transactions, expiring after 30 minutes."""

    def __init__(self) -> None:
        self._items: dict[str, Transaction] = {}

    def add(self, tx: Transaction) -> None:
        """Keep a new transaction (and forget expired ones)."""
        now = time.time()
        if len(self._items) > 10000:
            self._items = {k: t for k, t in self._items.items() if t.created + TRANSACTION_LIFETIME_S > now}
        self._items[tx.tid] = tx

    def get(self, trans_id: str) -> Transaction | None:
        """Look a transaction up by the `tx` parameter (with or without its prefix)."""
        value = trans_id
        while value.startswith("StateProperties="):
            value = value[len("StateProperties=") :]
        try:
            tid = json.loads(b64url_decode(value)).get("TID")
        except (ValueError, AttributeError, RecursionError):  # RecursionError: `[[[[...` nested past Python's limit
            return None
        tx = self._items.get(str(tid))
        if tx is None or tx.created + TRANSACTION_LIFETIME_S < time.time():
            return None
        return tx

    def discard(self, tx: Transaction) -> None:
        """End a transaction."""
        self._items.pop(tx.tid, None)


def _error_page(message: str, status: int = 400) -> Response:
    response = make_response(render_template("error.html", message=message), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to_app(tx_or_request: Transaction | dict[str, str], params: dict[str, str]) -> Response:
    """Redirect to the app with `params` (+ state), honouring response_mode."""
    if isinstance(tx_or_request, Transaction):
        redirect_uri, state, mode = tx_or_request.redirect_uri, tx_or_request.state, tx_or_request.response_mode
    else:
        redirect_uri, state, mode = tx_or_request["redirect_uri"], tx_or_request.get("state"), tx_or_request.get("response_mode", "query")
    if state is not None:
        params = {**params, "state": state}
    if mode == "form_post":
        return make_response(render_template("form_post.html", action=redirect_uri, fields=params))
    separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
    response = redirect(redirect_uri + separator + urlencode(params))
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_redirect(target: Transaction | dict[str, str], error: str, description: str) -> Response:
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return _back_to_app(
        target, {"error": error, "error_description": f"{description}\r\nCorrelation ID: {secrets.token_hex(16)}\r\nTimestamp: {stamp}\r\n"}
    )


def _sso_cookie_name() -> str:
    return f"{SSO_COOKIE}:{emulator().state.tenant.domain}"


def _issue_code(tx: Transaction, remember: bool = False) -> Response:
    emu = emulator()
    assert tx.user is not None
    code = Code(
        tx.user.oid,
        tx.policy,
        tx.client_id,
        tx.redirect_uri,
        tx.scope,
        tx.nonce,
        tx.code_challenge,
        tx.code_challenge_method,
        tx.auth_time,
        time.time() + 600,
    )
    params = {"code": emu.tokens.new_code(code)}
    emu.transactions.discard(tx)
    response = _back_to_app(tx, params)
    cookie = emu.tokens.session_cookie(tx.user, tx.auth_time)
    max_age = emu.tokens.lifetimes.session if remember else None
    response.set_cookie(_sso_cookie_name(), cookie, max_age=max_age, secure=True, httponly=True, samesite="None", path="/")
    return response


def _render(tx: Transaction, error: str | None = None) -> Response:
    kind = tx.steps[0]
    api, title = PAGES[kind]
    t = emulator().state.tenant
    host_path = f"/{t.domain}/{tx.policy}"
    settings = {
        "csrf": tx.csrf,
        "transId": tx.trans_id,
        "api": api,
        "pageViewId": secrets.token_hex(16),
        "hosts": {"tenant": host_path, "policy": tx.policy, "static": "/static/"},
        "locale": {"lang": "en"},
        "config": {"showSignupLink": "True" if kind == "signin" else "False"},
    }
    query = urlencode({"csrf_token": tx.csrf, "tx": tx.trans_id, "p": tx.policy})
    links = {
        "signup": f"{host_path}/api/CombinedSigninAndSignup/unified?claimsexchange=SignUpWithLogonEmailExchange&{query}",
        "forgot": f"{host_path}/api/CombinedSigninAndSignup/unified?claimsexchange=ForgotPasswordExchange&{query}",
        "cancel": f"{host_path}/api/{api}/cancel?{query}",
        "confirmed": f"{host_path}/api/{api}/confirmed?rememberMe=false&{query}",
        "self_asserted": f"{host_path}/SelfAsserted?{urlencode({'tx': tx.trans_id, 'p': tx.policy})}",
    }
    user = tx.user
    html = render_template(
        "page.html", kind=kind, title=title, settings=json.dumps(settings, separators=(",", ":")), links=links, error=error, user=user
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(CSRF_COOKIE, tx.csrf, secure=True, httponly=False, samesite="None", path="/")
    response.set_cookie(TRANS_COOKIE, b64url(json.dumps({"TID": tx.tid}).encode()), secure=True, httponly=True, samesite="None", path="/")
    return response


@bp.get("/<tenant>/<policy>/oauth2/v2.0/authorize")
def authorize(tenant: str, policy: str) -> Response:
    """Start a journey: check the request, then SSO straight back to the app, or show a page."""
    policy = resolve(tenant, policy)
    emu = emulator()
    args = request.args
    redirect_uri = args.get("redirect_uri", "")
    if args.get("client_id") != emu.state.tenant.client_id:
        return _error_page("AADB2C90117: The client id in the request is not registered in this tenant.")
    if not redirect_uri or not loopback_or_registered(redirect_uri):
        return _error_page("AADB2C90006: The redirect URI provided in the request is not registered for the client id.")
    target = {"redirect_uri": redirect_uri, "state": args.get("state", ""), "response_mode": args.get("response_mode", "query")}
    if args.get("response_type", "") != "code":
        return _error_redirect(target, "unsupported_response_type", "AADB2C90079: Only response_type=code is supported by this emulator.")
    method = args.get("code_challenge_method", "plain" if args.get("code_challenge") else "S256")
    if method not in ("S256", "plain"):
        return _error_redirect(target, "invalid_request", "AADB2C90183: The code_challenge_method is not supported.")
    role = emu.role(policy)
    session = emu.tokens.read_session(request.cookies.get(_sso_cookie_name()))
    prompt = args.get("prompt", "")
    if prompt == "none" and (session is None or role != "signup_signin"):
        return _error_redirect(
            target,
            "interaction_required",
            "AADB2C90077: User does not have an existing session and request prompt parameter has a value of 'None'.",
        )
    steps = {"signup_signin": ["signin"], "edit_profile": ["signin", "profile"], "reset_password": ["reset"], "ropc": ["signin"]}[role]
    tx = Transaction(
        tid=secrets.token_hex(16),
        csrf=b64url(secrets.token_bytes(24)),
        policy=policy,
        client_id=emu.state.tenant.client_id,
        redirect_uri=redirect_uri,
        state=args.get("state"),
        nonce=args.get("nonce"),
        code_challenge=args.get("code_challenge"),
        code_challenge_method=method,
        scope=args.get("scope", "openid"),
        response_mode=target["response_mode"],
        steps=steps,
    )
    if session is not None and prompt != "login" and role in ("signup_signin", "edit_profile"):
        tx.user, tx.auth_time = session
        if role == "signup_signin":
            return _issue_code(tx)
        tx.steps = ["profile"]
    emulator().transactions.add(tx)
    return _render(tx)


def _transaction(check_header: bool) -> Transaction | Response:
    """The transaction a page call belongs to, after the CSRF checks B2C makes."""
    tx = emulator().transactions.get(request.args.get("tx", ""))
    if tx is None:
        return _error_page(
            "AADB2C90046: We are having trouble loading your current state. You might want to try starting your session over from the beginning."
        )
    token = request.headers.get("X-CSRF-TOKEN") if check_header else request.args.get("csrf_token")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not token or not same(token, tx.csrf) or (cookie is not None and cookie != tx.csrf):
        response = (
            jsonify(status="403", errorCode="AADB2C90210", message="The request is not valid: anti-forgery token mismatch.")
            if check_header
            else _error_page("AADB2C90210: anti-forgery token mismatch.", 403)
        )
        response.status_code = 403
        return response
    return tx


def in_transaction(check_header: bool) -> Callable[[Callable[[Transaction], Response]], Callable[..., Response]]:
    """For the page's own calls: resolve the policy and its transaction (with B2C's CSRF checks),
    then hand the transaction to the view; a missing or forged one is answered here."""

    def wrap(view: Callable[[Transaction], Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(tenant: str, policy: str, api: str = "") -> Response:
            resolve(tenant, policy)
            found = _transaction(check_header)
            return found if isinstance(found, Response) else view(found)

        return handler

    return wrap


def _field(*names: str, secret: bool = False) -> str:
    """The first non-empty form field among `names` (passwords are not stripped)."""
    for name in names:
        value = request.form.get(name)
        if value:
            return value if secret else value.strip()
    return ""


def _self_asserted_error(code: str, message: str) -> Response:
    response = jsonify(status="400", errorCode=code, message=message)
    response.mimetype = "text/json"
    return response


@bp.post("/<tenant>/<policy>/SelfAsserted")
@in_transaction(check_header=True)
def self_asserted(tx: Transaction) -> Response:
    """The page's XHR: always HTTP 200; the outcome is in the JSON body."""
    state = emulator().state
    kind = tx.steps[0]
    if kind == "signin":
        user = state.find_user(_field("signInName", "logonIdentifier", "email", "username"))
        if user is None:
            return _self_asserted_error("AADB2C90053", "We can't seem to find your account.")
        if not same(_field("password", secret=True), user.password):
            return _self_asserted_error("AADB2C90054", "Your password is incorrect.")
        tx.user, tx.auth_time = user, int(time.time())
    elif kind == "signup":
        email, password = _field("email"), _field("newPassword", "password", secret=True)
        if "@" not in email or len(password) < 8:
            return _self_asserted_error("AADB2C90046", "Enter a valid email address and a password of at least 8 characters.")
        if password != (_field("reenterPassword", secret=True) or password):
            return _self_asserted_error("AADB2C90046", "The password entry fields do not match.")
        if state.find_user(email) is not None:
            return _self_asserted_error("AADB2C90032", "A user with the specified ID already exists. Please choose a different one.")
        tx.user, tx.auth_time = state.add_user(email, password, _field("displayName")), int(time.time())
    elif kind == "profile":
        assert tx.user is not None
        with state.lock:
            tx.user.name = _field("displayName") or tx.user.name
            state.save_users()
    elif kind == "reset":
        user = state.find_user(_field("email"))
        password = _field("newPassword", "password", secret=True)
        if user is None:
            return _self_asserted_error("AADB2C99002", "This user doesn't exist. Please sign up before you can sign in.")
        if len(password) < 8:
            return _self_asserted_error("AADB2C90046", "The password must have at least 8 characters.")
        with state.lock:
            user.password = password
            state.save_users()
        tx.user, tx.auth_time = user, int(time.time())
    tx.done = True
    response = jsonify(status="200")
    response.mimetype = "text/json"
    return response


@bp.get("/<tenant>/<policy>/api/<api>/confirmed")
@in_transaction(check_header=False)
def confirmed(tx: Transaction) -> Response:
    """Finish the current page: show the next one, or issue the code."""
    if not tx.done:
        return _render(tx, error="Please fill in the form and submit it first.")
    tx.steps = tx.steps[1:]
    tx.done = False
    if tx.steps:
        return _render(tx)
    return _issue_code(tx, remember=request.args.get("rememberMe", "false").lower() == "true")


@bp.get("/<tenant>/<policy>/api/<api>/unified")
@in_transaction(check_header=False)
def unified(tx: Transaction) -> Response:
    """Links on the sign-in page: sign up (same transaction) or forgot password (legacy AADB2C90118)."""
    exchange = request.args.get("claimsexchange", "")
    if exchange.startswith("ForgotPassword"):
        if emulator().flavor.forgot_password_in_flow:  # External ID: reset, then signed in
            tx.steps = ["reset", *tx.steps[1:]]
            tx.done = False
            return _render(tx)
        emulator().transactions.discard(tx)
        return _error_redirect(tx, "access_denied", FORGOT)
    if exchange.startswith("SignUp"):
        tx.steps = ["signup", *tx.steps[1:]]
        tx.done = False
        return _render(tx)
    return _error_page(f"AADB2C90047: Unknown claims exchange '{exchange}'.")


@bp.get("/<tenant>/<policy>/api/<api>/cancel")
@in_transaction(check_header=False)
def cancel(tx: Transaction) -> Response:
    """The page's cancel link: back to the app with AADB2C90091."""
    emulator().transactions.discard(tx)
    return _error_redirect(tx, "access_denied", CANCELLED)
