"""The one record every rule, formatter and test speaks: a `Problem` at a place in a file."""

from __future__ import annotations

import enum
from typing import NamedTuple


class Severity(enum.Enum):
    """How bad a finding is. "off" is configuration, not a severity."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for errors, 1 for warnings, 0 for infos: compare against `--fail-on`."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


#: each severity by its value (a dict lookup: a cached run rebuilds thousands of problems, and
#: calling the enum costs several times as much)
_SEVERITY = {s.value: s for s in Severity}


class Problem(NamedTuple):
    """A finding. Lines and columns start at 1; `policy` names the relying parties it affects.

    A named tuple, not a dataclass (the linter's records are named tuples or plain classes):
    `dataclasses` costs a CLI run about 15 ms of start-up, its import and the code it generates.
    """

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    policy: str = ""
    identity: str = ""  #: where the finding is, independent of lines (see `toolkit.lint.baseline`)
    file_policy: str = ""  #: the PolicyId of the file
    suppressed: bool = False  #: recorded in the baseline
    skipped: str = ""  #: comma-separated ids of rules not run because of this problem (INH001)

    def order(self) -> tuple[str, int, int, str]:
        """The report's sort key: path, line, column, rule."""
        return (self.path, self.line, self.column, self.rule)

    def as_dict(self) -> dict[str, object]:
        """The stable JSON shape of one problem (`"suppressed": true` added only when baselined)."""
        data: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "policy": self.policy,
        }
        if self.skipped:
            data["skipped_rules"] = self.skipped.split(",")
        if self.suppressed:
            data["suppressed"] = True
        return data

    def to_row(self) -> tuple[object, ...]:
        """The problem as plain values in field order, to send between processes (see `from_row`)."""
        return (*self[:4], self.severity.value, *self[5:])

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Problem:
        """The problem `to_row` made."""
        return cls(*row[:4], _SEVERITY[row[4]], *row[5:])  # type: ignore[arg-type, call-arg, index]
