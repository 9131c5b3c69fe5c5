"""The engine: load files, build chains, run the rules, and turn findings into problems."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.lint import parallel
from toolkit.lint.baseline import identity
from toolkit.lint.config import Config
from toolkit.lint.loader import LoadError, PolicyFile, discover, display_path, load
from toolkit.lint.model import LeafGroup, PolicySet, key
from toolkit.lint.parallel import Row
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
    paths: Iterable[str | os.PathLike[str]],
    config: Config | None = None,
    baseline: set[tuple[str, str, str]] | None = None,
    jobs: int = 1,
) -> Report:
    """Lint every policy file under `paths` and return the problems, sorted.

    With `jobs` > 1 the checks are spread over that many processes after parsing (see
    `toolkit.lint.parallel`); the report is the same.
    """
    # A run makes no garbage cycles worth collecting, and the collector walking the parsed set
    # again and again costs a tenth of the run (and, in forked children, copies its memory).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _lint(list(paths), config or Config(), baseline, jobs)
    finally:
        if collecting:
            gc.enable()


def _lint(paths: list[str | os.PathLike[str]], config: Config, baseline: set[tuple[str, str, str]] | None, jobs: int) -> Report:
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
    shares = _shares(policy_set, jobs)

    def check(i: int) -> list[Row]:
        return [p.to_row() for p in _to_problems(list(_run(rules, policy_set, shares[i])), policy_set, config, baseline)]

    checked = [Problem.from_row(row) for row in parallel.run(check, len(shares))]
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
    found.extend(checked)
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


@dataclass
class Share:
    """The part of a run one process checks: the set rules or not, files, groups of chains."""

    set_rules: bool = True
    files: list[PolicyFile] | None = None  #: None: every file
    groups: list[LeafGroup] | None = None  #: None: every leaf


def _shares(policy_set: PolicySet, jobs: int) -> list[Share]:
    """The run cut in up to `jobs` shares of similar size, whole policy sets each (so that what the
    chains of a set share is computed once); the first share also runs the set rules."""
    if jobs <= 1:
        return [Share()]
    groups: dict[int, list[LeafGroup]] = {}
    for group in policy_set.leaf_groups():
        groups.setdefault(id(group.chains[0].files[0]), []).append(group)
    units = [Share(False, files, groups.get(root, [])) for root, files in policy_set.sets().items()]
    set_rules = Share(True, [], [])
    parts = parallel.split([set_rules, *units], lambda u: _cost(u, policy_set), jobs)
    return [
        Share(any(u is set_rules for u in part), [f for u in part for f in u.files or []], [g for u in part for g in u.groups or []])
        for part in parts
        if part
    ]


def _cost(share: Share, policy_set: PolicySet) -> int:
    """A rough cost of checking `share`, in microseconds (fitted on the shared corpus): file
    rules read every byte, chain rules every merged byte and run once per relying party."""
    if share.set_rules:
        return 5000 + (15000 if policy_set.schema is not None else 0)
    files = sum(f.size for f in share.files or []) // 60
    content = sum(f.size for g in share.groups or [] for f in g.content) // 30
    return files + content + 1200 * sum(len(g.chains) for g in share.groups or [])


def _run(rules: list[Rule], policy_set: PolicySet, share: Share | None = None) -> Iterator[tuple[Rule, Finding, str]]:
    """Every finding (of `share` only, if given) with its rule and the name of the policy it affects."""
    share = share or Share()
    for r in (r for r in rules if r.scope is Scope.SET and share.set_rules):
        for finding in r.check(policy_set):
            yield r, finding, policy_set.owner(finding.element).policy_id
    for f in policy_set.files if share.files is None else share.files:
        for r in (r for r in rules if r.scope is Scope.FILE):
            for finding in r.check(f):
                yield r, finding, f.policy_id
    chain_rules = [r for r in rules if r.scope is Scope.CHAIN]
    for effective in policy_set.effective_policies(share.groups):
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
