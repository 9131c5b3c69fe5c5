"""Output formats. Each describes a whole run, so JSON and SARIF fit the same shape as text."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import quote  # pathlib imports it already: no start-up cost

from toolkit import __version__
from toolkit.lint.escape import printable, xml_escape
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.registry import all_rules
from toolkit.lint.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def summary_line(report: Report) -> str:
    """`N policy files linted: E errors, W warnings, I infos` (singular for 1; and how many the
    baseline suppressed), then how many each rule reported, most first: where the noise is, at a
    glance."""
    line = (
        f"{_counted(report.files, report.noun)} {'linted' if report.tool == 'lint' else 'audited'}: {_counted(report.count(Severity.ERROR), 'error')}, "
        f"{_counted(report.count(Severity.WARNING), 'warning')}, {_counted(report.count(Severity.INFO), 'info')}"
    )
    line += f" ({report.suppressed} baselined)" if report.suppressed else ""
    counts = by_rule(report)
    return line + (f"; by rule: {', '.join(f'{rule} {n}' for rule, n in counts.items())}" if counts else "")


def _counted(n: int, noun: str) -> str:
    """`1 error`, `2 errors`, `0 errors`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def by_rule(report: Report) -> dict[str, int]:
    """How many problems each rule reported (baselined ones not counted), most first."""
    counts: dict[str, int] = {}
    for p in report.problems:
        if not p.suppressed:
            counts[p.rule] = counts.get(p.rule, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


#: relying parties named inline in text and annotations; JSON and SARIF keep the whole list
NAMED = 2


def few(policy: str) -> str:
    """`A, B` when a problem affects one or two relying parties, else `A and N more`."""
    names = policy.split(", ")
    return policy if len(names) <= NAMED else f"{names[0]} and {len(names) - 1} more"


def _printable(p: Problem) -> Problem:
    """`p` with its path, message and policies as every format shows them (see `printable`)."""
    return p._replace(path=printable(p.path), message=printable(p.message), policy=printable(p.policy))


def _shown(report: Report) -> list[Problem]:
    return [_printable(p) for p in report.problems if not p.suppressed]


def text(report: Report) -> str:
    """`path:line:col: RULE severity message [policy]`, then a summary line."""
    lines = [
        f"{p.path}:{p.line}:{p.column}: {p.rule} {p.severity.value} {p.message}"
        + (f" [{few(p.policy)}]" if p.policy else "")
        + (" (baselined)" if p.suppressed else "")
        for p in map(_printable, report.problems)
    ]
    return "\n".join([*lines, summary_line(report)]) + "\n"


def json_format(report: Report) -> str:
    """The stable JSON shape: `{"summary": {...}, "problems": [...]}`, one problem per line (easy
    to read and to diff; and `json.dumps` without indent is its fast C encoder)."""
    summary = {
        "files": report.files,
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "infos": report.count(Severity.INFO),
    }
    rules = json.dumps(by_rule(report))
    lines = ",\n".join(f"    {json.dumps(p.as_dict())}" for p in map(_printable, report.problems))
    problems = f"[\n{lines}\n  ]" if lines else "[]"
    return f'{{\n  "summary": {json.dumps(summary)},\n  "by_rule": {rules},\n  "problems": {problems}\n}}\n'


def catalog(report: Report) -> list[Any]:
    """The rules a report describes: its own (the tenant audit's), or the linter's."""
    return report.rules if report.rules is not None else all_rules()


def sarif(report: Report) -> str:
    """SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. The tenant audit's results
    also carry a logical location: the resource and record (`keySets/B2C_1A_X`) a finding is about."""
    rules = catalog(report)
    index = {r.id: i for i, r in enumerate(rules)}
    driver = {
        "name": "b2c-toolkit",
        "version": __version__,
        "rules": [
            {
                "id": r.id,
                "name": r.check.__name__,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.doc.split("\n\n", 1)[0]},
                "help": {"text": r.doc},
                "helpUri": r.help_uri,
                "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
            }
            for r in rules
        ],
    }

    def result(raw: Problem) -> dict[str, object]:
        p = _printable(raw)
        return {
            "ruleId": p.rule,
            "ruleIndex": index[p.rule],
            "level": SARIF_LEVEL[p.severity],
            "message": {"text": p.message + (f" [{p.policy}]" if p.policy else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(raw.path),
                        "region": {"startLine": p.line, "startColumn": p.column},
                    },
                    **(
                        {"logicalLocations": [{"fullyQualifiedName": p.identity, "kind": "object"}]}
                        if report.tool != "lint" and p.identity
                        else {}
                    ),
                }
            ],
            "partialFingerprints": {"b2cToolkitIdentity/v1": f"{p.rule}:{p.file_policy}:{p.identity}"},
            "properties": {"policy": p.policy},
            **({"suppressions": [{"kind": "external", "justification": "recorded in the b2c-toolkit baseline"}]} if p.suppressed else {}),
        }

    data = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"%SRCROOT%": _location(os.getcwd() + os.sep)},
                "results": [result(p) for p in report.problems],
            }
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _location(path: str) -> dict[str, str]:
    """A reported path as a SARIF artifact location. SARIF wants a URI: the name's bytes are
    percent-encoded (a name that is not UTF-8 keeps its own bytes), a path relative to the working
    directory is relative to `%SRCROOT%` (as CodeQL writes it), an absolute one is a file URI."""
    try:
        data = os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate that no file name decodes to
        data = printable(path).encode()
    if os.path.isabs(path):
        posix = data.replace(b"\\", b"/") if os.sep == "\\" else data
        return {"uri": "file://" + quote(posix if posix.startswith(b"/") else b"/" + posix, safe="/:")}  # C:/ on Windows
    return {"uri": quote(data), "uriBaseId": "%SRCROOT%"}


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per problem."""
    lines = [
        f"::{GITHUB_LEVEL[p.severity]} file={_escape(p.path, True)},line={p.line},col={p.column},title={_escape(p.rule, True)}::"
        + _escape(p.message + (f" [{few(p.policy)}]" if p.policy else ""))
        for p in _shown(report)
    ]
    return "\n".join([*lines, summary_line(report)]) + "\n"


def junit(report: Report) -> str:
    """JUnit XML (Azure DevOps test tab): one test case per rule, failures per problem."""
    by_rule: dict[str, list[Problem]] = {}
    for p in _shown(report):
        by_rule.setdefault(p.rule, []).append(p)
    cases = []
    name = f"b2c-toolkit {report.tool}"
    for r in catalog(report):
        failures = "".join(
            f"\n      <failure type={quoteattr(p.severity.value)} message={quoteattr(f'{p.path}:{p.line}:{p.column}: {p.message}')}></failure>"
            for p in by_rule.get(r.id, [])
        )
        cases.append(
            f"    <testcase classname={quoteattr(name.replace(' ', '.'))} name={quoteattr(f'{r.id} {r.title}')}>{failures}\n    </testcase>"
        )
    failed = sum(1 for r in catalog(report) if r.id in by_rule)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites>\n  <testsuite name={quoteattr(name)} tests="{len(cases)}" failures="{failed}">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def quoteattr(value: str) -> str:
    """An XML attribute value, quoted."""
    return f'"{xml_escape(value)}"'


FORMATS: dict[str, Callable[[Report], str]] = {"text": text, "json": json_format, "sarif": sarif, "github": github, "junit": junit}
