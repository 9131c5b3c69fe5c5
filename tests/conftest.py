"""Fixtures shared by every test package."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support import RunningEmulator, start_emulator, stop_emulator

# The lint cache of a test session starts empty, is its own (subprocesses inherit it) and goes with it.
os.environ["B2C_TOOLKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="b2c-toolkit-cache-")
atexit.register(shutil.rmtree, os.environ["B2C_TOOLKIT_CACHE_DIR"], ignore_errors=True)

# Property tests run the same examples every time, so that a run fails only when the code changed;
# HYPOTHESIS_PROFILE=fuzz runs many fresh ones (and keeps failures in .hypothesis/ to replay).
settings.register_profile(
    "default", max_examples=50, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: The project's shared folder (corpus, schemas) sits beside the checkout, as in CI.
SHARED_VARIABLE, SHARED_FOLDER = "B2C_TOOLKIT_SHARED", "shared"
SHARED = Path(os.environ.get(SHARED_VARIABLE, Path(__file__).resolve().parents[2] / SHARED_FOLDER))


def pointed_at(folder: Path) -> dict[str, str]:
    """The environment of a test run (in a subprocess) whose `shared` fixture looks in `folder`."""
    return {**os.environ, SHARED_VARIABLE: str(folder)}


@pytest.fixture(scope="session")
def shared() -> Path:
    """`../shared`: the real-world policy corpus and the SARIF schema."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"shared folder not found at {SHARED} (set {SHARED_VARIABLE})")
    return SHARED


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One emulator for the whole session; faults are cleared after every test."""
    running = start_emulator(tmp_path_factory.mktemp("emulator-state"))
    yield running
    stop_emulator(running)


@pytest.fixture(scope="session")
def external_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One `--flavor external-id` emulator for the whole session; faults are cleared after every test."""
    running = start_emulator(tmp_path_factory.mktemp("external-id-state"), "--flavor", "external-id")
    yield running
    stop_emulator(running)


@pytest.fixture(scope="session")
def graph_b2c(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator serving Microsoft Graph for the shipped B2C tenant with known problems."""
    running = start_emulator(tmp_path_factory.mktemp("graph-b2c-state"), "--graph-tenant", "b2c-problems")
    yield running
    stop_emulator(running)


@pytest.fixture(scope="session")
def graph_external_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An External ID emulator serving Microsoft Graph for the shipped External ID tenant."""
    running = start_emulator(tmp_path_factory.mktemp("graph-eid-state"), "--flavor", "external-id", "--graph-tenant", "external-id")
    yield running
    stop_emulator(running)


@pytest.fixture(scope="session")
def graph_workforce(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator serving Microsoft Graph for the shipped Microsoft Entra ID (workforce) tenant with problems."""
    running = start_emulator(tmp_path_factory.mktemp("graph-workforce-state"), "--graph-tenant", "workforce-problems")
    yield running
    stop_emulator(running)


@pytest.fixture(autouse=True)
def _no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("emulator", "external_id", "graph_b2c", "graph_external_id", "graph_workforce"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear()
