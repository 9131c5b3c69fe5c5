"""Per-operation outcomes of the personas, gathered across Locust workers.

Personas report each logical operation (a page view, an API call, a whole sign-in) as a request of
type `PERSONA` with `context={"outcome": "ok"|"handled"|"failed", ...}`. Workers ship them to the
master with `report_to_master` (module globals do not aggregate by themselves); the master writes
`ops.jsonl` at the end and `progress.json` every two seconds for the drill to show.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

PERSONA = "PERSONA"
_pending: list[list[Any]] = []  #: this process's records not yet shipped
_all: list[list[Any]] = []  #: on the master (or a local runner): everything


@events.request.add_listener
def on_request(request_type: str, name: str, response_time: float, exception: Any, context: dict[str, Any], **_: Any) -> None:
    """Keep persona operations: [epoch, persona, outcome, ms, user, logged_out]."""
    if request_type != PERSONA:
        return
    context = context or {}
    _pending.append(
        [
            time.time(),
            name,
            context.get("outcome", "failed" if exception else "ok"),
            round(response_time, 1),
            context.get("user", ""),
            bool(context.get("logged_out")),
        ]
    )


@events.report_to_master.add_listener
def ship(client_id: str, data: dict[str, Any]) -> None:
    """Workers: send what was recorded since the last report."""
    data["drill_ops"] = list(_pending)
    _pending.clear()


@events.worker_report.add_listener
def receive(client_id: str, data: dict[str, Any]) -> None:
    """Master: merge a worker's records."""
    _all.extend(data.get("drill_ops", []))


def _records(environment: Any) -> list[list[Any]]:
    if not isinstance(environment.runner, MasterRunner):
        _all.extend(_pending)
        _pending.clear()
    return _all


def _out(environment: Any) -> Path | None:
    folder = getattr(environment.parsed_options, "drill_out", "")
    return Path(folder) if folder else None


def _progress(environment: Any, folder: Path) -> None:
    while True:
        gevent.sleep(2)
        records = _records(environment)
        # Cumulative counts: workers report in batches, so short windows would jump about.
        summary: dict[str, Any] = {
            "at": time.time(),
            "users": environment.runner.user_count if environment.runner else 0,
            "ops": len(records),
            "so_far": {},
        }
        for r in records:
            counts = summary["so_far"].setdefault(r[1], {"ok": 0, "handled": 0, "failed": 0})
            counts[r[2]] = counts.get(r[2], 0) + 1
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
    """Master: write every operation to ops.jsonl (workers have nothing left to write)."""
    folder = _out(environment)
    if folder is None or isinstance(environment.runner, WorkerRunner):
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ops.jsonl", "w") as fh:
        for record in sorted(_records(environment)):
            fh.write(json.dumps(record) + "\n")
    # The drill scores the run itself; Locust must not fail it for expected failed requests.
    environment.process_exit_code = 0
