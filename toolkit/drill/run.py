"""Run a drill: emulator + app (gunicorn) on free loopback ports, Locust headless (with K worker
processes in Locust's master/worker mode), the scenario's fault timeline, progress while it runs,
then the scorecard, the timeline plot and a readable summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.drill import processes, score
from toolkit.drill.scenario import Scenario
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
    parts = [f"{name} {c.get('ok', 0) + c.get('handled', 0)}/{c.get('failed', 0)}" for name, c in counts]
    return line + f"  users {progress['users']:>3}  handled/failed so far: " + (", ".join(parts) or "-")


def run(
    scenario: Scenario,
    out: Path,
    workers: int = 0,
    app_env: dict[str, str] | None = None,
    say: Callable[[str], None] = print,
    policies: Path | None = None,
) -> dict[str, Any]:
    """Run `scenario`, write everything to `out`, return the scorecard."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("ops.jsonl", "phases.json", "progress.json", "scorecard.json"):
        (out / stale).unlink(missing_ok=True)
    state = out / "emulator-state"
    say(f"drill {scenario.name} ({scenario.flavor}): {scenario.users} users for {scenario.duration_s:.0f} s, results in {out}")
    # app-only tokens ask to be refreshed after DAEMON_REFRESH_IN_S, so daemons meet the faults too
    extra = ["--flavor", scenario.flavor, "--app-token-refresh-in", str(DAEMON_REFRESH_IN_S)]
    extra += ["--policies", str(policies)] if policies else []
    emulator = processes.start_emulator(state, extra=extra, log=out / "emulator.log")
    app = None
    try:
        app = processes.start_app(state, out / "app", workers=2, threads=16, env=app_env, log=out / "app.log")
        config = trusting_session(state / "ca.pem").get(f"{emulator.url}/_emulator/config", timeout=10).json()
        (out / "b2c-config.json").write_text(json.dumps(config, indent=1))
        say(f"  emulator {emulator.url}   app {app.url}   locust workers: {workers or 'none (local runner)'}")
        _locust(scenario, out, app.url, workers, say)
    finally:
        if app is not None:
            app.stop()
        emulator.stop()
    if not (out / "phases.json").exists():
        raise DrillError(f"Locust did not start the scenario; see {out / 'locust.log'}")
    card = score.build(scenario, out)
    (out / "scorecard.json").write_text(json.dumps(card, indent=2))
    from toolkit.drill import plot

    started = json.loads((out / "phases.json").read_text())["started_at"]
    plot.timeline(card, score.read_ops(out / "ops.jsonl", started), out / "timeline.png")
    say(score.summary(card))
    say(f"  wrote {out / 'scorecard.json'}, {out / 'report.html'}, {out / 'timeline.png'}")
    return card


def _locust(scenario: Scenario, out: Path, app_url: str, workers: int, say: Callable[[str], None]) -> None:
    args = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "3",
        "--host", app_url,
        "--b2c-config", str(out / "b2c-config.json"),
        "--scenario", scenario.source,
        "--drill-users", str(scenario.users),
        "--drill-duration", str(scenario.duration_s),
        "--persona-weights", ",".join(f"{k}={v}" for k, v in scenario.weights.items()),
        "--drill-out", str(out),
        "--csv", str(out / "locust"),
        "--html", str(out / "report.html"),
    ]  # fmt: skip
    if workers:
        args += ["--processes", str(workers)]
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONPATH"] = str(processes.ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with open(out / "locust.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=processes.ROOT, env=env)
        started = time.monotonic()
        deadline = started + scenario.duration_s + 90
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
