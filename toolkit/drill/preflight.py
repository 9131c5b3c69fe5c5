"""Before the load starts, one user signs in through the app as the simulated browsers will: a
wiring mistake (the app does not trust the IdP's certificate, a redirect URI the IdP does not
know, the wrong authority, a route or outcome the profile gets wrong) is then reported as what it
is, with the app's log lines that show it, instead of a drill that runs to the end and reads as a
resilience failure (exit 3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from loadtests.contract import FAILED, HANDLED, OK, AppProfile
from toolkit import flows
from toolkit.resilience.http import trusting_session

MAX_HOPS = 5
TIMEOUT_S = 15.0
#: what an app's log says when it cannot trust the IdP's certificate (Python, Node, Java, .NET)
TLS_SIGNS = re.compile(
    r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSLCertVerificationError|self[- ]signed certificate|"
    r"unable to (?:get local issuer|verify the first) certificate|PKIX path|RemoteCertificateNameMismatch|UntrustedRoot",
    re.IGNORECASE,
)
#: what it says when the authority (tenant, policy, host) is wrong
AUTHORITY_SIGNS = re.compile(
    r"openid-configuration|Unable to get authority configuration|authority.*(?:invalid|not found|404)|"
    r"Name or service not known|nodename nor servname|getaddrinfo|Failed to resolve|Connection refused",
    re.IGNORECASE,
)
#: the emulator's (and B2C's) answers to an authorize request it refuses
IDP_REFUSALS = {
    "AADB2C90006": "redirect URI not registered",
    "AADB2C90117": "wrong client id",
}


class PreflightError(RuntimeError):
    """One user could not sign in through the app before the load: the drill does not start it."""


@dataclass(frozen=True)
class Finding:
    """Why the sign-in failed: a cause in words and what was seen."""

    cause: str  #: `TLS trust`, `redirect URI not registered`, `wrong authority`, `route mismatch`, `outcomes never match`, ...
    detail: str


class AppLog:
    """The lines the app writes from now on (its log file, read from its current end)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.start = path.stat().st_size if path is not None and path.exists() else 0

    def lines(self) -> list[str]:
        """What the app wrote since."""
        if self.path is None or not self.path.exists():
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            return fh.read().decode(errors="replace").splitlines()


def showing(lines: list[str], pattern: re.Pattern[str] | None = None, count: int = 12) -> list[str]:
    """The log lines worth showing: those matching `pattern` (with the line before each), else the last ones."""
    if pattern is not None:
        picked = [i for i, line in enumerate(lines) if pattern.search(line)]
        if picked:
            keep = sorted({j for i in picked for j in (i - 1, i) if j >= 0})
            return [lines[j] for j in keep][-count:]
    return lines[-count:]


def explain(status: int, step: str, path: str, route_key: str, log_lines: list[str]) -> Finding:
    """Why the app answered `status` at one step: read from its status and its log."""
    text = "\n".join(log_lines)
    if TLS_SIGNS.search(text):
        return Finding(
            "TLS trust",
            f"{step} ({path}) answered {status or 'nothing'} and the app's log shows it could not verify the IdP's certificate: "
            "give the app the IdP's CA ({ca_bundle}) under its own setting, or REQUESTS_CA_BUNDLE / SSL_CERT_FILE / "
            "NODE_EXTRA_CA_CERTS in [app.env]",
        )
    if AUTHORITY_SIGNS.search(text):
        return Finding(
            "wrong authority",
            f"{step} ({path}) answered {status or 'nothing'} and the app's log shows it could not read the IdP's metadata: "
            "check the authority in [app.env] ({authority}, or {oidc_authority} for External ID)",
        )
    if status in (404, 405):
        return Finding("route mismatch", f"{step} ({path}) answered {status}: is app.routes.{route_key} the app's route?")
    return Finding("the app failed", f"{step} ({path}) answered {status or 'nothing'}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_authorize(authorize: str, app: AppProfile, idp: dict[str, Any]) -> Finding | None:
    """A wiring mistake visible in the authorize URL the app sends the browser to."""
    expected = str(idp.get("oidc_authority") or idp.get("authority") or "")
    if expected and _origin(authorize) != _origin(expected):
        return Finding(
            "wrong authority",
            f"the app sends the browser to {_origin(authorize)}, but the IdP is at {_origin(expected)} "
            "(give the app {authority} or {oidc_authority} in [app.env])",
        )
    names = [str(idp[k]).lower() for k in ("tenant", "tenant_id") if idp.get(k)]
    path = urlsplit(authorize).path.lower()
    if not idp.get("oidc_authority") and names and not any(name in path for name in names):
        return Finding("wrong authority", f"the app's authorize URL {authorize.split('?')[0]} names another tenant than {names[0]}")
    query = dict(parse_qsl(urlsplit(authorize).query))
    redirect = query.get("redirect_uri", "")
    if redirect and urlsplit(redirect).path != urlsplit(urljoin(app.url, app.callback)).path:
        return Finding(
            "route mismatch",
            f"the app's redirect URI is {redirect}, but app.routes.callback is {app.callback}: the simulated browsers would not recognise the way back",
        )
    return None


def _authorize_url(session: requests.Session, app: AppProfile, log: AppLog) -> str | Finding:
    url, method = urljoin(app.url, app.sign_in), "GET"
    data: dict[str, str] | None = None
    for _ in range(MAX_HOPS):
        try:
            reply = session.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            return Finding("the app does not answer", f"sign-in start {url}: {exc.__class__.__name__}: {exc}")
        body = reply.text or ""
        if any(m.matches(reply.status_code, reply.headers, body) for m in app.handled):
            return Finding(
                "the app answered a handled page", f"sign-in start {app.sign_in} answered its designed degraded answer while the IdP is up"
            )
        location = reply.headers.get("Location")
        if 300 <= reply.status_code < 400 and location:
            target = urljoin(reply.url, location)
            if "/oauth2/v2.0/authorize" in target:
                return target
            url, method, data = target, "GET", None
            continue
        if reply.status_code != 200:
            return explain(reply.status_code, "sign-in start", app.sign_in, "sign_in", log.lines())
        link = flows.authorize_link(body, reply.url)
        if link and app.sign_in_via != "form":
            return link
        form = flows.find_form(body, reply.url) if app.sign_in_via == "form" else None
        if form is None:
            return Finding(
                "route mismatch",
                f"sign-in start {app.sign_in} answered a page with no way to the IdP (app.routes.sign_in_via = {app.sign_in_via!r})",
            )
        url, method, data = form
    return Finding("route mismatch", f"sign-in did not reach the IdP within {MAX_HOPS} hops from {app.sign_in}")


def signed_in(app: AppProfile, idp: dict[str, Any], trust: str | None) -> requests.Session | None:
    """A browser with one test user signed in through the app (None when that fails)."""
    session = trusting_session(trust or idp.get("ca_bundle"))
    if _sign_in(session, app, idp, AppLog(None)) is None:
        return session
    session.close()
    return None


def sign_in_once(app: AppProfile, idp: dict[str, Any], trust: str | None, app_log: Path | None) -> tuple[Finding, list[str]] | None:
    """Sign one test user in through the app and load its protected page. None: it worked;
    else why not, and the app's log lines that show it."""
    log = AppLog(app_log)
    session = trusting_session(trust or idp.get("ca_bundle"))
    try:
        found = _sign_in(session, app, idp, log)
    finally:
        session.close()
    if found is None:
        return None
    pattern = TLS_SIGNS if found.cause == "TLS trust" else AUTHORITY_SIGNS if found.cause == "wrong authority" else None
    return found, showing(log.lines(), pattern)


def _sign_in(session: requests.Session, app: AppProfile, idp: dict[str, Any], log: AppLog) -> Finding | None:
    authorize = _authorize_url(session, app, log)
    if isinstance(authorize, Finding):
        return authorize
    wrong = check_authorize(authorize, app, idp)
    if wrong is not None:
        return wrong
    user = (idp.get("users") or [{}])[0]
    browser = cast(flows.Client, session)  # requests' own signatures are wider than the flow's protocol
    try:
        reply = session.get(authorize, allow_redirects=False, timeout=TIMEOUT_S)
        for code, cause in IDP_REFUSALS.items():
            if code in (reply.text or ""):
                query = dict(parse_qsl(urlsplit(authorize).query))
                return Finding(
                    cause,
                    f"the IdP refused the app's authorize request ({code}): redirect_uri {query.get('redirect_uri')!r}, client_id {query.get('client_id')!r}",
                )
        if reply.status_code == 404:
            return Finding(
                "wrong authority", f"the IdP answered 404 to the app's authorize URL {authorize.split('?')[0]} (tenant or policy)"
            )
        page = flows.page_or_arrival(authorize, reply, "authorize")
        if isinstance(page, flows.Page):
            result = flows.submit(
                browser, page, {app.username_field: user.get("username", ""), "password": user.get("password", "")}, timeout=TIMEOUT_S
            )
            if result.get("status") != "200":
                return Finding(
                    "test user refused",
                    f"the IdP refused the test user {user.get('username')!r}: {result.get('errorCode')} {result.get('message', '')}",
                )
            page = flows.confirm(browser, page, timeout=TIMEOUT_S)
        if not isinstance(page, flows.Arrival):
            return Finding("the IdP showed another page", "the sign-in journey did not come back to the app")
        if "error" in page.params:
            return Finding("the IdP refused the sign-in", f"{page.params.get('error')}: {page.params.get('error_description', '')}")
        back = flows.back_to_app(browser, page, timeout=TIMEOUT_S)
    except (flows.FlowError, requests.RequestException) as exc:
        return Finding("the IdP did not answer as expected", str(exc))
    if any(m.matches(back.status_code, back.headers, back.text or "") for m in app.handled):
        return Finding(
            "the app answered a handled page", f"the callback {app.callback} answered its designed degraded answer while the IdP is up"
        )
    if back.status_code == 0 or back.status_code >= 400:
        return explain(back.status_code, "the callback", app.callback, "callback", log.lines())
    try:
        reply = session.get(urljoin(app.url, app.protected), allow_redirects=False, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        return Finding("the app does not answer", f"{app.protected}: {exc}")
    outcome = app.classify(reply.status_code, reply.headers, reply.text or "")
    if outcome == OK:
        return None
    if outcome in (FAILED,) and reply.status_code >= 500:
        return explain(reply.status_code, "the protected page", app.protected, "protected", log.lines())
    seen = " ".join((reply.text or "")[:160].split())
    told = {
        HANDLED: "matched app.outcomes.handled",
        "logged_out": "matched app.outcomes.sent_to_sign_in",
        FAILED: "matched none of app.outcomes.signed_in",
    }[outcome]
    return Finding(
        "outcomes never match",
        f"signed in, {app.protected} answered {reply.status_code}"
        + (f" (Location {reply.headers['Location']})" if reply.headers.get("Location") else "")
        + f" and {told}: {seen!r}",
    )


def check(app: AppProfile, idp: dict[str, Any], trust: str | None, app_log: Path | None, say: Callable[[str], None]) -> None:
    """Raise PreflightError with the cause and the app's log lines unless one user signs in."""
    found = sign_in_once(app, idp, trust, app_log)
    if found is None:
        say(f"  one user signed in through {app.name}: the wiring works")
        return
    finding, lines = found
    shown = "\n".join(f"    {line}" for line in lines) or "    (nothing)"
    raise PreflightError(
        f"one user could not sign in through {app.name} before the load: {finding.cause}: {finding.detail}\n"
        f"  the app's log{' (' + str(app_log) + ')' if app_log else ''}:\n{shown}"
    )
