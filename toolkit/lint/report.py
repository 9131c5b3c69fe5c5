"""The last stage's input: what one run found, and writing it out (see `toolkit.lint.formatters`
for the formats)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.lint.problem import Problem, Severity

if TYPE_CHECKING:
    from toolkit.lint.model import PolicySet


class Report:
    """The result of one run."""

    def __init__(
        self,
        files: int = 0,
        problems: list[Problem] | None = None,
        notes: list[str] | None = None,
        parsed: PolicySet | None = None,
        rules: list[Any] | None = None,
        tool: str = "lint",
        noun: str = "policy file",
    ) -> None:
        self.files = files  #: policy files read, broken ones included
        self.problems = problems or []
        self.notes = notes or []  #: what the run could not do (printed to stderr)
        #: the parsed, linked set (None when the cache answered without parsing). Nothing reads it:
        #: it keeps the set alive until `b2c-toolkit lint` ends its process without freeing it
        #: (`toolkit.lint.command.leave`); freed when `lint` returns instead, it would cost a cold
        #: run over the shared corpus 1.3% of its instructions
        self.parsed = parsed
        #: the rules the run could report, as the formatters describe them (None: the linter's);
        #: each has `id`, `title`, `severity`, `doc`, `help_uri` and `check`
        self.rules = rules
        self.tool = tool  #: the command that made the report: `lint`, or `tenant audit`
        self.noun = noun  #: what `files` counts, in the summary line ("policy file", "resource")

    def count(self, severity: Severity) -> int:
        """How many problems have `severity` (baselined ones not counted)."""
        return sum(1 for p in self.problems if p.severity is severity and not p.suppressed)

    @property
    def suppressed(self) -> int:
        """How many problems the baseline suppressed."""
        return sum(1 for p in self.problems if p.suppressed)

    def worst(self) -> Severity | None:
        """The highest severity reported outside the baseline, or None when clean."""
        return max((p.severity for p in self.problems if not p.suppressed), key=lambda s: s.rank, default=None)


def write_text(path: Path, text: str) -> None:
    """Write a report or baseline as UTF-8, creating its folder (`--output reports/lint.sarif`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
