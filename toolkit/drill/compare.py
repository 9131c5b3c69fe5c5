"""Side by side: two runs of one scenario (e.g. two apps, or one app before and after a change)."""

from __future__ import annotations

from pathlib import Path


class CompareError(ValueError):
    """Folders that cannot be compared (exit 2)."""


def write(first: Path, second: Path, out: Path) -> list[Path]:
    """Write the comparison; return the files written."""
    raise CompareError("not yet")
