"""What the load test needs to know: the plan the drill resolved (`--drill-plan plan.json`, see
`loadtests.contract`), made into one `DrillRun` per Locust process when Locust starts, which the
personas, the scenario shape and the collector are given through Locust's environment.

Every drill writes its plan to `RESULTS/plan.json`; Locust workers on other machines are given a
copy. A plan for a real test tenant carries that tenant's keys (the ones
`b2c-toolkit emulator --print-config` prints); mind B2C's limits: 200 requests/s per tenant and
6,000 requests per 5 minutes per IP address (the drill checks its estimate against them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locust import events

from loadtests import collect
from loadtests.contract import Plan


@dataclass
class DrillRun:
    """What one Locust process shares for one run, built from the plan: the plan, test users in
    turn, what was recorded, and the scenario clock."""

    plan: Plan
    recorder: collect.Recorder = field(default_factory=collect.Recorder)
    clock: collect.Clock = field(default_factory=collect.Clock)
    users: Iterator[dict[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.users = itertools.cycle(self.plan.idp.get("users") or [{}])

    def next_user(self) -> dict[str, str]:
        """Test users in turn (several virtual users may share one account). Greenlets switch only
        on I/O, so no lock is needed."""
        return next(self.users)


def drill_run(environment: Any) -> DrillRun:
    """The run this Locust process takes part in."""
    run: DrillRun | None = getattr(environment, "drill_run", None)
    if run is None:
        raise RuntimeError("--drill-plan is required (the plan.json `b2c-toolkit drill` writes)")
    return run


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    """The drill's option (also the LOCUST_DRILL_PLAN environment variable)."""
    parser.add_argument("--drill-plan", env_var="LOCUST_DRILL_PLAN", default="", help="plan.json written by `b2c-toolkit drill`")


@events.init.add_listener
def start(environment: Any, **_: Any) -> None:
    """Read the plan once, when Locust starts this process, and hook the collector to its events."""
    path = getattr(environment.parsed_options, "drill_plan", "")
    if path:
        run = DrillRun(Plan.read(Path(path)))
        environment.drill_run = run
        collect.listen(environment, run)
