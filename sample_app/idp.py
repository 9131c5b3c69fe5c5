"""The app's one connection to the identity provider, built the resilient way (or, with
`APP_RESILIENCE=off`, the fragile way typical samples use, for drills to compare against).

Extension style: `Idp(app)` or `Idp().init_app(app)`; views reach it with `idp()`.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import msal
import requests
from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from sample_app.authority import discovery_url, msal_authority
from toolkit.resilience.http import IdpUnavailable, ResilientHttpClient, breaker_retry_after, new_breaker, trusting_session
from toolkit.resilience.keys import KeySet
from toolkit.resilience.lastknown import LastKnownGood

#: errors any call into msal can raise when the IdP misbehaves (see the README)
IDP_ERRORS = (requests.RequestException, msal.exceptions.MsalServiceError, ValueError, KeyError, RuntimeError)


class Metrics:
    """Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("idp_requests", "Calls to the IdP by endpoint and outcome", ["endpoint", "outcome"], registry=self.registry)
        self.latency = Histogram("idp_request_seconds", "Latency of IdP calls", ["endpoint"], registry=self.registry)
        self.breaker_open = Gauge("idp_breaker_open", "1 while the IdP circuit breaker is open", registry=self.registry)
        self.degraded = Counter("degraded_responses", "Responses served in a degraded mode", ["kind"], registry=self.registry)


class Idp:
    """Resilient http client, breaker, last-known-good metadata, key set and msal apps."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Build everything from the app's configuration."""
        cfg = app.config
        self.config = cfg
        self.resilient = str(cfg["APP_RESILIENCE"]).lower() != "off"
        self.metrics = Metrics()
        self.last_success: float | None = None
        self.last_failure: float | None = None
        self._probe_lock = threading.Lock()
        self._last_probe = (0.0, True)
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self.breaker = new_breaker(cfg["BREAKER_FAIL_MAX"], cfg["BREAKER_RESET_S"])
        self.metrics.breaker_open.set_function(lambda: 1.0 if self.breaker.current_state == "open" else 0.0)
        ca = cfg["B2C_CA_BUNDLE"] or None
        issuer = cfg["IDP_ISSUER"] or None
        self.last_known_good = LastKnownGood(cfg["IDP_CACHE_DIR"], issuer=issuer, shared=_shared_store(cfg)) if self.resilient else None
        self.http: Any
        if self.resilient:
            self.http = ResilientHttpClient(
                ca_bundle=ca,
                connect_timeout_s=cfg["IDP_CONNECT_TIMEOUT_S"],
                read_timeout_s=cfg["IDP_READ_TIMEOUT_S"],
                get_attempts=cfg["IDP_GET_ATTEMPTS"],
                max_retry_after_s=cfg["IDP_MAX_RETRY_AFTER_S"],
                breaker=self.breaker,
                last_known_good=self.last_known_good,
                observer=self._observe,
                budget_s=cfg["IDP_REQUEST_BUDGET_S"],
                issuer=issuer,
                retry_after_cap_s=cfg["IDP_RETRY_AFTER_CAP_S"],
            )
            # one time budget for all IdP work of a request (its threads run one request at a time)
            app.before_request(self.http.start_budget)
            app.teardown_request(lambda _exc: self.http.end_budget())
        else:
            # What public samples do: no timeouts, no retries, no breaker, no cache.
            self.http = trusting_session(ca)
        self.http_cache: dict[Any, Any] = {}  # msal's, shared by every msal app of this process
        self.keys = KeySet(
            self.http, lambda: str(self.metadata()["jwks_uri"]), min_refresh_s=cfg["IDP_KEYS_MIN_REFRESH_S"], stored=self._stored
        )
        app.extensions["idp"] = self

    # -- where things are -------------------------------------------------------------------

    @property
    def susi(self) -> str:
        """The sign-up/sign-in policy: the one whose refresh tokens the app uses."""
        return str(self.config["B2C_SIGNUP_SIGNIN_POLICY"])

    def authority(self, policy: str | None = None) -> dict[str, str]:
        """msal's `authority` (a B2C policy) or `oidc_authority` (External ID, a custom domain)."""
        return msal_authority(self.config, policy or self.susi)

    def discovery_url(self, policy: str | None = None) -> str:
        """Where `policy`'s (or the one user flow's) OpenID Connect discovery document is."""
        return discovery_url(self.config, policy or self.susi)

    def metadata(self, policy: str | None = None) -> dict[str, Any]:
        """The discovery document (in memory for an hour; last-known-good on failure)."""
        url = self.discovery_url(policy)
        cached = self._metadata.get(url)
        if cached is not None and time.monotonic() - cached[0] < 3600:
            return cached[1]
        document: dict[str, Any] = json.loads(self.http.get(url).text)
        self._metadata[url] = (time.monotonic(), document)
        return document

    def issuer(self, policy: str | None = None) -> str:
        """The `iss` tokens of `policy` must carry."""
        return str(self.metadata(policy)["issuer"])

    def cca(self, policy: str | None = None, cache: msal.TokenCache | None = None) -> msal.ConfidentialClientApplication:
        """An msal app for one policy and one user's token cache (cheap: discovery is cached)."""
        return msal.ConfidentialClientApplication(
            self.config["B2C_CLIENT_ID"],
            client_credential=self.config["B2C_CLIENT_SECRET"],
            http_client=self.http,
            http_cache=self.http_cache if self.resilient else None,
            token_cache=cache,
            instance_discovery=False,
            **self.authority(policy),
        )

    def _stored(self, url: str) -> str | None:
        """The last-known-good body of `url` (written by any worker), or None."""
        found = self.last_known_good.get(url) if self.last_known_good else None
        return None if found is None else found[1]

    # -- health -----------------------------------------------------------------------------

    def _observe(self, endpoint: str, outcome: str, seconds: float) -> None:
        self.metrics.calls.labels(endpoint, outcome).inc()
        if seconds:
            self.metrics.latency.labels(endpoint).observe(seconds)
        if outcome == "ok":
            self.last_success = time.time()
        elif outcome == "stale_cache":
            self.metrics.degraded.labels("stale_metadata").inc()
        elif not outcome.startswith("http_4"):  # a 4xx is the caller's error, not the IdP failing
            self.last_failure = time.time()

    def available(self) -> tuple[bool, float]:
        """Whether sending a user to the IdP makes sense now, and else a Retry-After in seconds.

        Uses the breaker, the IdP's last Retry-After (capped at IDP_RETRY_AFTER_CAP_S), recent
        successes, and at most one cheap probe per IDP_PROBE_INTERVAL_S.
        """
        if not self.resilient:
            return True, 0.0
        wait = breaker_retry_after(self.breaker)
        if wait is not None:
            return False, wait
        throttled = self.http.throttled_until - time.monotonic()
        if throttled > 0:  # the IdP said when to come back: a user sent to it now could not finish signing in
            return False, throttled
        interval = float(self.config["IDP_PROBE_INTERVAL_S"])
        if self.last_success is not None and time.time() - self.last_success < interval and (self.last_failure or 0) < self.last_success:
            return True, 0.0
        with self._probe_lock:
            checked_at, ok = self._last_probe
            if time.monotonic() - checked_at >= interval:
                ok = self.http.probe(self.discovery_url())
                self._last_probe = (time.monotonic(), ok)
        return ok, 0.0 if ok else max(1.0, breaker_retry_after(self.breaker) or float(self.config["BREAKER_RESET_S"]))

    def status(self) -> dict[str, Any]:
        """What /status/idp reports."""
        age = self.last_known_good.age(self.discovery_url()) if self.last_known_good else None
        return {
            "resilience": "on" if self.resilient else "off",
            "breaker": {
                "state": self.breaker.current_state,
                "failures": self.breaker.fail_counter,
                "retry_after_s": breaker_retry_after(self.breaker),
            },
            "last_success": self.last_success,
            "last_failure": self.last_failure,
            "metadata_age_s": None if age is None else round(age, 1),
            "copies_not_written": self.last_known_good.unwritten if self.last_known_good else 0,
            "throttled_for_s": round(max(0.0, self.http.throttled_until - time.monotonic()), 1) if self.resilient else 0.0,
            "signing_keys": len(self.keys.kids),
        }


def _shared_store(cfg: Any) -> Any:
    """With REDIS_URL, the replicas share their last-known-good copies there too (short timeouts:
    it is read when the IdP already failed)."""
    if not cfg["REDIS_URL"]:
        return None
    import redis

    return redis.Redis.from_url(cfg["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5)


def idp() -> Idp:
    """The `Idp` of the current app."""
    found: Idp = current_app.extensions["idp"]
    return found


__all__ = ["IDP_ERRORS", "Idp", "IdpUnavailable", "idp"]
