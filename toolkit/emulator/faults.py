"""Fault injection: make the emulator slow, throttled, failing or dead, per endpoint group.

Groups: `metadata` (discovery), `jwks` (signing keys), `pages` (authorize, sign-in pages, logout),
`token`, `graph` (Microsoft Graph, when a seeded tenant is served), and `all`. Kinds:

- `outage`: every request fails; `mode` `503` (an error page), `reset` (the TCP connection is
  reset mid-request, as a dead load balancer does) or `cut` (the answer starts, then the
  connection is reset halfway through its body).
- `error`: a share (`ratio`) of requests answer `status` (500/502/503/504) with an `html` or `json` body.
- `throttle`: a share of requests answer 429 with `Retry-After` and B2C's AADB2C90229; `retry_after`
  may be absurd (up to 10^10 s) and `retry_after_date` sends it as an HTTP date instead of seconds.
- `latency`: requests are delayed `latency_ms`, plus up to `jitter_ms` at random.
- `bad-answer`: answers that look healthy but are not: a 200 whose body is `answer`: `html` (a
  maintenance page), `empty-object` (`{}`), `empty-keys` (a key set with no key), `missing-fields`
  (discovery without `token_endpoint` and `jwks_uri`; keys without `kid` and modulus),
  `wrong-issuer` (discovery naming another issuer) or `huge` (the real answer padded to 10 MB).
- `dribble`: the real answer, sent at `bytes_per_s`; with `endless` it never ends.
- `tenant-limit`: the tenant's request limits: more than `limit` requests in one second (default
  200), or more than `ip_limit` from one client IP (External ID: 20; B2C: none), answer 429.
- `rotate-keys` (timeline only): start signing with a new key now; the old one stays published for
  `grace_s` seconds.

Randomness comes from one seeded generator, so a run under `--seed` is deterministic.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import json
import random
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

from toolkit.emulator.flavors import Flavor

GROUPS = ("metadata", "jwks", "pages", "token", "graph", "all")
KINDS = ("outage", "error", "throttle", "latency", "tenant-limit", "bad-answer", "dribble")
MODES = ("503", "reset", "cut")
ANSWERS = ("html", "empty-object", "empty-keys", "missing-fields", "wrong-issuer", "huge")
#: the size a `huge` answer is padded to
HUGE_BYTES = 10 * 1024 * 1024
ADMIN_PREFIX = "/_emulator"
THROTTLED = "AADB2C90229: Azure AD B2C throttled traffic if too many requests are sent from the same source in a short period of time."

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FaultError(ValueError):
    """A fault specification that cannot be used."""


#: the longest time any fault setting may name: a week
MAX_SECONDS = 7 * 24 * 3600


def number(value: Any, name: str, low: float = 0.0, high: float = MAX_SECONDS, integer: bool = False) -> float:
    """`value` if it is a number from `low` to `high` (a whole one if `integer`), else FaultError:
    checked when a fault is set, so that a bad one is refused instead of breaking requests later.
    NaN, infinities, strings such as "10" and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise FaultError(f"{name} must be a number >= {low:g} and <= {high:g} (got {shown})")
    if integer and value != int(value):
        raise FaultError(f"{name} must be a whole number (got {value!r})")
    return float(value)


#: numeric fields of a fault: (lowest value, highest value, whole numbers only)
NUMBERS = {
    "status": (100, 599, True),
    "ratio": (0.0, 1.0, False),
    "retry_after": (0, 10**10, True),
    "bytes_per_s": (0.1, 1_000_000.0, False),
    "latency_ms": (0.0, 600_000.0, False),
    "jitter_ms": (0.0, 600_000.0, False),
    "limit": (1, 1_000_000, True),
    "ip_limit": (1, 1_000_000, True),
    "duration_s": (0.0, MAX_SECONDS, False),
}
#: numeric fields that may be left out (None)
OPTIONAL = ("duration_s", "ip_limit")
#: the other numbers the admin API takes: a timeline entry's start, a key rotation's grace period
AT_S = (0.0, MAX_SECONDS, False)
GRACE_S = (0.0, MAX_SECONDS, False)
#: the keys of a timeline entry
ENTRY_KEYS = ("at_s", "fault", "duration_s", "grace_s")
#: the timeline's instant action (`"fault": "rotate-keys"` or `{"kind": "rotate-keys"}`), and how
#: long the old key stays published when an entry (or `faults rotate-keys`) names no `grace_s`
ROTATE_KEYS = "rotate-keys"
DEFAULT_GRACE_S = 300.0


def is_rotation(spec: Any) -> bool:
    """True for a timeline entry's fault that rotates the signing key."""
    return spec in (ROTATE_KEYS, {"kind": ROTATE_KEYS})


@dataclass
class Fault:
    """One active fault."""

    kind: str
    group: str = "all"
    mode: str = "503"
    status: int = 503
    body: str = "html"
    ratio: float = 1.0
    retry_after: int = 5
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    limit: int = 200
    ip_limit: int | None = None  #: per client IP per second (None: the flavor's)
    retry_after_date: bool = False
    answer: str = "html"
    bytes_per_s: float = 1.0
    endless: bool = False
    duration_s: float | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    expires: float | None = None  #: monotonic deadline, from duration_s

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build and validate a fault from its JSON form."""
        known = {f for f in cls.__dataclass_fields__ if f not in ("id", "expires")}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultError(f"unknown fault field {unknown[0]!r}")
        try:
            fault = cls(**data)
        except TypeError as exc:
            raise FaultError(str(exc)) from None
        if fault.kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}")
        if fault.group not in GROUPS:
            raise FaultError(f"group must be one of {', '.join(GROUPS)}")
        if fault.mode not in MODES:
            raise FaultError(f"mode must be one of {', '.join(MODES)}")
        if fault.answer not in ANSWERS:
            raise FaultError(f"answer must be one of {', '.join(ANSWERS)}")
        for flag in ("retry_after_date", "endless"):
            if not isinstance(getattr(fault, flag), bool):
                raise FaultError(f"{flag} must be true or false")
        if fault.body not in ("html", "json"):
            raise FaultError("body must be html or json")
        for name, (low, high, integer) in NUMBERS.items():
            if name not in OPTIONAL or getattr(fault, name) is not None:
                value = number(getattr(fault, name), name, low, high, integer)
                if integer:
                    setattr(fault, name, int(value))  # 503.0 from JSON is written as 503
        if fault.kind == "error" and not 400 <= fault.status <= 599:
            raise FaultError("status must be an HTTP error status")
        if fault.duration_s is not None:
            fault.expires = time.monotonic() + fault.duration_s
        return fault

    def public(self) -> dict[str, Any]:
        """The JSON form shown by the admin API."""
        data = asdict(self)
        data["remaining_s"] = None if self.expires is None else max(0.0, round(self.expires - time.monotonic(), 3))
        del data["expires"]
        return data


def check_entry(entry: Any) -> None:
    """Raise FaultError unless `entry` is a timeline entry the emulator can play: `{at_s, fault,
    duration_s}` with a valid fault, or `{at_s, "fault": "rotate-keys", grace_s}`."""
    if not isinstance(entry, dict) or "at_s" not in entry or "fault" not in entry:
        raise FaultError("each timeline entry needs at_s and fault")
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise FaultError(f"unknown timeline entry field {unknown[0]!r} (known: {', '.join(ENTRY_KEYS)})")
    number(entry["at_s"], "at_s", *AT_S)
    spec = entry["fault"]
    if is_rotation(spec):
        number(entry.get("grace_s", DEFAULT_GRACE_S), "grace_s", *GRACE_S)
    elif isinstance(spec, dict):
        Fault.from_dict({**spec, "duration_s": entry.get("duration_s")})
    else:
        raise FaultError('a timeline fault is an object, or "rotate-keys"')


@dataclass
class Decision:
    """What the middleware does with one request."""

    delay_s: float = 0.0
    reset: bool = False
    status: int | None = None
    retry_after: int | None = None
    retry_after_date: bool = False
    body: str = "html"
    message: str = ""
    cut: bool = False  #: reset the connection halfway through the real answer's body
    answer: str | None = None  #: replace a 200's body with this bad answer
    bytes_per_s: float | None = None  #: send the real answer this slowly
    endless: bool = False


class FaultBook:
    """Active faults, the timeline that changes them, and request counters."""

    def __init__(self, seed: int | None = None, rotate_keys: Callable[[float], object] | None = None, flavor: Flavor | None = None) -> None:
        self.flavor = flavor or Flavor()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rotate_keys = rotate_keys
        self._timeline: list[dict[str, Any]] = []
        self._timeline_started: float | None = None
        self._timeline_thread: threading.Thread | None = None
        self._generation = 0  #: bumps on clear, so an old timeline thread stops
        self._window = (0, 0)  #: (second, requests) for tenant-limit
        self._ip_window: tuple[int, Counter[str]] = (0, Counter())  #: (second, requests per IP)
        self.counts: Counter[str] = Counter()  #: "group status" → requests

    # -- managing faults ---------------------------------------------------------------------

    def add(self, fault: Fault) -> Fault:
        """Activate a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault and stop the timeline: normal service at once."""
        with self._lock:
            self._faults = []
            self._timeline = []
            self._timeline_started = None
            self._generation += 1

    def active(self) -> list[Fault]:
        """Faults in force now (expired ones are dropped)."""
        now = time.monotonic()
        with self._lock:
            self._faults = [f for f in self._faults if f.expires is None or f.expires > now]
            return list(self._faults)

    def show(self) -> dict[str, Any]:
        """Everything the admin API reports."""
        started = self._timeline_started
        return {
            "faults": [f.public() for f in self.active()],
            "timeline": self._timeline,
            "timeline_elapsed_s": None if started is None else round(time.monotonic() - started, 3),
            "requests": dict(sorted(self.counts.items())),
        }

    def play(self, timeline: list[dict[str, Any]]) -> None:
        """Play a list of `{at_s, fault, duration_s}` from now, in a background thread."""
        entries = []
        for entry in timeline:
            check_entry(entry)  # now, not when the thread reaches it
            entries.append(dict(entry))
        entries.sort(key=lambda e: float(e["at_s"]))
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._timeline = entries
            self._timeline_started = time.monotonic()
        thread = threading.Thread(
            target=self._run_timeline, args=(entries, generation, self._timeline_started), daemon=True, name="fault-timeline"
        )
        self._timeline_thread = thread
        thread.start()

    def _run_timeline(self, entries: list[dict[str, Any]], generation: int, started: float) -> None:
        for entry in entries:
            delay = started + float(entry["at_s"]) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._generation != generation:
                return
            spec = entry["fault"]
            if is_rotation(spec):
                if self._rotate_keys is not None:
                    self._rotate_keys(float(entry.get("grace_s", DEFAULT_GRACE_S)))
                continue
            self.add(Fault.from_dict({**spec, "duration_s": entry.get("duration_s")}))

    # -- deciding ----------------------------------------------------------------------------

    def decide(self, group: str, client: str = "") -> Decision:
        """What the active faults do to one request of `group` from the IP `client`."""
        decision = Decision()
        for fault in self.active():
            if fault.group not in (group, "all"):
                continue
            if fault.kind == "latency":
                decision.delay_s += (fault.latency_ms + self._rng.uniform(0, fault.jitter_ms)) / 1000
            elif fault.kind in ("bad-answer", "dribble"):
                if fault.ratio >= 1.0 or self._rng.random() < fault.ratio:
                    if fault.kind == "bad-answer":
                        decision.answer = decision.answer or fault.answer
                    else:
                        decision.bytes_per_s, decision.endless = fault.bytes_per_s, fault.endless
            elif decision.status is None and not decision.reset and not decision.cut:
                self._apply(fault, decision, client)
        return decision

    def _apply(self, fault: Fault, decision: Decision, client: str) -> None:
        if fault.kind == "tenant-limit":
            second = int(time.monotonic())
            with self._lock:
                count = self._window[1] + 1 if self._window[0] == second else 1
                self._window = (second, count)
                if self._ip_window[0] != second:
                    self._ip_window = (second, Counter())
                self._ip_window[1][client] += 1
                from_ip = self._ip_window[1][client]
            ip_limit = fault.ip_limit if fault.ip_limit is not None else self.flavor.ip_limit
            if count > fault.limit or (ip_limit is not None and from_ip > ip_limit):
                decision.status, decision.retry_after, decision.message = 429, 1, self.flavor.throttled
            return
        if fault.ratio < 1.0 and self._rng.random() >= fault.ratio:
            return
        if fault.kind == "outage":
            if fault.mode == "reset":
                decision.reset = True
            elif fault.mode == "cut":
                decision.cut = True
            else:
                decision.status, decision.message = 503, self.flavor.unavailable
                decision.retry_after = fault.retry_after
        elif fault.kind == "throttle":
            decision.status, decision.retry_after, decision.message = 429, fault.retry_after, self.flavor.throttled
            decision.retry_after_date = fault.retry_after_date
        elif fault.kind == "error":
            decision.status, decision.body = fault.status, fault.body
            decision.message = self.flavor.server_error


def group_of(path: str) -> str | None:
    """The endpoint group of a request path, or None for paths faults never touch."""
    if path.startswith(ADMIN_PREFIX) or path == "/healthz":
        return None
    if path.endswith("/.well-known/openid-configuration"):
        return "metadata"
    if path.endswith("/discovery/v2.0/keys") or path.endswith("/discovery/keys"):
        return "jwks"
    if path.endswith("/oauth2/v2.0/token"):
        return "token"
    if path.startswith("/graph/"):
        return "graph"
    return "pages"


def _body(decision: Decision, group: str) -> tuple[bytes, str]:
    if decision.body == "json" or (group == "token" and decision.status == 429):
        error = "server_error" if (decision.status or 0) >= 500 else "invalid_request"
        return json.dumps({"error": error, "error_description": decision.message}).encode(), "application/json"
    html = f"<!DOCTYPE html><html lang=en><head><title>Service unavailable</title></head><body><h1>{decision.status}</h1><p>{decision.message}</p></body></html>"
    return html.encode(), "text/html; charset=utf-8"


class FaultMiddleware:
    """WSGI middleware in front of the emulator: counts requests and applies the faults.

    A `reset` needs the raw connection: under gunicorn the socket is set to close with an RST and
    the request ends with ECONNRESET, which gunicorn treats as a vanished client (no 500 page).
    """

    def __init__(self, app: WSGIApp, book: FaultBook) -> None:
        self.app = app
        self.book = book

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        group = group_of(environ.get("PATH_INFO", ""))
        if group is None:
            return self.app(environ, start_response)
        decision = self.book.decide(group, str(environ.get("REMOTE_ADDR", "")))
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.reset:
            self.book.counts[f"{group} reset"] += 1
            sock = environ.get("gunicorn.socket")
            if isinstance(sock, socket.socket):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                raise ConnectionResetError(errno.ECONNRESET, "connection reset by fault injection")
            decision.status, decision.message = 503, "connection reset (fault injection)"
        if decision.status is not None:
            self.book.counts[f"{group} {decision.status}"] += 1
            body, content_type = _body(decision, group)
            headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
            if decision.retry_after is not None:
                headers.append(("Retry-After", _retry_after(decision)))
            start_response(f"{decision.status} {HTTPStatus(decision.status).phrase}", headers)
            return [body]
        if decision.answer or decision.bytes_per_s or decision.cut:
            return self._altered(environ, start_response, group, decision)

        def counting_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            self.book.counts[f"{group} {status.split(' ', 1)[0]}"] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counting_start_response)

    def _altered(self, environ: dict[str, Any], start_response: Callable[..., Any], group: str, decision: Decision) -> Iterable[bytes]:
        """The real answer, with a bad body in place of a 200's, sent slowly, or cut halfway."""
        seen: list[Any] = []
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: seen.append((status, headers))))
        status, headers = seen[0]
        if decision.answer and status.startswith("200"):
            body, content_type = bad_answer(decision.answer, group, body)
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length", "etag")]
            headers.append(("Content-Type", content_type))
            self.book.counts[f"{group} 200-{decision.answer}"] += 1
        else:
            self.book.counts[f"{group} {status.split(' ', 1)[0]}"] += 1
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        if not decision.endless:
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        if decision.cut:
            return self._cut(environ, body)
        if decision.bytes_per_s:
            return _dribbled(body, decision.bytes_per_s, decision.endless)
        return [body]

    def _cut(self, environ: dict[str, Any], body: bytes) -> Iterator[bytes]:
        yield body[: len(body) // 2]
        sock = environ.get("gunicorn.socket")
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raise ConnectionResetError(errno.ECONNRESET, "connection reset halfway through the body by fault injection")


def _retry_after(decision: Decision) -> str:
    """Retry-After in seconds, or as an HTTP date (which may lie far in the future)."""
    if not decision.retry_after_date:
        return str(decision.retry_after)
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=min(decision.retry_after or 0, 10**10))
    return email.utils.format_datetime(when.replace(year=min(when.year, 9999)), usegmt=True)


def _dribbled(body: bytes, bytes_per_s: float, endless: bool) -> Iterator[bytes]:
    """`body` a byte at a time (or a few, above 10 bytes/s); then, when `endless`, spaces forever
    (a client that stops reading ends it: the write fails)."""
    step = max(1, int(bytes_per_s / 10))
    pause = step / bytes_per_s
    for start in range(0, len(body), step):
        yield body[start : start + step]
        time.sleep(pause)
    while endless:
        yield b" " * step
        time.sleep(pause)


def bad_answer(answer: str, group: str, body: bytes) -> tuple[bytes, str]:
    """The body of a bad 200 for `group`, made from the real one; and its content type."""
    if answer == "html":
        page = "<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>We'll be back soon</h1></body></html>"
        return page.encode(), "text/html; charset=utf-8"
    try:
        document = json.loads(body)
    except ValueError:
        document = {}
    if not isinstance(document, dict) or answer == "empty-object":
        document = {}
    elif answer == "empty-keys":
        document = {"keys": []} if group == "jwks" else {}
    elif answer == "missing-fields":
        if group == "jwks":
            document["keys"] = [{k: v for k, v in key.items() if k not in ("kid", "n")} for key in document.get("keys", [])]
        for name in ("token_endpoint", "jwks_uri", "access_token", "id_token"):
            document.pop(name, None)
    elif answer == "wrong-issuer" and "issuer" in document:
        document["issuer"] = "https://impostor.invalid/00000000-0000-0000-0000-000000000000/v2.0/"
    text = json.dumps(document)
    if answer == "huge":
        text = text[:-1] + (', "padding": "' if text != "{}" else '"padding": "') + "x" * HUGE_BYTES + '"}'
    return text.encode(), "application/json"
