"""One small Graph client over plain HTTPS (requests): a bearer token from an azure-identity
credential, `@odata.nextLink` followed to the end, and 429/503 answers retried after their
`Retry-After`, all within one time budget for the whole export.

Graph asks callers to wait `Retry-After` seconds after a 429 and to back off exponentially when
there is none; immediate retries count against the limit too (docs/tenant-audit.md, "Throttling").
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import requests

from toolkit.tenant.resources import GRAPH_SCOPE

#: answers worth retrying after a pause
RETRIED = (429, 502, 503, 504)
#: how long one request may take (connect, read)
TIMEOUT = (10.0, 60.0)


class TokenCredential(Protocol):
    """What azure-identity's credentials offer (`get_token`)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class GraphError(Exception):
    """An answer that is not the resource: its status and Graph's error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}" if code else f"{status}: {message}")
        self.status = status
        self.code = code
        self.message = message


class OutOfTime(GraphError):
    """The export's time budget ran out while Graph kept answering 429 or 503."""


def retry_after(value: str | None, attempt: int, now: float | None = None) -> float:
    """Seconds to wait: `Retry-After` in seconds or as an HTTP date; without one, 1, 2, 4, ... 32."""
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return float(min(2**attempt, 32))


class Graph:
    """Reads one tenant. `budget_s` bounds the time spent waiting on throttling for the whole run."""

    def __init__(
        self,
        credential: TokenCredential,
        base_url: str,
        ca_bundle: str | None = None,
        budget_s: float = 300.0,
        say: Callable[[str], None] = lambda _line: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credential = credential
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "b2c-toolkit-tenant-export"
        #: passed with every request: a session's own `verify` loses to $REQUESTS_CA_BUNDLE
        self.verify: str | bool = ca_bundle or True
        self.deadline = time.monotonic() + budget_s
        self.say = say
        self.sleep = sleep
        self._token: tuple[str, float] | None = None
        self.requests = 0
        self.retries = 0

    def token(self) -> str:
        """A bearer token for Graph, asked again five minutes before it expires."""
        if self._token is None or self._token[1] - 300 < time.time():
            access = self.credential.get_token(GRAPH_SCOPE)
            self._token = (access.token, float(access.expires_on))
        return self._token[0]

    def url(self, version: str, path: str) -> str:
        """The URL of `path` in API `version`."""
        return f"{self.base_url}/{version}{path}"

    def get(self, url: str, accept: str = "application/json") -> requests.Response:
        """One GET, retried on 429/502/503/504 after `Retry-After` while the budget lasts."""
        attempt = 0
        while True:
            self.requests += 1
            response = self.session.get(
                url, headers={"Authorization": f"Bearer {self.token()}", "Accept": accept}, timeout=TIMEOUT, verify=self.verify
            )
            if response.status_code not in RETRIED:
                if response.status_code >= 400:
                    raise _error(response)
                return response
            wait = retry_after(response.headers.get("Retry-After"), attempt)
            left = self.deadline - time.monotonic()
            if wait > left:
                raise OutOfTime(
                    response.status_code,
                    "OutOfTime",
                    f"Graph asked to wait {wait:g} s and the export has {max(left, 0):.0f} s left (--max-wait)",
                )
            self.retries += 1
            self.say(f"{response.status_code} from Graph: waiting {wait:g} s (Retry-After) before asking again")
            self.sleep(wait)
            attempt += 1

    def pages(self, url: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, following `@odata.nextLink` until there is none."""
        next_url: str | None = url
        while next_url:
            body = _json(self.get(next_url))
            value = body.get("value")
            if not isinstance(value, list):
                raise GraphError(200, "UnexpectedAnswer", f"{next_url}: no 'value' list in the answer")
            yield value
            link = body.get("@odata.nextLink")
            next_url = link if isinstance(link, str) and link else None


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise GraphError(
            response.status_code, "UnexpectedAnswer", f"{response.url}: not JSON ({response.headers.get('Content-Type', '')})"
        ) from None
    if not isinstance(body, dict):
        raise GraphError(response.status_code, "UnexpectedAnswer", f"{response.url}: not a JSON object")
    return body


def _error(response: requests.Response) -> GraphError:
    """Graph's `{"error": {"code", "message"}}`, or the status alone when the body is something else."""
    try:
        error = response.json().get("error", {})
        return GraphError(response.status_code, str(error.get("code", "")), str(error.get("message", "")))
    except (ValueError, AttributeError):
        return GraphError(response.status_code, "", response.reason or "error")
