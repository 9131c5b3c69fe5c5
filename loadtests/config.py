"""What the load test needs to know, from Locust's own options (CLI, env, locust.conf).

`--b2c-config FILE` is the JSON `b2c-toolkit emulator --print-config` prints; point it at a real
test tenant by writing the same keys for it (authority, client_id, client_secret, api_scope,
policies, ca_bundle, users). Mind B2C's limits: 200 requests/s per tenant and 6,000 requests per
5 minutes per IP address.
"""

from __future__ import annotations

import itertools
import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

from locust import events

_USERS = threading.Lock()


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    """The drill's options (also LOCUST_* environment variables)."""
    parser.add_argument("--b2c-config", env_var="LOCUST_B2C_CONFIG", default="", help="JSON from `b2c-toolkit emulator --print-config`")
    parser.add_argument("--scenario", env_var="LOCUST_SCENARIO", default="", help="scenario TOML file")
    parser.add_argument("--drill-users", env_var="LOCUST_DRILL_USERS", type=int, default=0, help="peak users (overrides the scenario)")
    parser.add_argument("--drill-duration", env_var="LOCUST_DRILL_DURATION", type=float, default=0, help="seconds (overrides the scenario)")
    parser.add_argument("--drill-out", env_var="LOCUST_DRILL_OUT", default="", help="folder for ops.jsonl, phases.json, progress.json")
    parser.add_argument("--persona-weights", env_var="LOCUST_PERSONA_WEIGHTS", default="", help="e.g. signed_in=4,new_sign_in=2")


@cache
def b2c_config(path: str) -> dict[str, Any]:
    """The parsed B2C config file."""
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


_cycle: dict[str, Any] = {}


def next_user(config: dict[str, Any]) -> dict[str, str]:
    """Test users in turn (several virtual users may share one account)."""
    with _USERS:
        if "it" not in _cycle:
            _cycle["it"] = itertools.cycle(config["users"])
        user: dict[str, str] = next(_cycle["it"])
        return user
