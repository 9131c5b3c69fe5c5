"""The reference daemon: calls the reference API on a schedule with an app-only token (client
credentials), and keeps doing so when the IdP does not answer.

    python -m sample_app.daemon [--interval S] [--duration S] [--summary FILE] [--events FILE]

Settings are the reference app's (`sample_app.config`): the authority (B2C policy or
OIDC_AUTHORITY), DAEMON_CLIENT_ID/SECRET, API_APP_ID_URI (it asks for `{uri}/.default`),
API_BASE_URL (where the API is) and the IDP_* and BREAKER_* knobs.

- msal's `acquire_token_for_client` and its token cache: the token is reused until msal wants it
  refreshed (`refresh_in`, or 5 minutes before it expires); a refresh that fails leaves msal's
  cached token in use.
- Every call to the IdP and to the API goes through `toolkit.resilience.http.ResilientHttpClient`
  (timeouts, Retry-After, a circuit breaker each); discovery is kept last-known-good on disk, so
  a restart during an outage still finds the token endpoint.
- When a token request fails, the next one waits for the exponential backoff (5 s, 10 s, 20 s ...
  with jitter) or the IdP's Retry-After, whichever is longer, and never more than
  DAEMON_MAX_BACKOFF_S: a Retry-After of a day, or a date in 2099, is capped (msal's own throttling
  sees the capped value too). Meanwhile the daemon keeps calling the API with the token it holds,
  until that token is within `EXPIRY_MARGIN_S` of its expiry: an IdP outage shorter than the
  token's remaining lifetime is not seen by the API, and one longer costs one token request per
  backoff window, never a storm.
- A 401 from the API (a key rollover it has not seen, a revoked grant) drops the token and tries
  once with a new one; a new token refused too is not replaced again before the backoff window
  ends, so an API that refuses every token costs one token request per window, not one per call.

With `--events FILE` it appends what it does as it goes, one JSON object a line (what
`b2c-toolkit drill` reads from a team's daemon): each call of the API
(`{"t", "event": "call", "outcome", "ms", "refused"}`: `refused` counts the 401s the API answered)
and each token request that left it (`{"t", "event": "token", "outcome"}`), `t` when it started
in epoch seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msal
import requests
from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from sample_app.authority import msal_authority
from sample_app.config import load_settings
from toolkit.resilience.http import TRANSIENT, ResilientHttpClient, new_breaker, retry_after_s
from toolkit.resilience.lastknown import LastKnownGood

LOG = logging.getLogger("sample_app.daemon")
#: stop using a held token this long before it expires (clocks differ; the API allows 120 s leeway)
EXPIRY_MARGIN_S = 30.0
#: the first wait after a failed token request when the IdP sends no Retry-After: msal's own default
#: throttle time, so that a daemon asks at most once per such window
FIRST_BACKOFF_S = 5.0
#: errors msal raises when the IdP misbehaves (discovery included)
TOKEN_ERRORS = (requests.RequestException, msal.exceptions.MsalServiceError, ValueError, KeyError, RuntimeError)


class TokenClient(ResilientHttpClient):
    """The IdP client, remembering whether the last token request failed, and its Retry-After."""

    failed = False
    retry_after: float | None = None

    def post(
        self, url: str, params: dict[str, Any] | None = None, data: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """One POST (never retried: msal reads a 429 or 5xx itself and throttles on Retry-After)."""
        try:
            response = super().post(url, params=params, data=data, headers=headers, **kwargs)
        except requests.RequestException as exc:  # unreachable, reset, timed out, or the breaker is open
            self.failed, self.retry_after = True, getattr(exc, "retry_after", None)
            raise
        self.failed = response.status_code in TRANSIENT
        self.retry_after = retry_after_s(response) if self.failed else None
        return response


@dataclass
class Tally:
    """What the daemon did: API calls by outcome, and token requests that left the process."""

    started: float = field(default_factory=time.monotonic)
    calls: Counter[str] = field(default_factory=Counter)
    token_requests: list[tuple[float, str]] = field(default_factory=list)  #: (seconds since start, outcome)

    def summary(self) -> dict[str, Any]:
        """The JSON the daemon prints (and writes with --summary) when it stops."""
        total = sum(self.calls.values())
        return {
            "calls": total,
            "outcomes": dict(self.calls),
            "success_ratio": round(self.calls["ok"] / total, 4) if total else None,
            "token_requests": len(self.token_requests),
            "token_request_log": [{"at_s": round(at, 3), "outcome": outcome} for at, outcome in self.token_requests],
        }


class Daemon:
    """One daemon: an msal confidential client with its token cache, and two resilient clients."""

    def __init__(self, settings: dict[str, Any], report: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self.report = report  #: told each call and token request as it happens (`--events`)
        ca = settings["B2C_CA_BUNDLE"] or None
        timeouts = {"connect_timeout_s": settings["IDP_CONNECT_TIMEOUT_S"], "read_timeout_s": settings["IDP_READ_TIMEOUT_S"]}
        self.tally = Tally()
        self.idp = TokenClient(
            ca_bundle=ca,
            get_attempts=settings["IDP_GET_ATTEMPTS"],
            max_retry_after_s=settings["IDP_MAX_RETRY_AFTER_S"],
            breaker=new_breaker(settings["BREAKER_FAIL_MAX"], settings["BREAKER_RESET_S"]),
            last_known_good=LastKnownGood(settings["IDP_CACHE_DIR"] or None, issuer=settings["IDP_ISSUER"] or None),
            observer=self._observe_idp,
            issuer=settings["IDP_ISSUER"] or None,
            retry_after_cap_s=settings["DAEMON_MAX_BACKOFF_S"],
            **timeouts,
        )
        self.api = ResilientHttpClient(
            ca_bundle=ca, breaker=new_breaker(settings["BREAKER_FAIL_MAX"], settings["BREAKER_RESET_S"]), **timeouts
        )
        self.scope = f"{str(settings['API_APP_ID_URI']).rstrip('/')}/.default"
        self.url = f"{str(settings['API_BASE_URL']).rstrip('/')}/api/report"
        self.cache = msal.TokenCache()
        self._app: msal.ConfidentialClientApplication | None = None
        self._held: tuple[str, float] | None = None  #: (access token, monotonic time it expires)
        self._failures = 0  #: token requests failed in a row
        self._quiet_until = 0.0  #: no token request before this monotonic time
        self._refusals = 0  #: new tokens the API refused in a row
        self._refetch_after = 0.0  #: no new token for a refused one before this monotonic time
        self._backoff = wait_exponential_jitter(multiplier=FIRST_BACKOFF_S, max=settings["DAEMON_MAX_BACKOFF_S"], jitter=1)

    # -- the IdP ------------------------------------------------------------------------------

    def _observe_idp(self, endpoint: str, outcome: str, seconds: float) -> None:
        if endpoint == "token" and outcome != "breaker_open":  # an open breaker sends nothing
            self.tally.token_requests.append((time.monotonic() - self.tally.started, outcome))
            if self.report is not None:
                self.report({"t": round(time.time() - seconds, 3), "event": "token", "outcome": outcome})

    def app(self) -> msal.ConfidentialClientApplication:
        """The msal app, built on first use (building it fetches discovery)."""
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self.settings["DAEMON_CLIENT_ID"],
                client_credential=self.settings["DAEMON_CLIENT_SECRET"],
                http_client=self.idp,
                token_cache=self.cache,
                instance_discovery=False,
                **msal_authority(self.settings, str(self.settings["B2C_SIGNUP_SIGNIN_POLICY"])),
            )
        return self._app

    def token(self) -> str | None:
        """An access token for the API: msal's (cached or new), else the one held, else None."""
        now = time.monotonic()
        if now >= self._quiet_until:
            self.idp.failed, self.idp.retry_after = False, None
            try:
                result: dict[str, Any] = self.app().acquire_token_for_client([self.scope])
            except TOKEN_ERRORS as exc:
                LOG.warning("token request failed: %s", exc.__class__.__name__)
                result = {"error": exc.__class__.__name__}
            if "access_token" in result:  # new, cached, or cached after a failed refresh
                self._held = (str(result["access_token"]), now + float(result["expires_in"]))
            else:
                LOG.warning("no token: %s", result.get("error"))
            if "access_token" not in result or self.idp.failed:
                self._wait_before_next_request()
            else:
                self._failures = 0
        if self._held is not None and time.monotonic() < self._held[1] - EXPIRY_MARGIN_S:
            return self._held[0]
        return None

    def _wait_before_next_request(self) -> None:
        """The next token request waits for the backoff or the IdP's Retry-After, the longer."""
        self._failures += 1
        wait = min(max(self._backoff_s(self._failures), self.idp.retry_after or 0.0), float(self.settings["DAEMON_MAX_BACKOFF_S"]))
        self._quiet_until = time.monotonic() + wait
        LOG.info("next token request in %.1f s (failure %d in a row)", wait, self._failures)

    def _backoff_s(self, attempt: int) -> float:
        """The exponential backoff (with jitter) before the `attempt`-th retry."""
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = attempt
        return float(self._backoff(state))

    # -- the API ------------------------------------------------------------------------------

    def call(self) -> str:
        """One scheduled call of the API; returns its outcome. A 401 (the API no longer takes the
        token: a key rollover, a revoked grant) drops the token and tries once with a new one."""
        started, began = time.time(), time.monotonic()
        outcome = self._call_once()
        refused = int(outcome == "http_401")  #: 401s the API answered to the daemon's tokens
        if outcome == "http_401" and time.monotonic() >= self._refetch_after:
            self._held = None
            self.app().remove_tokens_for_client()
            outcome = self._call_once()
            refused += int(outcome == "http_401")
            if outcome == "http_401":  # the new token is refused too: not replaced again before the window ends
                self._refusals += 1
                self._refetch_after = time.monotonic() + self._backoff_s(self._refusals)
            else:
                self._refusals = 0
        self.tally.calls[outcome] += 1
        if self.report is not None:
            ms = round((time.monotonic() - began) * 1000, 1)
            self.report({"t": round(started, 3), "event": "call", "outcome": outcome, "ms": ms, "refused": refused})
        if outcome != "ok":
            LOG.warning("api call: %s", outcome)
        return outcome

    def _call_once(self) -> str:
        token = self.token()
        if token is None:
            return "no_token"
        try:
            reply = self.api.get(self.url, headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            return f"api_{exc.__class__.__name__}"
        return "ok" if reply.ok else f"http_{reply.status_code}"

    def run(self, interval_s: float, duration_s: float | None, stop: threading.Event) -> dict[str, Any]:
        """Call every `interval_s` until `stop` is set or `duration_s` has passed."""
        deadline = None if not duration_s else time.monotonic() + duration_s
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            began = time.monotonic()
            self.call()
            stop.wait(max(0.0, interval_s - (time.monotonic() - began)))
        self.idp.close()
        self.api.close()
        return self.tally.summary()


def main(argv: list[str] | None = None) -> int:
    """`python -m sample_app.daemon`."""
    parser = argparse.ArgumentParser(prog="python -m sample_app.daemon", description="Call the reference API on a schedule, app-only.")
    parser.add_argument("--interval", type=float, help="seconds between calls (default: DAEMON_INTERVAL_S)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: run until interrupted)")
    parser.add_argument("--summary", help="write the JSON summary to this file when stopping")
    parser.add_argument("--events", help="append each call and token request to this file as it happens, a JSON object a line")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    try:
        settings = load_settings()
    except ValueError as exc:
        print(f"sample_app.daemon: {exc}", file=sys.stderr)
        return 2
    missing = [name for name in ("DAEMON_CLIENT_ID", "DAEMON_CLIENT_SECRET", "API_APP_ID_URI", "API_BASE_URL") if not settings[name]]
    if missing:
        print(f"sample_app.daemon: set {', '.join(missing)} (see the reference app settings)", file=sys.stderr)
        return 2
    interval = args.interval if args.interval is not None else float(settings["DAEMON_INTERVAL_S"])
    if interval <= 0 or (args.duration is not None and args.duration <= 0):
        print("sample_app.daemon: --interval and --duration must be positive", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    events = open(args.events, "a", buffering=1) if args.events else None  # noqa: SIM115 (open for the whole run)
    report = None if events is None else (lambda event: print(json.dumps(event), file=events))
    try:
        summary = Daemon(settings, report).run(interval, args.duration, stop)
    finally:
        if events is not None:
            events.close()
    text = json.dumps(summary)
    if args.summary:
        Path(args.summary).write_text(text)
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
