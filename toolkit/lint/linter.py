"""The engine: load files, build chains, run the rules, and turn findings into problems."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.lint.baseline import identity
from toolkit.lint.config import Config
from toolkit.lint.loader import LoadError, PolicyFile, discover, display_path, load
from toolkit.lint.model import PolicySet, key
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.registry import Finding, Rule, Scope, all_rules, get
from toolkit.lint.schema import SCHEMA_NAME, find_schema, load_schema
from toolkit.lint.settings import renderer


@dataclass
class Report:
    """The result of one run."""

    files: int = 0  #: policy files read, broken ones included
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: what the run could not do (printed to stderr)

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


def lint(
    paths: Iterable[str | os.PathLike[str]], config: Config | None = None, baseline: set[tuple[str, str, str]] | None = None
) -> Report:
    """Lint every policy file under `paths` and return the problems, sorted."""
    config = config or Config()
    paths = list(paths)
    policy_set, errors = _load(paths, config)
    files = policy_set.files
    rules = [r for r in all_rules() if config.enabled(r.id, "")]
    notes: list[str] = []
    if any(r.id == "XSD001" for r in rules):
        schema_file = Path(config.schema) if config.schema else find_schema(paths)
        if schema_file is None:
            notes.append(f"XSD001 skipped: no {SCHEMA_NAME} found in the linted folders or their parents (use --schema FILE)")
        else:
            policy_set.schema = load_schema(str(schema_file))
    raw = list(_run(rules, policy_set))
    xml001 = get("XML001")
    xml001_severity = config.severity_of(xml001.id, xml001.severity)
    found = [
        Problem(
            e.display,
            e.line,
            e.column,
            xml001.id,
            xml001_severity,
            e.message,
            "",
            e.display,
            "",
            baseline is not None and (xml001.id, "", e.display) in baseline,
        )
        for e in errors
    ]
    found = [p for p in found if config.enabled(p.rule, p.path)]
    found.extend(_to_problems(raw, policy_set, config, baseline))
    return Report(files=len(files) + len(errors), problems=sorted(found), notes=notes)


def _load(paths: list[str | os.PathLike[str]], config: Config) -> tuple[PolicySet, list[LoadError]]:
    files: list[PolicyFile] = []
    errors: list[LoadError] = []
    render = renderer(config.settings) if config.settings is not None else None
    for path, explicit in discover(paths):
        if config.excluded(display_path(path)):
            continue
        loaded = load(path, explicit, render)
        if isinstance(loaded, PolicyFile):
            files.append(loaded)
        elif isinstance(loaded, LoadError):
            errors.append(loaded)
    return PolicySet(files, {key(b) for b in config.external_bases}), errors


def fix(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> dict[str, int]:
    """Apply the mechanical fixes (see `toolkit.lint.fix`); returns edits per file path."""
    from toolkit.lint import fix as fixes

    config = config or Config()
    policy_set, _ = _load(list(paths), config)
    rules = [r for r in all_rules() if r.id in fixes.FIXERS and config.enabled(r.id, "")]
    raw = [
        (r, finding, policy)
        for r, finding, policy in _run(rules, policy_set)
        if not policy_set.owner(finding.element).suppressions.suppresses(r.id, finding.element.sourceline or 0)
    ]
    return {f.display: n for f, n in fixes.apply(raw, policy_set).items()}


def load_set(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> PolicySet:
    """The policy files under `paths`, linked into chains (unreadable files left out)."""
    return _load(list(paths), config or Config())[0]


def _run(rules: list[Rule], policy_set: PolicySet) -> Iterator[tuple[Rule, Finding, str]]:
    """Every finding with its rule and the name of the policy it affects."""
    for r in (r for r in rules if r.scope is Scope.SET):
        for finding in r.check(policy_set):
            yield r, finding, policy_set.owner(finding.element).policy_id
    for f in policy_set.files:
        for r in (r for r in rules if r.scope is Scope.FILE):
            for finding in r.check(f):
                yield r, finding, f.policy_id
    chain_rules = [r for r in rules if r.scope is Scope.CHAIN]
    for effective in policy_set.effective_policies():
        for r in chain_rules:
            if r.per_content or r.per_journeys:
                key = ("rule", r.id, effective.journey_refs if r.per_journeys else None)
                findings = effective.merged.once(key, lambda r=r, e=effective: list(r.check(e)))  # type: ignore[misc]
            else:
                findings = list(r.check(effective))
            for finding in findings:
                yield r, finding, effective.name


def _to_problems(
    raw: list[tuple[Rule, Finding, str]], policy_set: PolicySet, config: Config, baseline: set[tuple[str, str, str]] | None
) -> list[Problem]:
    """Locate findings, apply suppressions and configuration, and merge duplicates.

    A base file shared by several relying parties yields the same finding once per chain: it
    is reported once, naming every policy it affects.
    """
    unique: dict[tuple[str, int, str | None, str], tuple[Rule, Finding, set[str]]] = {}
    for r, finding, policy in raw:
        entry = unique.setdefault((r.id, id(finding.element), finding.attr, finding.message), (r, finding, set()))
        if policy:
            entry[2].add(policy)
    problems = []
    for r, finding, policies in unique.values():
        f = policy_set.owner(finding.element)
        line, column = f.locate(finding.element, finding.attr)
        if f.suppressions.suppresses(r.id, line) or not config.enabled(r.id, f.display):
            continue
        # configuration wins over a finding's own severity, which wins over the rule default
        severity = config.severity_of(r.id, finding.severity or r.severity)
        where = identity(finding.element, finding.attr)
        known = baseline is not None and (r.id, f.policy_id, where) in baseline
        problems.append(
            Problem(f.display, line, column, r.id, severity, finding.message, ", ".join(sorted(policies)), where, f.policy_id, known)
        )
    return problems
