"""The contract between `b2c-toolkit drill` and the load tests: what the drill hands to Locust
(a resolved plan: the scenario's load and phases, the app profile, the IdP configuration) and what
Locust hands back (one operation record per logical user operation, and the IdP's request counts
per phase).

The drill writes the plan as `plan.json` and passes `--drill-plan`; the load tests read it and never
import the drill. Plain dataclasses and JSON: both sides can be read without the other installed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: the simulated users, in the order they are reported
ANONYMOUS, SIGNED_IN, NEW_SIGN_IN, DAEMON, API_CALLER = "anonymous", "signed_in", "new_sign_in", "daemon", "api_caller"
PERSONAS = (ANONYMOUS, SIGNED_IN, NEW_SIGN_IN, DAEMON, API_CALLER)
#: each token request a daemon sends is recorded too, under this name (not a persona of its own)
DAEMON_TOKEN = "daemon:token"

#: what one operation came to: the page or sign-in worked (`ok`); the app answered one of its
#: designed degraded answers, such as a 503 "sign-in unavailable" page (`handled`); anything else
#: (`failed`: a 5xx, a connection error, a browser sent to a dead IdP, a signed-in user sent back
#: to sign in)
OK, HANDLED, FAILED = "ok", "handled", "failed"
OUTCOMES = (OK, HANDLED, FAILED)


@dataclass(frozen=True)
class Operation:
    """One logical operation of one simulated user."""

    t: float  #: when it started, in seconds since the run started (a phase holds what started in it)
    persona: str
    outcome: str
    ms: float
    user: str = ""  #: the simulated user's id
    logged_out: bool = False  #: a signed-in user sent back to sign in
    reason: str = ""  #: why it failed or was handled
    #: 401 answers the app gave, during this operation, to a token the IdP issued (a genuine one)
    genuine_tokens_refused: int = 0

    def to_json(self) -> str:
        """One line of `ops.jsonl`."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Operation:
        """Read one line of `ops.jsonl`."""
        return cls(**json.loads(line))


def read_operations(path: Path) -> list[Operation]:
    """Every operation of a run (none when the file is missing)."""
    if not path.exists():
        return []
    return [Operation.from_json(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Request:
    """One HTTP request a persona's browser sent (to the app, or to the IdP: its name has the word
    `b2c`), as the load test recorded it: also one cut off by the end of the run (`failed`, with
    the time it had waited)."""

    t: float  #: when it started, in seconds since the run started
    name: str  #: its Locust name (`new_sign_in app callback /auth/callback`)
    ms: float
    failed: bool = False

    def to_json(self) -> str:
        """One line of `requests.jsonl`."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @property
    def to_app(self) -> bool:
        """A request to the app (not to the IdP)."""
        return "b2c" not in self.name.split()


def read_requests(path: Path) -> list[Request]:
    """Every request of a run (none when the file is missing)."""
    if not path.exists():
        return []
    return [Request(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Match:
    """One way to recognise an answer: every given part must hold."""

    status: int | None = None
    text: str | None = None  #: in the body
    header: str | None = None  #: present (any value)
    location: str | None = None  #: in the Location header (redirects)

    def matches(self, status: int, headers: Any, body: str) -> bool:
        """True when the answer fits."""
        if self.status is not None and status != self.status:
            return False
        if self.text is not None and self.text not in body:
            return False
        if self.header is not None and self.header not in headers:
            return False
        return self.location is None or self.location in str(headers.get("Location", ""))


@dataclass(frozen=True)
class AppProfile:
    """How to drive one web app: its routes and how to tell its answers apart (the resolved part
    of a profile; how to start the app stays with the drill)."""

    name: str
    url: str  #: where the app answers (started by the drill or already running)
    protected: str  #: a page that needs a signed-in user
    sign_in: str  #: where sign-in starts
    sign_in_via: str  #: "redirect" (a 302 to authorize), "link" (a link or meta refresh), "form"
    callback: str  #: the redirect URI's path
    pages: tuple[str, ...]  #: what a signed-in user browses
    public: tuple[str, ...]  #: what an anonymous visitor browses
    api: str | None  #: an API that takes a bearer token (None: the app has none)
    sign_out: str | None
    signed_in: tuple[Match, ...]
    sent_to_sign_in: tuple[Match, ...]
    handled: tuple[Match, ...]
    username_field: str = "signInName"
    daemon_api: str | None = None  #: an API for app-only tokens (`/api/report`), which the app's daemon calls

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppProfile:
        """From `asdict` output (JSON)."""
        fields: dict[str, Any] = dict(data)
        for key in ("signed_in", "sent_to_sign_in", "handled"):
            fields[key] = tuple(Match(**m) for m in data[key])
        fields["pages"], fields["public"] = tuple(data["pages"]), tuple(data["public"])
        return cls(**fields)

    def classify(self, status: int, headers: Any, body: str) -> str:
        """`ok`, `handled`, `logged_out` or `failed` for an answer to a page a signed-in user asked for."""
        if any(m.matches(status, headers, body) for m in self.handled):
            return HANDLED
        if any(m.matches(status, headers, body) for m in self.sent_to_sign_in):
            return "logged_out"
        if any(m.matches(status, headers, body) for m in self.signed_in):
            return OK
        return FAILED


#: the one fault that is an instant action, not a state lasting a phase: the IdP starts signing
#: with a new key, and keeps the old one published for `grace_s` seconds
ROTATE_KEYS = "rotate-keys"


@dataclass(frozen=True)
class FaultEntry:
    """One entry of the emulator's fault timeline: at `at_s` seconds into the run, a fault that
    lasts `duration_s`, or the instant key rotation (`kind` rotate-keys, with `grace_s`; None: the
    emulator's default). `settings` are the fault's other fields as the scenario gives them
    (`group`, `mode`, `retry_after`...): what they may be is the emulator's to check, not this
    record's."""

    at_s: float
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    grace_s: float | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, Any], start_s: float, end_s: float) -> FaultEntry:
        """A scenario's fault table (`{ kind = "outage", group = "token" }`), played from `start_s`
        to `end_s` (a key rotation happens at `start_s`)."""
        settings = {k: v for k, v in table.items() if k != "kind"}
        if table.get("kind") == ROTATE_KEYS:
            grace_s = settings.pop("grace_s", None)
            return cls(at_s=start_s, kind=ROTATE_KEYS, settings=settings, grace_s=grace_s)
        return cls(at_s=start_s, kind=str(table.get("kind")), settings=settings, duration_s=round(end_s - start_s, 3))

    @property
    def instant(self) -> bool:
        """An action at `at_s` (a key rotation), not a state lasting `duration_s`."""
        return self.kind == ROTATE_KEYS

    @property
    def label(self) -> str:
        """`idp-outage` for a full outage, else `kind:group` (`outage:token`, `rotate-keys:all`)."""
        group = self.settings.get("group", "all")
        return "idp-outage" if (self.kind, group) == ("outage", "all") else f"{self.kind}:{group}"

    @property
    def retry_after_s(self) -> float | None:
        """The Retry-After this fault sends, if it names one."""
        value = self.settings.get("retry_after")
        return None if value is None else float(value)

    def to_json(self) -> dict[str, Any]:
        """The entry as the emulator's admin API takes it (`POST /_emulator/timeline`)."""
        entry: dict[str, Any] = {"at_s": self.at_s, "fault": {"kind": self.kind, **self.settings}}
        if self.duration_s is not None:
            entry["duration_s"] = self.duration_s
        if self.grace_s is not None:
            entry["grace_s"] = self.grace_s
        return entry

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> FaultEntry:
        """Back from `to_json` (`plan.json`)."""
        fault = dict(entry["fault"])
        return cls(entry["at_s"], str(fault.pop("kind")), fault, entry.get("duration_s"), entry.get("grace_s"))


@dataclass(frozen=True)
class PhasePlan:
    """One stretch of the run, timed."""

    name: str
    start_s: float
    end_s: float
    fault: str = "none"  #: a short label (`idp-outage`, `outage:token`, `none`)


@dataclass(frozen=True)
class DaemonPlan:
    """How to run the app's daemon (a process calling its API with app-only tokens), resolved by
    the drill from the profile's `[app.daemon]`: one process per simulated daemon, each told
    where to report what it does by `{events}` (left in `command` and `env` for each daemon's own
    file). Each line the daemon appends there is one JSON object (`DaemonEvent`)."""

    command: tuple[str, ...]
    env: dict[str, str]
    cwd: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DaemonPlan:
        """From `asdict` output (JSON)."""
        return cls(tuple(data["command"]), dict(data["env"]), str(data["cwd"]))


#: what a daemon reports, one JSON object a line: a call of the API (`call`) or a token request
#: that left it (`token`)
CALL, TOKEN = "call", "token"


@dataclass(frozen=True)
class DaemonEvent:
    """One line a daemon writes to its `{events}` file:

        {"t": 1733616000.25, "event": "call", "outcome": "ok", "ms": 12.5, "refused": 0}
        {"t": 1733616000.26, "event": "token", "outcome": "ok"}

    `t`: when it started, in epoch seconds (missing: when the drill read the line); `outcome`:
    `ok` or `handled` as they are, anything else (`http_503`, `no_token`) a failure, with that as
    its reason; `ms` (optional): how long a call took; `refused` (optional): 401 answers the API
    gave to the daemon's tokens during the call (tokens the IdP issued: genuine ones)."""

    event: str
    outcome: str
    t: float | None = None
    ms: float = 0.0
    refused: int = 0

    @classmethod
    def from_json(cls, line: str) -> DaemonEvent | None:
        """One line of the events file; None for a line that is not an event."""
        try:
            data = json.loads(line)
            event = cls(
                event=str(data["event"]),
                outcome=str(data["outcome"]),
                t=None if data.get("t") is None else float(data["t"]),
                ms=float(data.get("ms") or 0.0),
                refused=int(data.get("refused") or 0),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return event if event.event in (CALL, TOKEN) else None

    @property
    def counted_as(self) -> str:
        """The operation's outcome: `ok`, `handled` or `failed`."""
        return self.outcome if self.outcome in (OK, HANDLED) else FAILED


@dataclass(frozen=True)
class Plan:
    """Everything the load tests need for one run, resolved by the drill."""

    scenario: str
    users: int
    spawn_rate: float
    duration_s: float
    weights: dict[str, int]
    phases: tuple[PhasePlan, ...]
    app: AppProfile
    idp: dict[str, Any]  #: the keys `b2c-toolkit emulator --print-config` prints
    timeline: tuple[FaultEntry, ...] = ()  #: the emulator's fault timeline (empty: no faults)
    emulator: str | None = None  #: the emulator's URL for its admin API (None: a real tenant)
    out: str = ""  #: where the records go
    trust: str | None = None  #: CA bundle the simulated browsers trust (the IdP's and the app's); None: the IdP's
    extra: dict[str, Any] = field(default_factory=dict)
    daemon: DaemonPlan | None = None  #: the app's daemon (None: no daemon persona)

    def write(self, path: Path) -> None:
        """As JSON (`plan.json`)."""
        data = asdict(self)
        data["timeline"] = [entry.to_json() for entry in self.timeline]
        path.write_text(json.dumps(data, indent=1))

    @classmethod
    def read(cls, path: Path) -> Plan:
        """Back from `plan.json`."""
        data = json.loads(path.read_text())
        return cls(
            **{
                **data,
                "phases": tuple(PhasePlan(**p) for p in data["phases"]),
                "app": AppProfile.from_dict(data["app"]),
                "timeline": tuple(FaultEntry.from_json(e) for e in data["timeline"]),
                "daemon": DaemonPlan.from_dict(data["daemon"]) if data.get("daemon") else None,
            }
        )

    def phase_at(self, t: float) -> PhasePlan:
        """The phase running `t` seconds into the run (the last one after the end)."""
        return next((p for p in self.phases if p.start_s <= t < p.end_s), self.phases[-1])
