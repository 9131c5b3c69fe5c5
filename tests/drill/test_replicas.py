"""Scale-out's parts without a drill: what a probe round says about readiness, and the scaler adding
instances on the phases' clock (instances and watchers stood in by plain objects)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from toolkit.drill.profile import AppStartError, RunningApp
from toolkit.drill.replicas import NO_TOKEN, NOT_TRIED, Probe, Scaler, read_probes, run_clock
from toolkit.drill.scenario import Phase


@pytest.mark.parametrize(
    ("ready", "page", "token", "honest"),
    [
        (200, "ok", 200, True),  # ready and serving
        (200, "handled", 200, True),  # a designed degraded page is still serving the user
        (0, "failed", 0, True),  # still starting: says nothing, serves nothing
        (503, "logged_out", 200, True),  # not ready, and it would have signed the user out
        (200, "logged_out", 200, False),  # ready, but it does not know the user's session
        (200, "ok", 401, False),  # ready, but it refuses a genuine token
        (200, "ok", 503, False),  # ready, but cannot validate a token
        (503, "ok", 200, False),  # serves both, yet says it is not ready
        (200, NOT_TRIED, NO_TOKEN, True),  # nothing to try it with: readiness is taken at its word
    ],
)
def test_readiness_is_honest_when_it_says_what_the_instance_did(ready: int, page: str, token: int, honest: bool) -> None:
    assert Probe(1.0, "app-2", ready, page, token, joined=True).honest is honest


def test_probes_round_trip_through_their_file(tmp_path: Path) -> None:
    probes = [Probe(1.5, "app-2", 0, "failed", 0, False), Probe(2.0, "app-2", 200, "ok", 200, True)]
    (tmp_path / "replicas.jsonl").write_text("".join(p.to_json() + "\n" for p in probes))
    assert read_probes(tmp_path / "replicas.jsonl") == probes
    assert read_probes(tmp_path / "none.jsonl") == []


def test_the_clock_is_unknown_until_the_load_tests_start(tmp_path: Path) -> None:
    clock = run_clock(tmp_path)
    assert clock() is None
    (tmp_path / "progress.json").write_text(json.dumps({"started_at": None}))
    assert clock() is None
    (tmp_path / "progress.json").write_text(json.dumps({"started_at": 1234.5}))
    assert clock() == 1234.5


class Watched:
    def __init__(self) -> None:
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True


def test_the_scaler_adds_each_phases_instances_when_it_starts_and_stops_them(tmp_path: Path) -> None:
    phases = [Phase("baseline", 1, 0.0, 0.3), Phase("outage", 1, 0.3, 0.6, add_instances=2), Phase("end", 1, 0.6, 1.0)]
    started: list[tuple[str, float]] = []
    stopped: list[str] = []
    zero = time.time()

    def start_instance(name: str) -> RunningApp:
        started.append((name, time.time() - zero))
        if name == "app-3":
            raise AppStartError("app-3 exited with 1 before answering; its last log lines:\nboom")
        instance = RunningApp(f"https://127.0.0.1:1/{name}", None, None, 1)
        instance.stop = lambda: stopped.append(name)  # type: ignore[method-assign]
        return instance

    watchers: list[Watched] = []

    def watch(name: str, instance: RunningApp) -> Watched:
        watchers.append(Watched())
        return watchers[-1]

    said: list[str] = []
    scaler = Scaler(phases, start_instance, watch, lambda: zero, said.append)  # type: ignore[arg-type]
    scaler.start()
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    scaler.stop()
    assert [name for name, _ in started] == ["app-2", "app-3"]
    assert started[0][1] >= 0.3  # not before the phase starts
    assert scaler.failures == ["app-3: app-3 exited with 1 before answering; its last log lines:\nboom"]
    assert any("app-3 did not start" in line for line in said)
    assert len(watchers) == 1 and watchers[0].started and watchers[0].stopped
    assert stopped == ["app-2"]


def test_the_scaler_adds_nothing_if_the_run_never_starts(tmp_path: Path) -> None:
    scaler = Scaler(
        [Phase("p", 1, 0.0, 1.0, add_instances=1)],
        lambda name: pytest.fail("started"),
        lambda n, i: pytest.fail("watched"),
        lambda: None,
        print,
    )  # type: ignore[arg-type]
    scaler.start()
    time.sleep(0.3)
    scaler.stop()
    assert scaler.instances == []


def test_a_scale_out_needs_a_command_and_redis_server_when_the_profile_shares_one(tmp_path: Path, monkeypatch) -> None:
    from contextlib import ExitStack
    from dataclasses import replace

    from toolkit.drill import profile as profiles
    from toolkit.drill import run
    from toolkit.drill.scenario import load

    scenario = load("scale-out")
    reference = profiles.load("reference-app")
    with ExitStack() as running, pytest.raises(run.DrillError, match=r"needs app\.command"):
        run._front(scenario, replace(reference, command=None, url="https://staging.example"), tmp_path, running, None, None)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with ExitStack() as running, pytest.raises(run.DrillError, match="share a Redis and redis-server is not installed"):
        run._front(scenario, reference, tmp_path, running, None, None)
