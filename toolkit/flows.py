"""Sign in through a B2C page without a browser: the HTTP steps a real B2C self-asserted page
makes (see `toolkit.emulator.journeys`), for tests, the drill and the Locust driver.

Works with any requests-like client (`requests.Session`, Locust's `HttpSession`) that keeps a
cookie jar. Point it at a real test tenant by passing that tenant's authorize URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

_SETTINGS = re.compile(r"var\s+SETTINGS\s*=\s*(\{.*?\});", re.DOTALL)
_FORM = re.compile(r'<form[^>]*id="auto"[^>]*action="([^"]*)"', re.IGNORECASE)
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"', re.IGNORECASE)


#: a link or a meta refresh on an app's page that sends the browser to an IdP's authorize endpoint
AUTHORIZE_LINK = re.compile(
    r"""(?:href|content)\s*=\s*['"](?:\d+\s*;\s*url\s*=\s*)?([^'"]*oauth2/v2\.0/authorize[^'"]*)['"]""", re.IGNORECASE
)
_ANY_FORM = re.compile(r"<form[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""(\w+)\s*=\s*['"]([^'"]*)['"]""")
_INPUT = re.compile(r"<input[^>]*>", re.IGNORECASE)


class FlowError(Exception):
    """A step of the flow did not answer as a B2C page does."""


class Client(Protocol):
    """The part of `requests.Session` the flow uses."""

    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Arrival:
    """The way back to the app: a redirect (query or fragment) or a form_post page."""

    url: str  #: where the browser goes (without the response parameters)
    params: dict[str, str]  #: `code`/`state` or `error`/`error_description`: msal's auth_response
    method: str = "GET"


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")


def authorize_link(html: str, page_url: str) -> str | None:
    """The absolute authorize URL of the first link or meta refresh on an app's page that goes there."""
    found = AUTHORIZE_LINK.search(html)
    return None if found is None else urljoin(page_url, _unescape(found.group(1)))


def find_form(html: str, page_url: str, action: str = "") -> tuple[str, str, dict[str, str]] | None:
    """The first form on a page whose action contains `action`: (absolute URL, method, fields)."""
    for form in _ANY_FORM.findall(html):
        attrs = dict(_ATTR.findall(form.split(">", 1)[0]))
        target = _unescape(attrs.get("action", ""))
        if action not in target:
            continue
        fields = {}
        for field in _INPUT.findall(form):
            found = dict(_ATTR.findall(field))
            if "name" in found:
                fields[found["name"]] = _unescape(found.get("value", ""))
        return urljoin(page_url, target), attrs.get("method", "GET").upper(), fields
    return None


def arrival(location: str) -> Arrival:
    """An Arrival from a redirect Location."""
    parts = urlsplit(location)
    return Arrival(location.split("?", 1)[0].split("#", 1)[0], dict(parse_qsl(parts.query or parts.fragment)))


def form_post(html: str) -> Arrival | None:
    """An Arrival from a `response_mode=form_post` auto-submit page, if that is what `html` is."""
    m = _FORM.search(html)
    if m is None:
        return None
    return Arrival(_unescape(m.group(1)), {_unescape(k): _unescape(v) for k, v in _HIDDEN.findall(html)}, "POST")


@dataclass
class Page:
    """A B2C page: its absolute origin and the values its `SETTINGS` script carries."""

    origin: str
    settings: dict[str, Any]
    html: str

    @property
    def query(self) -> dict[str, str]:
        """`csrf_token`, `tx` and `p`, as the page's links carry them."""
        return {"csrf_token": self.settings["csrf"], "tx": self.settings["transId"], "p": self.settings["hosts"]["policy"]}

    def url(self, path: str) -> str:
        """An absolute URL under the page's `hosts.tenant` prefix."""
        return f"{self.origin}{self.settings['hosts']['tenant']}{path}"


def parse_page(url: str, html: str) -> Page:
    """Read the `SETTINGS` block of a B2C page."""
    m = _SETTINGS.search(html)
    if m is None:
        raise FlowError("the page has no SETTINGS block (not a B2C self-asserted page)")
    try:
        settings = json.loads(m.group(1))
    except ValueError as exc:
        raise FlowError(f"SETTINGS is not JSON: {exc}") from None
    parts = urlsplit(url)
    return Page(f"{parts.scheme}://{parts.netloc}", settings, html)


def page_or_arrival(url: str, reply: Any, step: str) -> Page | Arrival:
    """What an answer of the IdP's journey is: a page, or the way back to the app."""
    if not reply.status_code:  # Locust's client reports a connection error as status 0
        raise FlowError(f"{step}: no answer from the IdP ({getattr(reply, 'error', None) or 'connection failed'})")
    if reply.status_code in (301, 302, 303):
        return arrival(str(reply.headers["Location"]))
    if reply.status_code == 200:
        posted = form_post(reply.text)
        if posted is not None:
            return posted
        if "var SETTINGS" in reply.text:
            return parse_page(url, reply.text)
    raise FlowError(f"{step} answered {reply.status_code} with neither a page nor a way back to the app")


def open_page(client: Client, authorize_url: str, **kwargs: Any) -> Page | Arrival:
    """GET authorize: the page, or (with a live SSO session) the way back to the app at once."""
    return page_or_arrival(authorize_url, client.get(authorize_url, allow_redirects=False, **kwargs), "authorize")


def submit(client: Client, page: Page, fields: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    """POST the page's form to SelfAsserted (an XHR: always 200, the outcome in the JSON)."""
    url = page.url("/SelfAsserted?" + urlencode({"tx": page.settings["transId"], "p": page.settings["hosts"]["policy"]}))
    headers = {"X-CSRF-TOKEN": page.settings["csrf"], "X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}
    reply = client.post(url, data={"request_type": "RESPONSE", **fields}, headers=headers, allow_redirects=False, **kwargs)
    if reply.status_code != 200:
        raise FlowError(f"SelfAsserted answered {reply.status_code}")
    try:
        result: dict[str, Any] = json.loads(reply.text)
    except ValueError:
        raise FlowError("SelfAsserted did not answer JSON") from None
    return result


def confirm(client: Client, page: Page, **kwargs: Any) -> Page | Arrival:
    """GET confirmed: the next page of the journey, or the way back to the app."""
    url = page.url(f"/api/{page.settings['api']}/confirmed?" + urlencode({"rememberMe": "false", **page.query}))
    return page_or_arrival(url, client.get(url, allow_redirects=False, **kwargs), "confirmed")


def follow(client: Client, url: str, **kwargs: Any) -> Page | Arrival:
    """GET a link of a page (sign up, forgot password, cancel): a page or the way back."""
    return page_or_arrival(url, client.get(url, allow_redirects=False, **kwargs), "link")


def link(page: Page, element_id: str) -> str:
    """The absolute URL of a link on the page (`forgotPassword`, `createAccount`, `cancel`)."""
    m = re.search(rf'id="{element_id}"\s+href="([^"]+)"', page.html)
    if m is None:
        raise FlowError(f"the page has no link #{element_id}")
    return urljoin(page.origin, _unescape(m.group(1)))


def sign_in(client: Client, authorize_url: str, username: str, password: str, username_field: str = "signInName", **kwargs: Any) -> Arrival:
    """The whole local-account sign-in; returns the way back to the app (with `code`)."""
    page = open_page(client, authorize_url, **kwargs)
    if isinstance(page, Arrival):
        return page
    result = submit(client, page, {username_field: username, "password": password}, **kwargs)
    if result.get("status") != "200":
        raise FlowError(f"sign-in refused: {result.get('errorCode')} {result.get('message')}")
    done = confirm(client, page, **kwargs)
    if not isinstance(done, Arrival):
        raise FlowError("the journey showed another page after sign-in")
    return done


def back_to_app(client: Client, arrival: Arrival, **kwargs: Any) -> Any:
    """Deliver the response to the app's callback, as the browser would (GET or form POST)."""
    if arrival.method == "POST":
        return client.post(arrival.url, data=arrival.params, allow_redirects=False, **kwargs)
    return client.get(arrival.url, params=arrival.params, allow_redirects=False, **kwargs)


def app_sign_in(client: Client, app_url: str, username: str, password: str, next_path: str = "/profile", **kwargs: Any) -> Any:
    """Sign in to an app whose `/auth/login` redirects to B2C: login → B2C page → callback.

    Returns the app's answer to the callback (a redirect to `next_path` when all went well).
    """
    return back_to_app(client, app_sign_in_at_b2c(client, app_url, username, password, next_path, **kwargs), **kwargs)


def app_sign_in_at_b2c(client: Client, app_url: str, username: str, password: str, next_path: str = "/profile", **kwargs: Any) -> Arrival:
    """The app's login and B2C's page, stopping before the callback: the arrival B2C sends back."""
    reply = client.get(f"{app_url}/auth/login", params={"next": next_path}, allow_redirects=False, **kwargs)
    if reply.status_code != 302:
        raise FlowError(f"the app's login answered {reply.status_code}")
    return sign_in(client, reply.headers["Location"], username, password, **kwargs)


def token_request(idp: dict[str, Any], user: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """The token endpoint and form for a token to the app's API from the IdP configuration
    (`b2c-toolkit emulator --print-config`'s keys): a user's, by B2C's ROPC policy, when `user` is
    given; else an app-only one, by the client credentials grant of the daemon client."""
    if user is not None:
        authority = idp["authority"].rsplit("/", 1)[0] + "/" + idp["policies"]["ropc"]
        form = {
            "grant_type": "password",
            "client_id": idp["client_id"],
            "client_secret": idp["client_secret"],
            "username": user["username"],
            "password": user["password"],
            "scope": f"{idp['api_scope']} openid",
        }
    else:
        authority = idp["authority"]
        form = {
            "grant_type": "client_credentials",
            "client_id": idp["daemon_client_id"],
            "client_secret": idp["daemon_client_secret"],
            "scope": f"{idp['api_app_id_uri']}/.default",
        }
    return authority + "/oauth2/v2.0/token", form
