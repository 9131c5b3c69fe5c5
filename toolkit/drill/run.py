"""Run a drill: the IdP (the emulator on a free loopback port, or a real test tenant), the app
its profile describes, Locust headless (with K worker processes in Locust's master/worker mode)
driven by the resolved plan, progress while it runs, then the scorecard, the timeline plot and a
readable summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from loadtests.contract import API_CALLER, DAEMON, PhasePlan, Plan
from toolkit.drill import preflight, processes, replicas, score
from toolkit.drill.front import Front
from toolkit.drill.profile import Profile, RunningApp, daemon_plan
from toolkit.drill.profile import start as start_app
from toolkit.drill.scenario import Scenario
from toolkit.drill.scorecard import Scorecard
from toolkit.resilience.http import trusting_session

LOCUSTFILE = processes.ROOT / "loadtests" / "locustfile.py"
DAEMON_REFRESH_IN_S = 10


class DrillError(RuntimeError):
    """The drill could not run (a part did not start, Locust crashed)."""


def _progress_line(out: Path, scenario: Scenario, elapsed: float) -> str:
    phase = next((p.name for p in scenario.phases if p.start_s <= elapsed < p.end_s), scenario.phases[-1].name)
    line = f"  {elapsed:5.0f}/{scenario.duration_s:.0f} s  phase {phase:<10}"
    try:
        progress = json.loads((out / "progress.json").read_text())
        counts = sorted(progress["so_far"].items())
    except (OSError, ValueError, KeyError):
        return line + "  starting users..."
    # the operations the scorecard scores (the load tests count them so: `loadtests.collect.so_far`)
    parts = [f"{name} {c.get('ok', 0)}/{c.get('handled', 0)}/{c.get('failed', 0)}" for name, c in counts]
    return line + f"  users {progress['users']:>3}  ok/handled/failed so far: " + (", ".join(parts) or "-")


def skipped_personas(scenario: Scenario, profile: Profile, idp: dict[str, Any]) -> dict[str, str]:
    """Personas the app or the IdP cannot serve in this run, and why."""
    skipped = {}
    if scenario.weights.get(API_CALLER):
        if not profile.routes.get("api"):
            skipped[API_CALLER] = f"{profile.name} has no API route (app.routes.api)"
        elif not idp.get("policies", {}).get("ropc"):
            skipped[API_CALLER] = "the IdP configuration names no ROPC policy (policies.ropc)"
    if scenario.weights.get(DAEMON):
        if profile.daemon is None:
            skipped[DAEMON] = f"{profile.name} names no daemon calling its API with app-only tokens ([app.daemon])"
        elif not idp.get("daemon_client_id"):
            skipped[DAEMON] = "the IdP configuration has no daemon client (daemon_client_id)"
    return skipped


def run(
    scenario: Scenario,
    out: Path,
    profile: Profile,
    workers: int = 0,
    say: Callable[[str], None] = print,
    policies: Path | None = None,
    idp: dict[str, Any] | None = None,
    remote: Remote | None = None,
    emulator_state: Path | None = None,
    emulator_port: int = 0,
) -> Scorecard:
    """Run `scenario` against the app `profile` describes, write everything to `out`, return the
    scorecard. `idp`: a real test tenant's configuration (no emulator, no faults). `remote`:
    Locust runs as a master that waits for workers started on other machines. `emulator_state`
    and `emulator_port`: keep the emulator's identity (CA, client secret, users) and address from
    one drill to the next, for an app already running that was configured with them."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("ops.jsonl", "requests.jsonl", "idp.json", "plan.json", "progress.json", "scorecard.json"):
        (out / stale).unlink(missing_ok=True)
    flavor = f" ({scenario.flavor})" if idp is None else ""
    say(f"drill {scenario.name}{flavor} on {profile.name}: {scenario.users} users for {scenario.duration_s:.0f} s, results in {out}")
    emulator = None
    with ExitStack() as running:  # whatever started is stopped, in reverse order, however the drill ends
        if idp is None:
            state = emulator_state or out / "emulator-state"
            # app-only tokens ask to be refreshed after DAEMON_REFRESH_IN_S, so daemons meet the faults too
            extra = ["--flavor", scenario.flavor, "--app-token-refresh-in", str(DAEMON_REFRESH_IN_S)]
            extra += ["--policies", str(policies)] if policies else []
            if profile.url is not None:  # an app elsewhere: its redirect URI is not a loopback one
                extra += ["--redirect-uri", profile.url + profile.routes["callback"]]
            emulator = processes.start_emulator(state, port=emulator_port, extra=extra, log=out / "emulator.log")
            running.callback(emulator.stop)
            idp = trusting_session(state / "ca.pem").get(f"{emulator.url}/_emulator/config", timeout=10).json()
            tls: tuple[str, str] | None = (str(state / "server.pem"), str(state / "server-key.pem"))
            trust: str | None = None
        else:
            tls, trust = app_certificate(out / "app-tls", idp)
        (out / "b2c-config.json").write_text(json.dumps(idp, indent=1))
        if profile.ca_bundle:  # an app with its own certificate: trust its CA too
            trust = bundle(out / "trust.pem", [trust or idp.get("ca_bundle"), profile.ca_bundle])
        serving = tls if profile.tls else None
        front, redis_url = (
            _front(scenario, profile, out, running, serving, trust or idp.get("ca_bundle")) if scenario.scales_out else (None, "")
        )
        public_port = front.port if front else None

        def start_instance(name: str) -> RunningApp:
            return start_app(profile, idp, out / name, out / f"{name}.log", tls, trust, public_port, redis_url)

        app = start_instance("app")
        running.callback(app.stop)
        if front is not None:
            front.add(app.port)
        skipped = skipped_personas(scenario, profile, idp)
        for persona, reason in skipped.items():
            say(f"  {persona}: left out ({reason})")
        plan = Plan(
            scenario=scenario.name,
            users=scenario.users,
            spawn_rate=scenario.spawn_rate,
            duration_s=scenario.duration_s,
            weights={k: (0 if k in skipped else v) for k, v in scenario.weights.items()},
            phases=tuple(PhasePlan(p.name, p.start_s, p.end_s, p.fault_name) for p in scenario.phases),
            app=profile.resolve(app.public_url or app.url),
            idp=idp,
            timeline=scenario.timeline() if emulator else (),
            emulator=emulator.url if emulator else None,
            out=str(out.resolve()),
            trust=trust,
        )
        if DAEMON not in skipped:  # the load test starts one daemon process per simulated daemon
            plan = replace(plan, daemon=daemon_plan(profile, idp, plan.app.url, out / "daemons"))
        plan.write(out / "plan.json")
        preflight.check(plan.app, idp, trust, None if profile.url else out / "app.log", say)
        where = emulator.url if emulator else f"{idp.get('base_url')} (real tenant)"
        say(f"  IdP {where}   app {plan.app.url}   locust workers: {workers or 'none (local runner)'}")
        if front is not None:
            added = replicas.scaler(scenario.phases, start_instance, plan.app, profile.readiness, idp, trust, front, out, say)
            running.callback(added.stop)
            added.start()
        _locust(plan, out, workers, say, scenario, remote)
        if front is not None:
            (out / "front.json").write_text(json.dumps(front.record(), indent=1))
    if not (out / "ops.jsonl").exists():
        raise DrillError(f"Locust did not run the scenario; see {out / 'locust.log'}")
    card = score.build(scenario, out, skipped, app=profile.name)
    (out / "scorecard.json").write_text(card.to_json())
    from toolkit.drill import plot

    plot.timeline(card, score.read_ops(out / "ops.jsonl"), out / "timeline.png")
    say(score.summary(card))
    say(f"  wrote {out / 'scorecard.json'}, {out / 'report.html'}, {out / 'timeline.png'}")
    return card


def _front(
    scenario: Scenario, profile: Profile, out: Path, running: ExitStack, tls: tuple[str, str] | None, trust: str | None
) -> tuple[Front, str]:
    """For a scenario that adds instances: the round-robin front users reach them through (serving
    the app's certificate, checking the instances against `trust`), and the Redis they share when
    the profile asks for one (`{redis_url}`)."""
    if profile.command is None:
        raise DrillError(f"{scenario.name} adds instances of the app: its profile needs app.command (the drill starts them)")
    redis_url = ""
    if "{redis_url}" in profile.command + " ".join(profile.env.values()):
        try:
            redis = processes.start_redis(out / "redis")
        except FileNotFoundError as exc:
            raise DrillError(f"{scenario.name}: the instances share a Redis and {exc}") from None
        running.callback(redis.stop)
        redis_url = redis.url
    front = Front(tls, trust)
    front.start()
    running.callback(front.stop)
    return front, redis_url


@dataclass(frozen=True)
class Remote:
    """Locust's master/worker mode across machines: the drill runs the master."""

    workers: int  #: workers to wait for
    bind_host: str = "127.0.0.1"  #: where the master listens (0.0.0.0 or this host's address for other machines)
    port: int = 5557
    wait_s: float = 120  #: how long to wait for them

    def args(self) -> list[str]:
        """The master's Locust options."""
        return [
            "--master", "--expect-workers", str(self.workers), "--expect-workers-max-wait", str(int(self.wait_s)),
            "--master-bind-host", self.bind_host, "--master-bind-port", str(self.port),
        ]  # fmt: skip

    def worker_command(self, plan_file: Path) -> str:
        """What to run on each worker machine (with the toolkit installed and plan.json copied)."""
        host = self.bind_host if self.bind_host not in ("0.0.0.0", "*", "") else "THIS_HOST"
        return f"locust -f {LOCUSTFILE} --worker --master-host {host} --master-port {self.port} --drill-plan {plan_file}"


def _locust(plan: Plan, out: Path, workers: int, say: Callable[[str], None], scenario: Scenario, remote: Remote | None = None) -> None:
    args = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "3",
        "--host", plan.app.url,
        "--drill-plan", str(out.resolve() / "plan.json"),
        "--csv", str(out / "locust"),
        "--html", str(out / "report.html"),
    ]  # fmt: skip
    if remote is not None:
        args += remote.args()
        say(
            f"  waiting for {remote.workers} Locust workers; on each worker machine run:\n    {remote.worker_command(out.resolve() / 'plan.json')}"
        )
    elif workers:
        args += ["--processes", str(workers)]
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONPATH"] = str(processes.ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with open(out / "locust.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=processes.ROOT, env=env)
        started = time.monotonic()
        deadline = started + plan.duration_s + 90 + (remote.wait_s if remote else 0)
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise DrillError(f"Locust did not finish in time; see {out / 'locust.log'}")
                time.sleep(3)
                if proc.poll() is None:
                    say(_progress_line(out, scenario, time.monotonic() - started))
        finally:  # the drill stopped early (interrupted, terminated, out of time): so does the load
            processes.stop(proc)
    if proc.returncode not in (0, 1):
        raise DrillError(f"Locust exited with {proc.returncode}; see {out / 'locust.log'}")


def app_certificate(folder: Path, idp: dict[str, Any]) -> tuple[tuple[str, str], str]:
    """With a real tenant, nobody else gives the app a certificate: a local CA and a server
    certificate for 127.0.0.1 (for apps whose cookies need https), and a bundle the simulated
    browsers trust: the IdP's CA (or the usual public ones) plus the local CA."""
    from toolkit.emulator.state import make_certificates

    folder.mkdir(parents=True, exist_ok=True)
    make_certificates(folder)
    trust = bundle(folder / "trust.pem", [idp.get("ca_bundle"), str(folder / "ca.pem")])
    return (str(folder / "server.pem"), str(folder / "server-key.pem")), trust


def bundle(path: Path, files: list[str | None]) -> str:
    """One CA bundle of several (a missing one stands for the usual public CAs)."""
    import certifi

    path.write_text("\n".join(Path(f or certifi.where()).read_text() for f in files))
    return str(path)


def with_env(profile: Profile, env: dict[str, str]) -> Profile:
    """The profile with extra environment for the app (e.g. APP_RESILIENCE=off)."""
    return replace(profile, env={**profile.env, **env})
