"""The first stage: find the policy files under the paths given, and read each one safely.

Every file the linter reads may come from a pull request, which can commit a symlink to
`/dev/zero`, a FIFO or a file of gigabytes: only regular files are opened, and never more than a
limit is read. A file that cannot be read becomes a `LoadError` (reported as `XML001`) instead of
an exception, so one broken file never stops the rest of the set from being linted.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from toolkit.lint.config import Config

#: Far above B2C's 1024 KB limit (INH005) but low enough to keep memory bounded.
MAX_BYTES = 16 * 1024 * 1024
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"}


class LoadError(NamedTuple):
    """A file that looked like a policy but could not be read safely (becomes `XML001`)."""

    display: str
    line: int
    column: int
    message: str


class Input(NamedTuple):
    """A discovered file: its path, whether it was named on the command line, and what `read` gave."""

    path: Path
    explicit: bool
    data: bytes | LoadError | None


def display_path(path: Path) -> str:
    """Report paths relative to the working directory when under it, POSIX-style.

    `os.path` string arithmetic, not `Path.resolve()`: no system call per path component.
    """
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return path.as_posix()


def discover(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, bool]]:
    """Yield `(file, explicit)` for every `*.xml` under the paths, recursively, sorted.

    `explicit` is True for files named on the command line: those are reported even when
    they are not well-formed enough to recognise as policies.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
                found.extend(Path(dirpath, f) for f in filenames if f.lower().endswith(".xml"))
            for f in sorted(found):
                if f not in seen:
                    seen.add(f)
                    yield f, False
        elif path not in seen:
            seen.add(path)
            yield path, True


class TooLarge(OSError):
    """A file over the size `read_file` was asked to read."""


def read_file(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else OSError (or `TooLarge`).

    Used for every file the linter reads: policies, configuration, settings, schema, baseline."""
    if not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file") if path.exists() else FileNotFoundError(errno.ENOENT, "no such file")
    with path.open("rb") as fh:
        data = fh.read(limit + 1)  # the size stat gives can be wrong (a file still growing, /proc)
    if len(data) > limit:
        raise TooLarge(errno.EFBIG, f"file is over {limit // 1024} KB")
    return data


def read(path: Path, explicit: bool = False) -> bytes | LoadError | None:
    """The bytes of one file (see `read_file`). None means "not a policy": unreadable, or not a
    regular file, and not named explicitly. A file too large to be a policy is always reported."""
    try:
        return read_file(path, MAX_BYTES)
    except TooLarge as exc:
        return LoadError(display_path(path), 1, 1, f"{exc.strerror}, too large to be a policy")
    except OSError as exc:
        if not explicit:
            return None
        return LoadError(display_path(path), 1, 1, f"cannot read file: {exc.strerror or exc}")


def read_inputs(paths: Iterable[str | os.PathLike[str]], config: Config) -> list[Input]:
    """Every file under `paths` and the configured base paths, read (excluded files left out)."""
    found = discover([*paths, *config.base_paths])
    return [Input(path, explicit, read(path, explicit)) for path, explicit in found if not config.excluded(display_path(path))]


def base_files(config: Config) -> set[str]:
    """The reported paths of the files under the configured base paths (linked, never reported)."""
    return {display_path(path) for path, _ in discover(config.base_paths)} if config.base_paths else set()
