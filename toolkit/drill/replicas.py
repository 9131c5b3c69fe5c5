"""Scale-out during a drill: another instance of the app starts while the run goes on, as an
autoscaler adds one under load (often exactly when the IdP is down), joins the front once its
readiness route says it is ready, and is watched the whole time.

A witness (one user signed in and one token the IdP issued, both before any fault) is tried on the
new instance directly every half second, beside its readiness route. Each round is a `Probe` in
`replicas.jsonl`; the scorecard reads them: was a signed-in user sent to sign in, was a genuine
token refused, and did readiness say what the instance could really do (ready while it failed a
signed-in user or a genuine token, or not ready while it served both).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from loadtests.contract import FAILED, HANDLED, OK, AppProfile
from toolkit import flows
from toolkit.drill.front import Front
from toolkit.drill.preflight import signed_in
from toolkit.drill.profile import AppStartError, RunningApp
from toolkit.drill.scenario import Phase
from toolkit.resilience.http import trusting_session

PROBE_EVERY_S = 0.5
TIMEOUT_S = 5.0
#: `Probe.page` when no signed-in user could be made before the faults; `Probe.token` when no token
NOT_TRIED = ""
NO_TOKEN = -1


@dataclass(frozen=True)
class Probe:
    """One round of checks on a new instance."""

    t: float  #: seconds since the run started
    instance: str
    ready: int  #: the readiness route's status (0: no answer)
    page: str  #: the witness's protected page: ok, handled, logged_out, failed ("" not tried)
    token: int  #: the app's API for the witness's token: its status (0: no answer, -1: not tried)
    joined: bool  #: the front sends users to it

    def to_json(self) -> str:
        """One line of `replicas.jsonl`."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Probe:
        """Read one line of `replicas.jsonl`."""
        return cls(**json.loads(line))

    @property
    def serves(self) -> bool:
        """It served the signed-in user (a designed degraded page counts) and the genuine token, of
        those it was given."""
        return self.page in (NOT_TRIED, OK, HANDLED) and self.token in (NO_TOKEN, 200)

    @property
    def honest(self) -> bool:
        """Readiness said what the instance could do."""
        return (self.ready == 200) == self.serves


def read_probes(path: Path) -> list[Probe]:
    """Every probe of a run (none when no instance was added)."""
    if not path.exists():
        return []
    return [Probe.from_json(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Witness:
    """A user signed in, and a token the IdP issued, before any fault."""

    session: requests.Session | None
    token: tuple[str, str] | None  #: the token and the API route that takes it


def genuine_token(app: AppProfile, idp: dict[str, Any], trust: str | None) -> tuple[str, str] | None:
    """A token the IdP issued for the app's API and the route that takes it: a user's (ROPC, as the
    API callers get one, B2C only) for `routes.api`, else an app-only one (client credentials, as a
    daemon gets one) for `routes.daemon_api`; None when the IdP or the app offers neither."""
    if app.api and idp.get("policies", {}).get("ropc") and idp.get("users"):
        route, (url, form) = app.api, flows.token_request(idp, idp["users"][0])
    elif app.daemon_api and idp.get("daemon_client_id"):
        route, (url, form) = app.daemon_api, flows.token_request(idp)
    else:
        return None
    with trusting_session(trust or idp.get("ca_bundle")) as session:
        try:
            reply = session.post(url, data=form, timeout=TIMEOUT_S)
            return (str(reply.json()["access_token"]), route) if reply.status_code == 200 else None
        except (requests.RequestException, ValueError, KeyError):
            return None


class Replica:
    """An instance added during the run: joined to the front when ready, probed until stopped."""

    def __init__(
        self,
        name: str,
        url: str,
        port: int,
        app: AppProfile,
        readiness: str,
        witness: Witness,
        front: Front,
        clock: Callable[[], float],
        out: Path,
        trust: str | None,
    ) -> None:
        self.name, self.url, self.port = name, url, port
        self.app, self.readiness, self.witness = app, readiness, witness
        self.front, self.clock, self.out = front, clock, out
        self.joined = False
        self._client = trusting_session(trust)
        if witness.session is not None:
            self._client.cookies.update(witness.session.cookies)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"drill-{name}", daemon=True)

    def start(self) -> None:
        """Start probing (and join the front on the first ready answer)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop probing."""
        self._stopped.set()
        self._thread.join(timeout=TIMEOUT_S * 3 + 1)
        self._client.close()

    def _status(self, path: str, **kwargs: Any) -> requests.Response | None:
        try:
            return self._client.get(urljoin(self.url, path), allow_redirects=False, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException:
            return None

    def probe(self) -> Probe:
        """One round: readiness, the witness's page, the witness's token."""
        ready = self._status(self.readiness)
        page = NOT_TRIED
        if self.witness.session is not None:
            reply = self._status(self.app.protected)
            page = FAILED if reply is None else self.app.classify(reply.status_code, reply.headers, reply.text or "")
        token = NO_TOKEN
        if self.witness.token is not None:
            value, route = self.witness.token
            reply = self._status(route, headers={"Authorization": f"Bearer {value}"})
            token = 0 if reply is None else reply.status_code
        return Probe(round(self.clock(), 3), self.name, 0 if ready is None else ready.status_code, page, token, self.joined)

    def _watch(self) -> None:
        with open(self.out, "a") as fh:
            while not self._stopped.is_set():
                found = self.probe()
                fh.write(found.to_json() + "\n")
                fh.flush()
                if not self.joined and found.ready == 200:
                    self.front.add(self.port)
                    self.joined = True
                self._stopped.wait(PROBE_EVERY_S)


class Scaler:
    """Adds the instances each phase asks for when it starts, each with an empty folder of its own (a new
    replica's empty disk), and watches them; `stop` stops the watchers and the instances."""

    def __init__(
        self,
        phases: list[Phase],
        start_instance: Callable[[str], RunningApp],
        watch: Callable[[str, RunningApp], Replica],
        started_at: Callable[[], float | None],
        say: Callable[[str], None],
    ) -> None:
        self.phases, self.start_instance, self.watch = phases, start_instance, watch
        self.started_at, self.say = started_at, say
        self.instances: list[RunningApp] = []
        self.replicas: list[Replica] = []
        self.failures: list[str] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drill-scaler", daemon=True)

    def start(self) -> None:
        """Wait for the run's clock in the background, then add the instances on time."""
        self._thread.start()

    def stop(self) -> None:
        """Stop adding, stop watching, stop every added instance."""
        self._stopped.set()
        self._thread.join(timeout=120)
        for replica in self.replicas:
            replica.stop()
        for instance in self.instances:
            instance.stop()

    def _run(self) -> None:
        zero = None
        while zero is None and not self._stopped.wait(0.2):
            zero = self.started_at()
        number = 1
        for phase in (p for p in self.phases if p.add_instances):
            if zero is None or self._stopped.wait(max(0.0, zero + phase.start_s - time.time())):
                return
            for _ in range(phase.add_instances):
                number += 1
                name = f"app-{number}"
                self.say(f"  scale-out: starting {name} (an empty folder of its own)")
                try:
                    instance = self.start_instance(name)
                except AppStartError as exc:
                    self.failures.append(f"{name}: {exc}")
                    self.say(f"  scale-out: {name} did not start: {str(exc).splitlines()[0]}")
                    continue
                self.instances.append(instance)
                replica = self.watch(name, instance)
                self.replicas.append(replica)
                replica.start()


def run_clock(out: Path) -> Callable[[], float | None]:
    """When the load tests' phases started (epoch seconds, from progress.json), None until known."""

    def started_at() -> float | None:
        try:
            found = json.loads((out / "progress.json").read_text()).get("started_at")
        except (OSError, ValueError):
            return None
        return float(found) if found else None

    return started_at


def scaler(
    phases: list[Phase],
    start_instance: Callable[[str], RunningApp],
    app: AppProfile,
    readiness: str,
    idp: dict[str, Any],
    trust: str | None,
    front: Front,
    out: Path,
    say: Callable[[str], None],
) -> Scaler:
    """The scaler of a run whose phases add instances: the witness is made now (the IdP is up)."""
    witness = Witness(signed_in(app, idp, trust), genuine_token(app, idp, trust))
    clock = run_clock(out)

    def since_start() -> float:
        return time.time() - (clock() or time.time())

    def watch(name: str, instance: RunningApp) -> Replica:
        checks = trust or idp.get("ca_bundle")
        return Replica(name, instance.url, instance.port, app, readiness, witness, front, since_start, out / "replicas.jsonl", checks)

    return Scaler(phases, start_instance, watch, clock, say)
