"""Admission control: at most MAX_CONCURRENT_REQUESTS requests are processed at once in a worker;
beyond that a request is refused at once with 503 and Retry-After (the sign-in-unavailable page
for browsers, JSON for the API), before any session or IdP work. An overloaded worker thus keeps
answering the requests it admitted at their usual speed instead of slowing all of them down, and
needs no restart when the load drops. Health checks and metrics are never refused.

It is WSGI middleware, outside Flask: a refusal costs no session read.

A page's call to this app's own API (`/call-api` without API_BASE_URL) runs on the slot of the page
that makes it: it carries `X-Refapp-Slot`, an HMAC under the secret key, so that a busy worker does
not refuse the request its own admitted page is waiting for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, render_template

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: paths that are never refused: probes must see a busy worker as alive and ready
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics", "/status/idp"})


SLOT_HEADER = "X-Refapp-Slot"


def slot_token(secret_key: str) -> str:
    """The `X-Refapp-Slot` value of this deployment's own API calls."""
    return hmac.new(secret_key.encode(), b"admission-slot", hashlib.sha256).hexdigest()


class Admission:
    """Wraps `app.wsgi_app` with a non-blocking semaphore of `limit` slots."""

    def __init__(self, app: Flask, limit: int, retry_after_s: int) -> None:
        self.inner: WSGIApp = app.wsgi_app
        self.slots = threading.BoundedSemaphore(limit)
        self.retry_after = str(max(1, retry_after_s))
        with app.test_request_context("/"):
            # store_down: the page must not read a session (it is rendered once, for everyone)
            self.page = render_template("unavailable.html", retry_after=max(1, retry_after_s), store_down=True).encode()
        self.json = json.dumps({"error": "temporarily_unavailable", "error_description": "the server is busy; retry later"}).encode()
        self.refused = app.extensions["idp"].metrics.degraded.labels("overload")
        self.own_call = slot_token(str(app.config["SECRET_KEY"]))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in EXEMPT or hmac.compare_digest(environ.get("HTTP_X_REFAPP_SLOT", "").encode(), self.own_call.encode()):
            return self.inner(environ, start_response)
        if not self.slots.acquire(blocking=False):
            return self.refuse(path, start_response)
        try:
            return self.inner(environ, start_response)  # Flask builds the whole body here
        finally:
            self.slots.release()

    def refuse(self, path: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.refused.inc()
        api = path.startswith("/api/")
        body = self.json if api else self.page
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json" if api else "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", self.retry_after),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Strict-Transport-Security", "max-age=31536000"),
            ],
        )
        return [body]


def init_app(app: Flask) -> None:
    """Install admission control when MAX_CONCURRENT_REQUESTS is above 0."""
    limit = int(app.config["MAX_CONCURRENT_REQUESTS"])
    if limit > 0:
        app.wsgi_app = Admission(app, limit, int(app.config["OVERLOAD_RETRY_AFTER_S"]))  # type: ignore[method-assign]
