"""The scenario clock: ramps users to the scenario's level, plays its fault timeline through the
emulator's admin API when the run starts, and stops the run at the scenario's duration."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gevent
from locust import LoadTestShape

from loadtests.config import b2c_config
from toolkit.drill import scenario as scenarios
from toolkit.resilience.http import trusting_session


class ScenarioShape(LoadTestShape):
    """Driven by `--scenario` (and `--drill-users`, `--drill-duration`, `--persona-weights`)."""

    def _scenario(self) -> scenarios.Scenario:
        if not hasattr(self, "_loaded"):
            options = self.runner.environment.parsed_options
            weights = scenarios.parse_weights(options.persona_weights) if options.persona_weights else None
            self._loaded = scenarios.load(options.scenario, options.drill_users or None, options.drill_duration or None, weights)
            self._started = False
        return self._loaded

    def _start(self, scenario: scenarios.Scenario) -> None:
        options = self.runner.environment.parsed_options
        config = b2c_config(options.b2c_config)
        base = config["base_url"]
        started = time.time()
        phases = [{"name": p.name, "fault": p.fault_name, "spec": p.fault, "start_s": p.start_s, "end_s": p.end_s} for p in scenario.phases]
        if options.drill_out:
            out = Path(options.drill_out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "phases.json").write_text(json.dumps({"started_at": started, "scenario": scenario.name, "phases": phases}, indent=1))

        def play() -> None:
            session = trusting_session(config.get("ca_bundle"))
            session.delete(f"{base}/_emulator/faults", timeout=10)
            if scenario.timeline():
                session.post(f"{base}/_emulator/timeline", json={"timeline": scenario.timeline()}, timeout=10).raise_for_status()

        gevent.spawn(play)

    def tick(self) -> tuple[int, float, list[Any]] | None:
        """Users and spawn rate now; None ends the run."""
        from loadtests.personas import PERSONAS

        scenario = self._scenario()
        if not self._started:
            self._started = True
            self._start(scenario)
        if self.get_run_time() >= scenario.duration_s:
            return None
        classes = [PERSONAS[name] for name, weight in scenario.weights.items() if weight > 0]
        for cls in classes:
            cls.weight = scenario.weights[cls.persona]
        return scenario.users, scenario.spawn_rate, classes
