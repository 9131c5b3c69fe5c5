"""Per-operation outcomes of the personas, gathered across Locust workers, and what the IdP
received in each phase.

Personas report each logical operation (a page view, an API call, a whole sign-in) as a request of
type `PERSONA` with an `Operation` in its context; every other request is kept as a `Request`
(`requests.jsonl`), so that no figure depends on Locust's own statistics, which can miss the last
second of a run. Workers ship them to the master with `report_to_master`; the master writes
`ops.jsonl` (times relative to the run's start) at the end and `progress.json` every two seconds.
When the IdP is the emulator, the scenario clock snapshots its request counters at each phase
boundary and the master writes the difference per phase to `idp.json`.

What one process records lives in one `Recorder`, and the scenario clock in one `Clock`, both
held by the run's `DrillRun` (`loadtests.config`), never in module globals.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gevent
from locust.runners import MasterRunner, WorkerRunner

from loadtests.contract import FAILED, OK, OUTCOMES, PERSONAS, Operation, Request

if TYPE_CHECKING:
    from loadtests.config import DrillRun

PERSONA = "PERSONA"


@dataclass
class Clock:
    """The scenario clock, set by the scenario shape on the master (or a local runner)."""

    started_at: float | None = None  #: epoch seconds the phases' clock starts from
    #: the emulator's request counters: ("start", counts), then (phase, counts) at each phase's end
    counts: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    fetch: Callable[[], dict[str, int]] | None = None  #: reads the counters now
    offset_s: float | None = None  #: how far the emulator's fault clock runs behind this one


@dataclass
class Recorder:
    """What this process recorded: operations and single requests (`t` in epoch seconds), those
    not yet shipped to the master (a worker's), and everything (the master's, or a local runner's)."""

    pending: list[dict[str, Any]] = field(default_factory=list)
    everything: list[dict[str, Any]] = field(default_factory=list)
    pending_requests: list[dict[str, Any]] = field(default_factory=list)
    all_requests: list[dict[str, Any]] = field(default_factory=list)

    def on_request(self, request_type: str, name: str, response_time: float, exception: Any, context: dict[str, Any], **_: Any) -> None:
        """Keep persona operations and the requests they sent, each timed from when it started (a
        request the end of the run cut off included: it is reported then, with the time it waited).
        An operation may say when it started (`started_at`, epoch seconds): a daemon's, read from
        what the daemon reported."""
        started = time.time() - response_time / 1000
        if request_type != PERSONA:
            self.pending_requests.append(asdict(Request(t=started, name=name, ms=round(response_time, 1), failed=exception is not None)))
            return
        context = context or {}
        operation = Operation(
            t=float(context.get("started_at") or started),
            persona=name,
            outcome=context.get("outcome", FAILED if exception else OK),
            ms=round(response_time, 1),
            user=context.get("user", ""),
            logged_out=bool(context.get("logged_out")),
            reason=context.get("reason", ""),
            genuine_tokens_refused=int(context.get("genuine_tokens_refused", 0)),
        )
        self.pending.append(asdict(operation))

    def ship(self, client_id: str, data: dict[str, Any]) -> None:
        """Workers: send what was recorded since the last report."""
        data["drill_ops"] = list(self.pending)
        data["drill_requests"] = list(self.pending_requests)
        self.pending.clear()
        self.pending_requests.clear()

    def receive(self, client_id: str, data: dict[str, Any]) -> None:
        """Master: merge a worker's records."""
        self.everything.extend(data.get("drill_ops", []))
        self.all_requests.extend(data.get("drill_requests", []))

    def records(self, master: bool) -> list[dict[str, Any]]:
        """Everything recorded so far (on the master or a local runner: a master records nothing itself)."""
        if not master:
            self.everything.extend(self.pending)
            self.pending.clear()
            self.all_requests.extend(self.pending_requests)
            self.pending_requests.clear()
        return self.everything

    def operations(self, master: bool, started_at: float | None) -> list[Operation]:
        """The records as operations, timed from the run's start, in time order."""
        found = self.records(master)
        start = started_at or min((r["t"] for r in found), default=0.0)
        return sorted((replace(Operation(**r), t=round(r["t"] - start, 3)) for r in found), key=lambda o: o.t)

    def requests_sent(self, master: bool, started_at: float | None) -> list[Request]:
        """The single requests, timed from the run's start, in time order."""
        self.records(master)
        start = started_at or min((r["t"] for r in self.everything), default=0.0)
        return sorted((replace(Request(**r), t=round(r["t"] - start, 3)) for r in self.all_requests), key=lambda r: r.t)


def so_far(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Operations so far by persona and outcome: the operations the scorecard scores (a daemon's
    token requests are recorded beside its calls, and scored apart: not counted here)."""
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        if r["persona"] in PERSONAS:
            counts.setdefault(r["persona"], dict.fromkeys(OUTCOMES, 0))[r["outcome"]] += 1
    return counts


def idp_phases(snapshots: list[tuple[str, dict[str, int]]], phase_names: list[str]) -> list[dict[str, Any]]:
    """Requests per phase from counter snapshots `("start", c0), (phase1, c1), …` taken at the
    start and at the end of each phase: the difference of consecutive snapshots."""
    found = dict(snapshots)
    out: list[dict[str, Any]] = []
    before = found.get("start")
    for name in phase_names:
        after = found.get(name)
        if before is None or after is None:
            out.append({"name": name, "requests": None})
        else:
            delta = {k: after.get(k, 0) - before.get(k, 0) for k in sorted(set(after) | set(before))}
            out.append({"name": name, "requests": {k: v for k, v in delta.items() if v}})
        before = after
    return out


def _is_master(environment: Any) -> bool:
    return isinstance(environment.runner, MasterRunner)


def _progress(environment: Any, run: DrillRun, folder: Path) -> None:
    while True:
        gevent.sleep(2)
        found = run.recorder.records(_is_master(environment))
        # Cumulative counts: workers report in batches, so short windows would jump about.
        summary: dict[str, Any] = {
            "at": time.time(),
            "started_at": run.clock.started_at,  #: the phases' clock (the drill adds instances on it)
            "users": environment.runner.user_count if environment.runner else 0,
            "ops": len(found),
            "so_far": so_far(found),
        }
        (folder / "progress.json").write_text(json.dumps(summary))


def start_progress(environment: Any, run: DrillRun) -> None:
    """Master: write progress.json while the test runs."""
    if run.plan.out and not isinstance(environment.runner, WorkerRunner):
        folder = Path(run.plan.out)
        folder.mkdir(parents=True, exist_ok=True)
        gevent.spawn(_progress, environment, run, folder)


def write_ops(environment: Any, run: DrillRun) -> None:
    """Master: write every operation to ops.jsonl and the IdP's counts to idp.json."""
    if not run.plan.out or isinstance(environment.runner, WorkerRunner):
        return
    folder, clock, master = Path(run.plan.out), run.clock, _is_master(environment)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ops.jsonl", "w") as fh:
        for operation in run.recorder.operations(master, clock.started_at):
            fh.write(operation.to_json() + "\n")
    with open(folder / "requests.jsonl", "w") as fh:
        for sent in run.recorder.requests_sent(master, clock.started_at):
            fh.write(sent.to_json() + "\n")
    last = run.plan.phases[-1].name
    if clock.counts and last not in dict(clock.counts) and clock.fetch is not None:
        with contextlib.suppress(Exception):  # the run ended before the last boundary's snapshot
            clock.counts.append((last, clock.fetch()))
    if clock.counts:
        phases = idp_phases(clock.counts, [p.name for p in run.plan.phases])
        idp = {"phases": phases, "clock_offset_s": clock.offset_s}
        (folder / "idp.json").write_text(json.dumps(idp, indent=1))
    # The drill scores the run itself; Locust must not fail it for expected failed requests.
    environment.process_exit_code = 0


def listen(environment: Any, run: DrillRun) -> None:
    """Hook this run's recorder and outputs to Locust's events."""
    events = environment.events
    events.request.add_listener(run.recorder.on_request)
    events.report_to_master.add_listener(run.recorder.ship)
    events.worker_report.add_listener(run.recorder.receive)
    events.test_start.add_listener(lambda environment, **_: start_progress(environment, run))
    events.quitting.add_listener(lambda environment, **_: write_ops(environment, run))
