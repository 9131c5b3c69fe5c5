"""Problems of unchanged runs and policy sets, kept between runs (as ruff and ESLint keep theirs).

Two levels. When every file a run reads is exactly as in an earlier run with the same settings,
that run's problems are reused and nothing is parsed: the run costs about what reading the files
does. Otherwise every file is parsed and linked, and the set-wide rules (INH001, INH005, INH008)
run; only the checks of a policy set whose content is exactly as in an earlier run are skipped,
and that run's problems reused.

Keys hash the toolkit's version and the source of its linter, the rules that run and how they are
configured, and the schema (path and bytes); a run's key adds every file found (path, bytes) and
the `--settings` values; a set's key adds, for each of its files, its path, its bytes (after
`--settings` rendering) and its chain. A baseline is applied after the cache, so it is not part
of a key.

Entries are small JSON files in `$B2C_TOOLKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/b2c-toolkit/lint`,
else `~/.cache/b2c-toolkit/lint` (`--cache-dir DIR`, `--no-cache`). An unreadable entry is a miss;
a cache that cannot be written is skipped silently: the report never depends on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from lxml import etree

from toolkit import __version__
from toolkit.lint.config import Config
from toolkit.lint.discover import Input, display_path, read_file
from toolkit.lint.model import PolicySet
from toolkit.lint.parse import PolicyFile
from toolkit.lint.problem import Problem
from toolkit.lint.registry import Rule

#: entries kept; beyond this the oldest half is removed
MAX_ENTRIES = 2000
LINT_SOURCE = Path(__file__).resolve().parent


class Cache:
    """The entries of one run's configuration."""

    def __init__(self, folder: Path, config: Config, rules: list[Rule], schema: Path | None = None) -> None:
        self.folder = folder
        self.written = 0
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{__version__} {sys.version} {etree.LXML_VERSION} {etree.LIBXML_VERSION}".encode())
        # an edited rule (an editable install, a patched release) or starter-pack table must not
        # reuse old results
        for source in sorted([*LINT_SOURCE.rglob("*.py"), LINT_SOURCE / "starter_pack.txt"]):
            stat = source.stat()
            digest.update(f"{source.relative_to(LINT_SOURCE)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        settings = {
            "rules": [r.id for r in rules],
            "severity": config.severity,
            "per-path-ignores": config.per_path_ignores,
            "external-bases": sorted(config.external_bases),
            "base-paths": sorted(config.base_paths),
            "starter-pack": config.starter_pack,
        }
        digest.update(json.dumps(settings, sort_keys=True).encode())
        if schema is not None:
            digest.update(os.fsencode(f"\0{os.path.abspath(schema)}\0") + (_bytes(schema) or b""))
        self._run_key = digest.digest()
        self.settings = config.settings
        self._digests: dict[Path, bytes] = {}  #: each file's bytes as read, hashed

    def run_key(self, inputs: list[Input]) -> str:
        """The key of a whole run: every file it reads (path, bytes) and the settings."""
        digest = hashlib.blake2b(self._run_key, digest_size=20)
        digest.update(json.dumps(self.settings).encode())
        for path, explicit, data in inputs:
            digest.update(os.fsencode(f"\0{os.path.abspath(path)}\0{display_path(path)}\0{explicit}\0"))
            if isinstance(data, bytes):
                self._digests[path] = _digest(data)
                digest.update(self._digests[path])
            else:
                digest.update(repr(data).encode())
        return "run-" + digest.hexdigest()

    def get_run(self, key: str) -> tuple[int, list[Problem]] | None:
        """The file count and problems stored under a run's `key`, or None."""
        entry = self._read(key)
        if not (isinstance(entry, dict) and isinstance(entry.get("files"), int)):
            return None
        problems = _problems(entry.get("problems"))
        return None if problems is None else (entry["files"], problems)

    def put_run(self, key: str, files: int, problems: list[Problem]) -> None:
        """Store a whole run's file count and problems."""
        self._write(key, {"files": files, "problems": [p.to_row() for p in problems]})

    def key(self, files: list[PolicyFile], policy_set: PolicySet) -> str:
        """The key of one policy set's problems."""
        digest = hashlib.blake2b(self._run_key, digest_size=20)
        for f in sorted(files, key=lambda f: f.display):
            chain = policy_set.chain(f)
            digest.update(os.fsencode(f"\0{f.display}\0{chain.complete}\0{'|'.join(c.display for c in chain.files)}\0"))
            # the bytes were hashed for the run's key, unless settings rendering changed them
            digest.update(self._digests[f.path] if self.settings is None and f.path in self._digests else _digest(f.data))
        return digest.hexdigest()

    def get(self, key: str) -> list[Problem] | None:
        """The problems of one set stored under `key`, or None."""
        return _problems(self._read(key))

    def put(self, key: str, problems: list[Problem]) -> None:
        """Store the problems of one set."""
        self._write(key, [p.to_row() for p in problems])

    def _read(self, key: str) -> object:
        try:
            return json.loads((self.folder / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None

    def _write(self, key: str, entry: object) -> None:
        """Write an entry whole or not at all."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{key}.json"
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(partial, target)
            self.written += 1
        except OSError:
            return

    def prune(self) -> None:
        """Keep the folder bounded: past `MAX_ENTRIES`, remove the oldest half."""
        if not self.written:
            return
        try:
            entries = sorted(os.scandir(self.folder), key=lambda e: e.stat().st_mtime_ns)
            if len(entries) > MAX_ENTRIES:
                for entry in entries[: len(entries) - MAX_ENTRIES // 2]:
                    os.unlink(entry.path)
        except OSError:
            return


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


def _bytes(path: Path) -> bytes | None:
    try:
        return read_file(path)
    except OSError:
        return None


def _problems(entry: object) -> list[Problem] | None:
    """Stored problems, or None for anything else (a damaged entry is a miss)."""
    if not (isinstance(entry, list) and all(isinstance(row, list) for row in entry)):
        return None
    try:
        return [Problem.from_row(tuple(row)) for row in entry]
    except (IndexError, KeyError, TypeError, ValueError):
        return None
