"""An http client for msal (`ConfidentialClientApplication(http_client=...)`) that keeps an app
responsive when the IdP is not.

- Explicit connect and read timeouts on every call (msal's default is none: a hung IdP hangs the
  worker).
- GETs (discovery, keys) are retried with exponential backoff and jitter (tenacity), honouring
  `Retry-After` up to a budget; POSTs (token redemption) are never retried, so an authorization
  code is never redeemed twice.
- A circuit breaker (pybreaker) around every call: it opens on 5xx, 429, timeouts and connection
  errors, never on a 4xx such as `invalid_grant`; after `reset_timeout` one probe goes through
  (half-open) and success closes it. While it is open no request leaves the app.
- A GET that fails is answered from the last-known-good copy when there is one.
- Nothing is trusted because it came with a 200 (`toolkit.resilience.answers`): a discovery
  document without its endpoints or naming another issuer, a key set without a usable signing key,
  an HTML page, a body over the size cap are IdP failures (counted by the breaker, retried, answered
  from the last-known-good copy), never stored and never handed to msal, which would cache them.
- One deadline covers every byte of an exchange: connect, each read and the whole body. A watchdog
  shuts the connection when it passes, so a body dribbled a byte at a time, or one that never ends,
  costs what is left of the budget (or connect + read timeout outside one), not a read timeout per
  byte.
- `Retry-After` is capped (`retry_after_cap_s`) on every answer, msal's included: msal throttles on
  it, and an IdP that says "a day" or a date in 2099 must not silence the app for that long.
- One time budget for all IdP work inside a request (`budget()`): every timeout and every wait
  between retries is cut to what is left of it, and once it is spent no call leaves the app (a GET
  is then answered from the last-known-good copy, anything else raises `IdpUnavailable`). A slow IdP
  thus costs a request at most the budget, however many calls and retries it would have made.

It trusts only the given CA (`trust_env=False`), because `REQUESTS_CA_BUNDLE` silently overrides
`verify=` in requests.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pybreaker
import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from toolkit.resilience.answers import MAX_BODY_BYTES, issuer_of, kind_of, problem
from toolkit.resilience.lastknown import LastKnownGood

LOG = logging.getLogger(__name__)
TRANSIENT = frozenset({429, 500, 502, 503, 504})
#: observer(endpoint, outcome, seconds): metrics and logs hook
Observer = Callable[[str, str, float], None]


class IdpUnavailable(requests.exceptions.ConnectionError):
    """The IdP cannot be reached now (breaker open, or failed with no cached answer).

    A `requests.ConnectionError`, so msal treats it as a network failure (its silent path then
    returns a still-valid cached access token).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BudgetSpent(IdpUnavailable):
    """The request's time budget for IdP work is spent: no further call is made."""


#: when the current request's IdP budget ends (time.monotonic()), or None outside a budget
_DEADLINE: ContextVar[float | None] = ContextVar("idp_deadline", default=None)


def budget_left() -> float | None:
    """Seconds left of the current budget, or None when no budget applies."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


class TransientResponse(Exception):
    """A 429 or 5xx answer, raised inside the breaker so that it counts as a failure."""

    def __init__(self, response: requests.Response, reason: str | None = None) -> None:
        super().__init__(reason or f"HTTP {response.status_code}")
        self.response = response


class BadResponse(TransientResponse):
    """A 2xx whose body must not be used (`answers.problem`): an IdP failure like a 5xx."""


def retry_after_s(response: requests.Response | None) -> float | None:
    """`Retry-After` in seconds (integer or HTTP-date form), or None when absent or unreadable."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    if value.strip().isdecimal():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when.timestamp() - time.time())


def endpoint_of(url: str) -> str:
    """metadata, jwks, token, logout or other: the label calls are counted under."""
    path = urlsplit(url).path
    return kind_of(path) or ("logout" if path.endswith("/logout") else "other")


class _Exchange:
    """The deadline of one request/response exchange. The connection that sends it (`watch`) is
    shut by a timer when the deadline passes, which ends any read blocked on it at once."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []

    def watch(self, connection: HTTPConnection) -> None:
        def fire() -> None:
            with self._lock:
                if self._done:
                    return
                self.fired = True
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: safe beside a TLS read

        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), fire)
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def close(self) -> None:
        with self._lock:
            self._done = True
            for timer in self._timers:
                timer.cancel()


#: the exchange the current thread is sending, for the connection classes below
_EXCHANGE: ContextVar[_Exchange | None] = ContextVar("idp_exchange", default=None)


class _Watched:
    """A connection that puts itself under the watch of the exchange it sends (if any)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        exchange = _EXCHANGE.get()
        if exchange is not None:
            exchange.watch(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections that a deadline can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def new_breaker(
    fail_max: int = 5, reset_timeout_s: float = 3.0, storage: pybreaker.CircuitBreakerStorage | None = None
) -> pybreaker.CircuitBreaker:
    """The IdP breaker: counts only transient failures (the client raises nothing else inside it)."""
    return pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_timeout_s, state_storage=storage, name="idp", throw_new_error_on_trip=False
    )


def breaker_retry_after(breaker: pybreaker.CircuitBreaker) -> float | None:
    """Seconds until an open breaker lets a probe through; None when a call may go now
    (closed, half-open, or open with its reset timeout over: the next call is the probe)."""
    if breaker.current_state != pybreaker.STATE_OPEN:
        return None
    opened = breaker._state_storage.opened_at
    remaining = float(breaker.reset_timeout) - (0.0 if opened is None else time.time() - opened.timestamp())
    return None if remaining <= 0 else max(1.0, remaining)


def trusting_session(ca_bundle: str | Path | None) -> requests.Session:
    """A session that verifies TLS against `ca_bundle` (None: the system's CAs) whatever the
    environment says: `trust_env=False`, because `REQUESTS_CA_BUNDLE` overrides `verify=`."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_bundle) if ca_bundle else True
    return session


class ResilientHttpClient:
    """The `http_client` msal calls: `get`, `post`, `close`."""

    def __init__(
        self,
        *,
        ca_bundle: str | None = None,
        connect_timeout_s: float = 3.05,
        read_timeout_s: float = 10.0,
        get_attempts: int = 3,
        backoff_s: float = 0.2,
        max_backoff_s: float = 2.0,
        max_retry_after_s: float = 5.0,
        breaker: pybreaker.CircuitBreaker | None = None,
        last_known_good: LastKnownGood | None = None,
        observer: Observer | None = None,
        budget_s: float | None = None,
        issuer: str | None = None,
        retry_after_cap_s: float = 300.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.session = trusting_session(ca_bundle)
        self.budget_s = budget_s
        self.issuer = issuer
        self.retry_after_cap_s = retry_after_cap_s
        #: until when (time.monotonic()) the IdP asked, by a 429 or 503 with Retry-After, not to be called
        self.throttled_until = 0.0
        self.max_body_bytes = max_body_bytes
        adapter = _WatchedAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.breaker = breaker or new_breaker()
        self.last_known_good = last_known_good
        self.observer = observer
        self.max_retry_after_s = max_retry_after_s
        self._retrying = Retrying(
            stop=self._stop(get_attempts),
            wait=self._wait(wait_exponential_jitter(multiplier=backoff_s, max=max_backoff_s, jitter=backoff_s)),
            # an open breaker (CircuitBreakerError) or a spent budget is not retried: fail fast
            retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout, TransientResponse))
            & retry_if_not_exception_type(BudgetSpent),
            reraise=True,
        )

    # -- the request's budget ----------------------------------------------------------------

    def start_budget(self) -> None:
        """Start this request's budget (from `budget_s`; nothing when it is None)."""
        _DEADLINE.set(None if self.budget_s is None else time.monotonic() + self.budget_s)

    def end_budget(self) -> None:
        """Calls made from now on have no budget (only their own timeouts)."""
        _DEADLINE.set(None)

    @contextlib.contextmanager
    def budget(self) -> Iterator[None]:
        """Calls inside share one budget of `budget_s` seconds."""
        self.start_budget()
        try:
            yield
        finally:
            self.end_budget()

    # -- msal's interface --------------------------------------------------------------------

    def get(
        self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """GET with retries; on failure, the last-known-good answer if there is one."""
        key = url + ("?" + urlencode(params) if params else "")
        try:
            response: requests.Response = self._retrying.copy()(self._attempt, "GET", url, params=params, headers=headers)
        except (requests.RequestException, TransientResponse, pybreaker.CircuitBreakerError) as exc:
            cached = self.last_known_good.get(key) if self.last_known_good else None
            if cached is not None:
                self._observe(url, "stale_cache", 0.0)
                return _cached_response(key, cached[1])
            retry_after = retry_after_s(exc.response) if isinstance(exc, TransientResponse) else breaker_retry_after(self.breaker)
            raise IdpUnavailable(f"GET {endpoint_of(url)} failed: {exc}", retry_after) from exc
        if response.ok and self.last_known_good is not None:
            self.last_known_good.store(key, response.text)
        return response

    def post(
        self, url: str, params: dict[str, Any] | None = None, data: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """One POST, never retried. 429 and 5xx are handed to msal (it reads them itself); a 2xx
        that is not a JSON object is the IdP failing (IdpUnavailable)."""
        try:
            return self._attempt("POST", url, params=params, data=data, headers=headers)
        except BadResponse as exc:
            raise IdpUnavailable(f"POST {endpoint_of(url)}: {exc}") from exc
        except TransientResponse as exc:
            return exc.response
        except pybreaker.CircuitBreakerError as exc:
            raise IdpUnavailable("the IdP circuit breaker is open", breaker_retry_after(self.breaker)) from exc

    def probe(self, url: str) -> bool:
        """One GET through the breaker, no retry, no cached answer: is the IdP answering now?"""
        try:
            self._attempt("GET", url)
        except (requests.RequestException, TransientResponse, pybreaker.CircuitBreakerError):
            return False
        return True

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    # -- internals ---------------------------------------------------------------------------

    def _attempt(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        left = budget_left()
        if left is not None and left <= 0:
            self._observe(url, "budget_spent", 0.0)
            raise BudgetSpent(f"{method} {endpoint_of(url)}: the request's time budget for the IdP is spent")
        try:
            result: requests.Response = self.breaker.call(self._send, method, url, **kwargs)
        except pybreaker.CircuitBreakerError:
            self._observe(url, "breaker_open", 0.0)
            raise
        return result

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        start = time.perf_counter()
        left = budget_left()
        if left is not None:
            left = max(0.001, left)  # it may have run out since `_attempt` looked
        timeout = self.timeout if left is None else (min(self.timeout[0], left), min(self.timeout[1], left))
        exchange = _Exchange(sum(self.timeout) if left is None else min(sum(self.timeout), left))
        token = _EXCHANGE.set(exchange)
        try:
            response = self.session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs)
            self._read_body(response, exchange)
        except BadResponse:
            self._observe(url, "bad_answer", time.perf_counter() - start)
            raise
        except requests.RequestException as exc:
            timed_out = exchange.fired or isinstance(exc, requests.Timeout)
            self._observe(url, "timeout" if timed_out else "connection_error", time.perf_counter() - start)
            if timed_out and not isinstance(exc, requests.Timeout):
                raise requests.Timeout(f"{method} {endpoint_of(url)}: no whole answer within the deadline") from exc
            raise
        finally:
            _EXCHANGE.reset(token)
            exchange.close()
        elapsed = time.perf_counter() - start
        self._cap_retry_after(response)
        correlation = response.headers.get("x-ms-request-id") or response.headers.get("client-request-id")
        if response.status_code in TRANSIENT:
            wait = retry_after_s(response)
            if wait is not None:
                self.throttled_until = max(self.throttled_until, time.monotonic() + wait)
            self._observe(url, f"http_{response.status_code}", elapsed)
            LOG.warning("idp %s %s answered %s (correlation %s)", method, endpoint_of(url), response.status_code, correlation)
            raise TransientResponse(response)
        if 200 <= response.status_code < 300:
            kind = kind_of(urlsplit(url).path)
            why = problem(kind, response.text, self._expected_issuer(url) if kind == "metadata" else None)
            if why is not None:
                self._observe(url, "bad_answer", elapsed)
                LOG.warning("idp %s %s answered 200 with a bad body: %s (correlation %s)", method, endpoint_of(url), why, correlation)
                raise BadResponse(response, f"a bad answer: {why}")
        self._observe(url, "ok" if response.status_code < 400 else f"http_{response.status_code}", elapsed)
        return response

    def _read_body(self, response: requests.Response, exchange: _Exchange) -> None:
        """Read the whole body within the exchange's deadline and the size cap."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_body_bytes:
                    response.close()  # not read to its end: the connection is not reused
                    response._content, response._content_consumed = b"", True
                    raise BadResponse(response, f"a bad answer: body over {self.max_body_bytes} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            response.close()
            if exchange.fired:
                raise requests.Timeout("no whole answer within the deadline") from exc
            raise requests.ConnectionError(f"the answer was cut off: {exc}") from exc
        response._content, response._content_consumed = b"".join(chunks), True
        response.close()  # read to its end: the connection goes back to the pool

    def _expected_issuer(self, url: str) -> str | None:
        """The issuer a discovery document must name: the configured one, else the one its
        last-known-good copy names (pinned on first use)."""
        if self.issuer:
            return self.issuer
        found = self.last_known_good.get(url) if self.last_known_good else None
        return issuer_of(found[1]) if found else None

    def _cap_retry_after(self, response: requests.Response) -> None:
        """Cap `Retry-After` (or drop it when unreadable), before anyone reads it."""
        if "Retry-After" not in response.headers:
            return
        wait = retry_after_s(response)
        if wait is None:
            del response.headers["Retry-After"]
        else:
            response.headers["Retry-After"] = str(math.ceil(min(wait, self.retry_after_cap_s)))

    def _observe(self, url: str, outcome: str, seconds: float) -> None:
        if self.observer is not None:
            self.observer(endpoint_of(url), outcome, seconds)

    def _stop(self, attempts: int) -> Callable[[RetryCallState], bool]:
        base = stop_after_attempt(attempts)

        def stop(state: RetryCallState) -> bool:
            left = budget_left()
            if base(state) or (left is not None and left <= 0):
                return True
            exc = state.outcome.exception() if state.outcome else None
            wait = retry_after_s(exc.response) if isinstance(exc, TransientResponse) else None
            return wait is not None and wait > self.max_retry_after_s  # too long to wait in a request

        return stop

    def _wait(self, backoff: Callable[[RetryCallState], float]) -> Callable[[RetryCallState], float]:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            server_says = retry_after_s(exc.response) if isinstance(exc, TransientResponse) else None
            wanted = server_says if server_says is not None else backoff(state)
            left = budget_left()
            return wanted if left is None else max(0.0, min(wanted, left))

        return wait


def from_last_known_good(response: requests.Response) -> bool:
    """True when `get` answered from the last-known-good copy because the IdP did not."""
    return response.headers.get("X-Served-From") == "last-known-good"


def _cached_response(url: str, body: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body.encode()
    response.headers["Content-Type"] = "application/json"
    response.headers["X-Served-From"] = "last-known-good"
    response.url = url
    response.encoding = "utf-8"
    return response
