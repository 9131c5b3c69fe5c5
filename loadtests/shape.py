"""The scenario clock: ramps users to the plan's level, plays its fault timeline through the
emulator's admin API when the run starts, snapshots the emulator's request counters at each phase
boundary, and stops the run at the plan's duration."""

from __future__ import annotations

import time
from typing import Any

import gevent
import requests
from locust import LoadTestShape

from loadtests.config import DrillRun, drill_run
from loadtests.contract import Plan


def _admin(the_plan: Plan) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = the_plan.idp.get("ca_bundle") or True
    return session


class ScenarioShape(LoadTestShape):
    """Driven by `--drill-plan`."""

    def _start(self, run: DrillRun) -> None:
        the_plan, clock = run.plan, run.clock
        clock.started_at = time.time()
        if the_plan.emulator is None:  # a real tenant: no faults, no counters
            return
        base = the_plan.emulator
        session = _admin(the_plan)

        def counts() -> dict[str, int]:
            found: dict[str, int] = session.get(f"{base}/_emulator/faults", timeout=10).json()["requests"]
            return found

        clock.fetch = counts

        def play() -> None:
            session.delete(f"{base}/_emulator/faults", timeout=10)
            clock.counts.append(("start", counts()))
            if the_plan.timeline:
                timeline = [entry.to_json() for entry in the_plan.timeline]
                answer = session.post(f"{base}/_emulator/timeline", json={"timeline": timeline}, timeout=10)
                answer.raise_for_status()
                # the emulator's fault clock starts when it receives the timeline: how far behind the phases' clock
                played_at = time.time() - float(answer.json().get("timeline_elapsed_s") or 0.0)
                clock.offset_s = round(played_at - (clock.started_at or played_at), 3)
            for phase in the_plan.phases:
                gevent.sleep(max(0.0, (clock.started_at or 0.0) + phase.end_s - time.time()))
                clock.counts.append((phase.name, counts()))

        gevent.spawn(play)

    def tick(self) -> tuple[int, float, list[Any]] | None:
        """Users and spawn rate now; None ends the run."""
        from loadtests.personas import PERSONAS

        run = drill_run(self.runner.environment)
        if run.clock.started_at is None:
            self._start(run)
        the_plan = run.plan
        if self.get_run_time() >= the_plan.duration_s:
            return None
        classes = [PERSONAS[name] for name, weight in the_plan.weights.items() if weight > 0]
        for cls in classes:
            cls.weight = the_plan.weights[cls.persona]
        return the_plan.users, the_plan.spawn_rate, classes
