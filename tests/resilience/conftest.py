"""The resilience tests count the requests the emulator serves (retries, refreshes, nothing left
the app): each module gets an emulator of its own, so that no other test's request is counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import RunningEmulator, start_emulator, stop_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """This module's own emulator; faults are cleared after every test (tests/conftest.py)."""
    running = start_emulator(tmp_path_factory.mktemp("resilience-emulator"))
    yield running
    stop_emulator(running)
