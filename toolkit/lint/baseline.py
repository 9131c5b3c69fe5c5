"""Baselines: adopt the linter on a legacy set without fixing everything first.

A finding is matched by rule, the PolicyId of its file, and the identity of the element it points
at (see `toolkit.lint.check.identity`: the chain of Ids from the root, e.g.
`TechnicalProfile[REST-X]/Metadata/Item[DebugMode]`), so a baselined finding stays baselined when
lines move; a new one is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from toolkit.lint.discover import read_file
from toolkit.lint.escape import printable
from toolkit.lint.problem import Problem
from toolkit.lint.report import write_text


class BaselineError(Exception):
    """A baseline file that cannot be read (exit 2)."""


def key(problem: Problem) -> tuple[str, str, str]:
    """What a baseline entry matches on."""
    return (problem.rule, problem.file_policy, problem.identity)


def suppress(problems: list[Problem], baseline: set[tuple[str, str, str]]) -> list[Problem]:
    """`problems`, those the baseline records marked suppressed (reported, never failing a run)."""
    return [p._replace(suppressed=True) if key(p) in baseline else p for p in problems]


def write(path: str | Path, problems: Iterable[Problem]) -> int:
    """Record findings; returns how many."""
    entries = sorted({key(p): p for p in problems}.items())
    data = {
        "version": 1,
        "findings": [{"rule": k[0], "policy": k[1], "identity": k[2], "path": printable(p.path), "message": p.message} for k, p in entries],
    }
    write_text(Path(path), json.dumps(data, indent=1) + "\n")
    return len(entries)


def load(path: str | Path) -> set[tuple[str, str, str]]:
    """The findings a baseline file records."""
    try:
        data = json.loads(read_file(Path(path)).decode("utf-8"))
        return {(e["rule"], e["policy"], e["identity"]) for e in data["findings"]}
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a b2c-toolkit baseline ({exc.__class__.__name__})") from None
