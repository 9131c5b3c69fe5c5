"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The project's shared folder (corpus, schemas) sits beside the checkout, as in CI.
SHARED = Path(os.environ.get("B2C_TOOLKIT_SHARED", Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """`../shared`: the real-world policy corpus and the SARIF schema."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"shared folder not found at {SHARED} (set B2C_TOOLKIT_SHARED)")
    return SHARED
