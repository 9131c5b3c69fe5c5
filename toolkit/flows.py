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


class FlowError(Exception):
    """A step of the flow did not answer as a B2C page does."""


class Client(Protocol):
    """The part of `requests.Session` the flow uses."""

    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


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


def open_page(client: Client, authorize_url: str, **kwargs: Any) -> Page | str:
    """GET authorize: the page, or (with a live SSO session) the redirect Location straight away."""
    reply = client.get(authorize_url, allow_redirects=False, **kwargs)
    if reply.status_code in (301, 302, 303):
        return str(reply.headers["Location"])
    if reply.status_code != 200:
        raise FlowError(f"authorize answered {reply.status_code}")
    return parse_page(authorize_url, reply.text)


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


def confirm(client: Client, page: Page, **kwargs: Any) -> Page | str:
    """GET confirmed: the next page of the journey, or the redirect back to the app (Location)."""
    url = page.url(f"/api/{page.settings['api']}/confirmed?" + urlencode({"rememberMe": "false", **page.query}))
    reply = client.get(url, allow_redirects=False, **kwargs)
    if reply.status_code in (301, 302, 303):
        return str(reply.headers["Location"])
    if reply.status_code == 200 and "var SETTINGS" in reply.text:
        return parse_page(url, reply.text)
    raise FlowError(f"confirmed answered {reply.status_code} without a redirect")


def link(page: Page, element_id: str) -> str:
    """The absolute URL of a link on the page (`forgotPassword`, `createAccount`, `cancel`)."""
    m = re.search(rf'id="{element_id}"\s+href="([^"]+)"', page.html)
    if m is None:
        raise FlowError(f"the page has no link #{element_id}")
    href: str = m.group(1)
    return urljoin(page.origin, href.replace("&amp;", "&"))


def sign_in(client: Client, authorize_url: str, username: str, password: str, username_field: str = "signInName", **kwargs: Any) -> str:
    """The whole local-account sign-in; returns the redirect URL back to the app (with `code`)."""
    page = open_page(client, authorize_url, **kwargs)
    if isinstance(page, str):
        return page
    result = submit(client, page, {username_field: username, "password": password}, **kwargs)
    if result.get("status") != "200":
        raise FlowError(f"sign-in refused: {result.get('errorCode')} {result.get('message')}")
    done = confirm(client, page, **kwargs)
    if not isinstance(done, str):
        raise FlowError("the journey showed another page after sign-in")
    return done


def auth_response(redirect_url: str) -> dict[str, str]:
    """The query (or fragment) of the redirect back to the app, as msal's auth_response."""
    parts = urlsplit(redirect_url)
    return dict(parse_qsl(parts.query or parts.fragment))
