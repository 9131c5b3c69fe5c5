"""The container image, built once per test session with podman where podman can run."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.deploy.podman import Podman, unavailable


class Image(NamedTuple):
    """The image built for this session and the base it was built on."""

    tag: str
    base: str


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    """podman with this session's containers.conf, or a skip saying why it cannot run here."""
    reason = unavailable()
    if reason is None:
        found = Podman(tmp_path_factory.mktemp("podman"))
        reason = found.works()
        if reason is None:
            return found
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_image(podman: Podman) -> Iterator[Image]:
    """The Dockerfile built on its base image (this session's tag: sessions running at once do not
    share one; podman's layer cache makes a second build quick)."""
    try:
        base = podman.base_image()
    except LookupError as exc:
        pytest.skip(str(exc))
    tag = f"localhost/b2c-refapp:test-{os.getpid()}-{int(time.time())}"
    podman.build(tag, base)
    yield Image(tag, base)
    podman.run("rmi", "-f", tag, check=False)


@pytest.fixture
def readable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the container's user (uid 10001) can read: pytest's own are root's alone."""
    folder = tmp_path_factory.mktemp("readable")
    os.chmod(folder, 0o755)
    return folder
