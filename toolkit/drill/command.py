"""`b2c-toolkit drill`: one command that answers "what happens to our users when B2C fails?"."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

DEFAULT_SCENARIO = "idp-outage"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `drill` subcommand."""
    p = sub.add_parser(
        "drill",
        help="run emulator + reference app + Locust under a fault scenario and score it",
        description="Start the B2C emulator and the reference app, drive the real user flows with Locust while a fault timeline plays, and score the run.",
    )
    p.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"baseline, idp-outage, throttling, latency, key-rotation, compound, or a TOML file (default: {DEFAULT_SCENARIO})",
    )
    p.add_argument("--users", type=int, help="peak simulated users (default: the scenario's)")
    p.add_argument("--duration", type=float, help="seconds (default: the scenario's, at most 60)")
    p.add_argument("--out", help="results folder (default: drill-results/SCENARIO)")
    p.add_argument("--workers", type=int, default=0, help="Locust worker processes (master/worker mode); 0 = one local process")
    p.add_argument(
        "--weights", default="", help="persona weights, e.g. signed_in=4,new_sign_in=2,anonymous=1,daemon=2 (api_caller=2: ROPC, B2C only)"
    )
    p.add_argument(
        "--flavor",
        choices=("b2c", "external-id"),
        help="the tenant the emulator plays: Azure AD B2C or Entra External ID (default: the scenario's, else b2c)",
    )
    p.add_argument("--policies", metavar="DIR", help="the emulator takes token lifetimes and session length from this policy set")
    p.add_argument(
        "--fragile", action="store_true", help="run the app with APP_RESILIENCE=off (what typical samples do), to see the objectives fail"
    )
    p.set_defaults(run=run_drill)


def run_drill(args: argparse.Namespace) -> int:
    """0: every objective passed; 1: an objective failed; 2: usage error; 3: the drill could not run."""
    from toolkit.drill import scenario as scenarios
    from toolkit.drill.run import DrillError, run

    try:
        if args.workers < 0:
            raise scenarios.ScenarioError("--workers must be >= 0")
        weights = scenarios.parse_weights(args.weights) if args.weights else None
        scenario = scenarios.load(args.scenario, args.users, args.duration, weights, args.flavor)
        policies = Path(args.policies) if args.policies else None
        if policies is not None and not policies.is_dir():
            raise scenarios.ScenarioError(f"--policies {policies}: not a folder")
    except scenarios.ScenarioError as exc:
        print(f"b2c-toolkit drill: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"drill-results/{scenario.name}")
    env = {"APP_RESILIENCE": "off"} if args.fragile else None
    signal.signal(signal.SIGTERM, _terminated)
    try:
        card = run(scenario, out, workers=args.workers, app_env=env, policies=policies)
    except (DrillError, RuntimeError, OSError) as exc:
        print(f"b2c-toolkit drill: {exc}", file=sys.stderr)
        return 3
    return 0 if card["passed"] else 1


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, `kill`): unwind, so that the emulator, the app and Locust are
    stopped on the way out instead of left running. A second SIGTERM ends the drill at once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print("b2c-toolkit drill: terminated; stopping the emulator, the app and Locust", file=sys.stderr)
    raise SystemExit(128 + signum)
