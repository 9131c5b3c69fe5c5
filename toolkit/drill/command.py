"""`b2c-toolkit drill`: one command that answers "what happens to our users when B2C fails?",
for any web app that signs users in through B2C (an app profile says how to run and drive it).
`b2c-toolkit drill compare A B` puts two runs side by side."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SCENARIO = "idp-outage"
#: keys a real tenant's configuration needs (what `b2c-toolkit emulator --print-config` prints)
IDP_KEYS = ("authority", "base_url", "tenant", "client_id", "client_secret", "users")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `drill` subcommand (and `drill compare`)."""
    p = sub.add_parser(
        "drill",
        help="drill a web app under a B2C fault scenario (emulator + app + Locust) and score it",
        description="Start the B2C emulator and the app a profile describes, drive the real user flows with Locust while a fault timeline plays, and score the run.",
    )
    p.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"baseline, idp-outage, throttling, latency, key-rotation, compound, deceptive-idp, or a TOML file (default: {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--app", metavar="PROFILE", help="app profile: a TOML file or a shipped name (default: the scenario's [app], else reference-app)"
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
    p.add_argument("--app-env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for the app (repeatable)")
    p.add_argument(
        "--fragile",
        action="store_true",
        help="reference app only: APP_RESILIENCE=off (what typical samples do), to see the objectives fail",
    )
    p.add_argument(
        "--idp", metavar="FILE.json", help="a real test tenant's configuration (the keys --print-config prints): no emulator, no faults"
    )
    p.add_argument(
        "--allow-over-limit", action="store_true", help="with --idp: run even if the plan exceeds B2C's published request limits"
    )
    p.add_argument(
        "--remote-workers", type=int, default=0, metavar="N", help="run Locust as a master and wait for N workers started on other machines"
    )
    p.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        help="with --remote-workers: where the master listens (default: 127.0.0.1; 0.0.0.0 for other machines)",
    )
    p.add_argument("--master-port", type=int, default=5557, help="with --remote-workers: the master's port (default: 5557)")
    p.add_argument(
        "--emulator-state",
        metavar="DIR",
        help="keep the emulator's CA, client secret and users here across drills (default: OUT/emulator-state)",
    )
    p.add_argument(
        "--emulator-port",
        type=int,
        default=0,
        help="the emulator's port (default: a free one); with --emulator-state, for an app already running",
    )
    p.set_defaults(run=run_drill)
    drill_sub = p.add_subparsers(dest="drill_command", metavar="{compare}", title="subcommand (optional: without one, a drill runs)")
    c = drill_sub.add_parser(
        "compare",
        help="compare two runs of one scenario",
        description="Put two drill results side by side: a table per phase and persona, each objective for both, and both timelines in one figure (Markdown and HTML).",
    )
    c.add_argument("first", metavar="DIR_A")
    c.add_argument("second", metavar="DIR_B")
    c.add_argument(
        "--out",
        dest="compare_out",
        metavar="DIR",
        help="where to write comparison.md, comparison.html, comparison.png (default: DIR_B/compare)",
    )
    c.add_argument(
        "--allow-different",
        action="store_true",
        help="compare runs of different users, durations, persona mixes or phases (rates per second and per user, each run's own phases)",
    )
    c.set_defaults(run=run_compare)


def _fail(message: str) -> int:
    print(f"b2c-toolkit drill: {message}", file=sys.stderr)
    return 2


def read_idp(path: str) -> dict[str, Any]:
    """A real tenant's configuration file, checked."""
    from toolkit.drill.scenario import ScenarioError

    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ScenarioError(f"--idp {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ScenarioError(f"--idp {path}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"--idp {path}: a JSON object with {', '.join(IDP_KEYS)}")
    for key in IDP_KEYS:
        if not data.get(key):
            raise ScenarioError(f"--idp {path}: key {key!r} is missing")
    if not isinstance(data["users"], list) or not all(
        isinstance(u, dict) and u.get("username") and u.get("password") for u in data["users"]
    ):
        raise ScenarioError(f"--idp {path}: key 'users' must list {{username, password}} test accounts")
    return data


@dataclass(frozen=True)
class Drill:
    """What one `b2c-toolkit drill` runs, resolved from the command line before anything starts."""

    scenario: Any  #: toolkit.drill.scenario.Scenario
    profile: Any  #: toolkit.drill.profile.Profile
    out: Path
    workers: int = 0
    policies: Path | None = None
    idp: dict[str, Any] | None = None
    remote: Any = None  #: toolkit.drill.run.Remote
    emulator_state: Path | None = None
    emulator_port: int = 0
    notes: tuple[str, ...] = ()  #: what to tell the user before it runs


def resolve(args: argparse.Namespace) -> Drill:
    """The drill the command line asks for: scenario, app profile, IdP and Locust's mode, checked.
    Raises ScenarioError or ProfileError (usage errors, exit 2); starts nothing."""
    from toolkit.drill import limits
    from toolkit.drill import profile as profiles
    from toolkit.drill import scenario as scenarios
    from toolkit.drill.run import Remote, with_env

    if args.workers < 0 or args.remote_workers < 0:
        raise scenarios.ScenarioError("--workers and --remote-workers must be >= 0")
    if args.workers and args.remote_workers:
        raise scenarios.ScenarioError("--workers (local processes) and --remote-workers (other machines) exclude each other")
    remote = Remote(args.remote_workers, args.master_bind_host, args.master_port) if args.remote_workers else None
    weights = scenarios.parse_weights(args.weights) if args.weights else None
    scenario = scenarios.load(args.scenario, args.users, args.duration, weights, args.flavor)
    policies = Path(args.policies) if args.policies else None
    if policies is not None and not policies.is_dir():
        raise scenarios.ScenarioError(f"--policies {policies}: not a folder")
    if args.app:
        profile = profiles.load(args.app)
    elif scenario.app is not None:
        profile = profiles.from_table(scenario.app, scenario.source)
    else:
        profile = profiles.load(profiles.DEFAULT_PROFILE)
    env = dict(item.split("=", 1) for item in args.app_env if "=" in item)
    if len(env) != len(args.app_env):
        raise scenarios.ScenarioError("--app-env takes NAME=VALUE")
    if args.fragile:
        env["APP_RESILIENCE"] = "off"
    profile = with_env(profile, env) if env else profile
    idp = None
    notes: list[str] = []
    if args.idp:
        if args.emulator_state or args.emulator_port or args.policies:
            raise scenarios.ScenarioError("--idp runs without the emulator: --emulator-state, --emulator-port and --policies do not apply")
        idp = read_idp(args.idp)
        if scenario.timeline():
            faulty = ", ".join(p.name for p in scenario.phases if p.faults)
            raise scenarios.ScenarioError(
                f"--idp: scenario {scenario.name!r} injects faults (phases {faulty}); a real tenant cannot be made to fail, so use a scenario without faults (e.g. baseline)"
            )
        found = limits.estimate(scenario)
        problems = found.problems()
        if problems and not args.allow_over_limit:
            raise scenarios.ScenarioError(
                "--idp: this plan would exceed B2C's published limits: "
                + "; ".join(problems)
                + ". Lower --users or the new_sign_in weight, or pass --allow-over-limit if the tenant's limits were raised."
            )
        notes.append(
            f"b2c-toolkit drill: estimated load on the tenant: {found.peak_per_s:.0f} requests/s at peak, {found.per_5_min:.0f} per 5 minutes"
        )
    return Drill(
        scenario=scenario,
        profile=profile,
        out=Path(args.out or f"drill-results/{scenario.name}"),
        workers=args.workers,
        policies=policies,
        idp=idp,
        remote=remote,
        emulator_state=Path(args.emulator_state) if args.emulator_state else None,
        emulator_port=args.emulator_port,
        notes=tuple(notes),
    )


def run_drill(args: argparse.Namespace) -> int:
    """0: every objective passed; 1: an objective failed; 2: usage error; 3: the drill could not run."""
    from toolkit.drill import profile as profiles
    from toolkit.drill import scenario as scenarios
    from toolkit.drill.run import DrillError, run

    try:
        drill = resolve(args)
    except (scenarios.ScenarioError, profiles.ProfileError) as exc:
        return _fail(str(exc))
    for note in drill.notes:
        print(note)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        card = run(
            drill.scenario,
            drill.out,
            drill.profile,
            workers=drill.workers,
            policies=drill.policies,
            idp=drill.idp,
            remote=drill.remote,
            emulator_state=drill.emulator_state,
            emulator_port=drill.emulator_port,
        )
    except (DrillError, RuntimeError, OSError) as exc:
        print(f"b2c-toolkit drill: {exc}", file=sys.stderr)
        return 3
    return 0 if card.passed else 1


def run_compare(args: argparse.Namespace) -> int:
    """0: written; 2: a folder without a scorecard, runs of different scenarios, or runs that are
    not comparable (without --allow-different)."""
    from toolkit.drill import compare

    out = Path(args.compare_out or Path(args.second) / "compare")
    try:
        written = compare.write(Path(args.first), Path(args.second), out, allow_different=args.allow_different)
    except compare.CompareError as exc:
        return _fail(str(exc))
    print("b2c-toolkit drill compare: wrote " + ", ".join(str(p) for p in written))
    return 0


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, `kill`): unwind, so that the emulator, the app and Locust are
    stopped on the way out instead of left running. A second SIGTERM ends the drill at once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print("b2c-toolkit drill: terminated; stopping the emulator, the app and Locust", file=sys.stderr)
    raise SystemExit(128 + signum)
