"""What the load test needs to know: the plan the drill resolved (`--drill-plan plan.json`, see
`loadtests.contract`), and test users in turn.

Every drill writes its plan to `RESULTS/plan.json`; Locust workers on other machines are given a
copy. A plan for a real test tenant carries that tenant's keys (the ones
`b2c-toolkit emulator --print-config` prints); mind B2C's limits: 200 requests/s per tenant and
6,000 requests per 5 minutes per IP address (the drill checks its estimate against them).
"""

from __future__ import annotations

import itertools
import threading
from functools import cache
from pathlib import Path
from typing import Any

from locust import events

from loadtests.contract import Plan

_USERS = threading.Lock()


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    """The drill's option (also the LOCUST_DRILL_PLAN environment variable)."""
    parser.add_argument("--drill-plan", env_var="LOCUST_DRILL_PLAN", default="", help="plan.json written by `b2c-toolkit drill`")


@cache
def plan(path: str) -> Plan:
    """The plan of this run."""
    if not path:
        raise RuntimeError("--drill-plan is required (the plan.json `b2c-toolkit drill` writes)")
    return Plan.read(Path(path))


_cycle: dict[str, Any] = {}


def next_user(idp: dict[str, Any]) -> dict[str, str]:
    """Test users in turn (several virtual users may share one account)."""
    with _USERS:
        if "it" not in _cycle:
            _cycle["it"] = itertools.cycle(idp["users"])
        user: dict[str, str] = next(_cycle["it"])
        return user
