"""Per-operation outcomes of the personas, gathered across Locust workers, and what the IdP
received in each phase.

Personas report each logical operation (a page view, an API call, a whole sign-in) as a request of
type `PERSONA` with an `Operation` in its context; every other request is kept as a `Request`
(`requests.jsonl`), so that no figure depends on Locust's own statistics, which can miss the last
second of a run. Workers ship them to the master with
`report_to_master` (module globals do not aggregate by themselves); the master writes `ops.jsonl`
(times relative to the run's start) at the end and `progress.json` every two seconds. When the
IdP is the emulator, the scenario clock snapshots its request counters at each phase boundary and
the master writes the difference per phase to `idp.json`.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from loadtests.config import plan
from loadtests.contract import FAILED, OK, Operation, Request

PERSONA = "PERSONA"
_pending: list[dict[str, Any]] = []  #: this process's records not yet shipped (t = epoch seconds)
_all: list[dict[str, Any]] = []  #: on the master (or a local runner): everything
_pending_requests: list[dict[str, Any]] = []  #: the same for single HTTP requests
_all_requests: list[dict[str, Any]] = []
clock: dict[str, Any] = {"started_at": None, "counts": []}  #: set by the scenario shape (master)


@events.request.add_listener
def on_request(request_type: str, name: str, response_time: float, exception: Any, context: dict[str, Any], **_: Any) -> None:
    """Keep persona operations and the requests they sent, each timed from when it started (a
    request the end of the run cut off included: it is reported then, with the time it waited)."""
    started = time.time() - response_time / 1000
    if request_type != PERSONA:
        _pending_requests.append(asdict(Request(t=started, name=name, ms=round(response_time, 1), failed=exception is not None)))
        return
    context = context or {}
    operation = Operation(
        t=started,
        persona=name,
        outcome=context.get("outcome", FAILED if exception else OK),
        ms=round(response_time, 1),
        user=context.get("user", ""),
        logged_out=bool(context.get("logged_out")),
        reason=context.get("reason", ""),
        genuine_tokens_refused=int(context.get("genuine_tokens_refused", 0)),
    )
    _pending.append(asdict(operation))


@events.report_to_master.add_listener
def ship(client_id: str, data: dict[str, Any]) -> None:
    """Workers: send what was recorded since the last report."""
    data["drill_ops"] = list(_pending)
    data["drill_requests"] = list(_pending_requests)
    _pending.clear()
    _pending_requests.clear()


@events.worker_report.add_listener
def receive(client_id: str, data: dict[str, Any]) -> None:
    """Master: merge a worker's records."""
    _all.extend(data.get("drill_ops", []))
    _all_requests.extend(data.get("drill_requests", []))


def records(environment: Any) -> list[dict[str, Any]]:
    """Everything recorded so far (on the master or a local runner)."""
    if not isinstance(environment.runner, MasterRunner):
        _all.extend(_pending)
        _pending.clear()
        _all_requests.extend(_pending_requests)
        _pending_requests.clear()
    return _all


def _started_at(environment: Any) -> float:
    return float(clock["started_at"] or min((r["t"] for r in records(environment)), default=0.0))


def operations(environment: Any) -> list[Operation]:
    """The records as operations, timed from the run's start, in time order."""
    started = _started_at(environment)
    found = [replace(Operation(**r), t=round(r["t"] - started, 3)) for r in records(environment)]
    return sorted(found, key=lambda o: o.t)


def requests_sent(environment: Any) -> list[Request]:
    """The single requests, timed from the run's start, in time order."""
    started = _started_at(environment)
    found = [replace(Request(**r), t=round(r["t"] - started, 3)) for r in _all_requests]
    return sorted(found, key=lambda r: r.t)


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


def _out(environment: Any) -> Path | None:
    path = getattr(environment.parsed_options, "drill_plan", "")
    folder = plan(path).out if path else ""
    return Path(folder) if folder else None


def _progress(environment: Any, folder: Path) -> None:
    while True:
        gevent.sleep(2)
        found = records(environment)
        # Cumulative counts: workers report in batches, so short windows would jump about.
        summary: dict[str, Any] = {
            "at": time.time(),
            "started_at": clock["started_at"],  #: the phases' clock (the drill adds instances on it)
            "users": environment.runner.user_count if environment.runner else 0,
            "ops": len(found),
            "so_far": {},
        }
        for r in found:
            counts = summary["so_far"].setdefault(r["persona"], {"ok": 0, "handled": 0, "failed": 0})
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
        (folder / "progress.json").write_text(json.dumps(summary))


@events.test_start.add_listener
def start_progress(environment: Any, **_: Any) -> None:
    """Master: write progress.json while the test runs."""
    folder = _out(environment)
    if folder is not None and not isinstance(environment.runner, WorkerRunner):
        folder.mkdir(parents=True, exist_ok=True)
        gevent.spawn(_progress, environment, folder)


@events.quitting.add_listener
def write_ops(environment: Any, **_: Any) -> None:
    """Master: write every operation to ops.jsonl and the IdP's counts to idp.json."""
    folder = _out(environment)
    if folder is None or isinstance(environment.runner, WorkerRunner):
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ops.jsonl", "w") as fh:
        for operation in operations(environment):
            fh.write(operation.to_json() + "\n")
    with open(folder / "requests.jsonl", "w") as fh:
        for sent in requests_sent(environment):
            fh.write(sent.to_json() + "\n")
    the_plan = plan(environment.parsed_options.drill_plan)
    last = the_plan.phases[-1].name
    if clock["counts"] and last not in dict(clock["counts"]) and clock.get("fetch"):
        with contextlib.suppress(Exception):  # the run ended before the last boundary's snapshot
            clock["counts"].append((last, clock["fetch"]()))
    if clock["counts"]:
        phases = idp_phases(clock["counts"], [p.name for p in the_plan.phases])
        idp = {"phases": phases, "clock_offset_s": clock.get("offset_s")}
        (folder / "idp.json").write_text(json.dumps(idp, indent=1))
    # The drill scores the run itself; Locust must not fail it for expected failed requests.
    environment.process_exit_code = 0
