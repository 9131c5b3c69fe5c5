"""The engine: load files, build chains, run the rules, and turn findings into problems."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from toolkit.lint import parallel
from toolkit.lint.baseline import identity
from toolkit.lint.config import Config
from toolkit.lint.loader import LoadError, PolicyFile, discover, display_path, parse, read, secure_parser
from toolkit.lint.model import LeafGroup, PolicySet, key
from toolkit.lint.parallel import Row
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.registry import Finding, Rule, Scope, all_rules, get
from toolkit.lint.schema import SCHEMA_NAME, find_schema, load_schema
from toolkit.lint.settings import renderer

if TYPE_CHECKING:
    from toolkit.lint.cache import Cache


class Report:
    """The result of one run."""

    def __init__(
        self,
        files: int = 0,
        problems: list[Problem] | None = None,
        notes: list[str] | None = None,
        policy_set: PolicySet | None = None,
    ) -> None:
        self.files = files  #: policy files read, broken ones included
        self.problems = problems or []
        self.notes = notes or []  #: what the run could not do (printed to stderr)
        #: the parsed, linked files (None when the cache answered without parsing); kept with the
        #: report so that a command exiting at once never spends time freeing them
        self.policy_set = policy_set

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
    cache: Path | None = None,
) -> Report:
    """Lint every policy file under `paths` and return the problems, sorted.

    With `jobs` > 1 the checks are spread over that many processes after parsing (see
    `toolkit.lint.parallel`). With a `cache` folder, a run over files all unchanged since an
    earlier run reuses its problems without parsing anything, and otherwise each unchanged policy
    set reuses its own (see `toolkit.lint.cache`). The report is the same either way.
    """
    config = config or Config()
    paths = list(paths)
    rules = [r for r in all_rules() if config.enabled(r.id, "")]
    notes: list[str] = []
    schema_file = None
    if any(r.id == "XSD001" for r in rules):
        schema_file = Path(config.schema) if config.schema else find_schema(paths)
        if schema_file is None:
            notes.append(f"XSD001 skipped: no {SCHEMA_NAME} found in the linted folders or their parents (use --schema FILE)")
    inputs = _read(paths, config)
    bases = base_files(config) if config.base_paths else set()
    store = None
    stored = None
    if cache is not None:
        from toolkit.lint.cache import Cache

        store = Cache(cache, config, rules, schema_file)
        run_key = store.run_key(inputs)
        stored = store.get_run(run_key)
    policy_set = None
    if stored is not None:
        files, rows = stored
    else:
        policy_set, errors = _parse(inputs, config, jobs)
        if schema_file is not None:
            schema = load_schema(str(schema_file))
            for f in policy_set.files:
                f.schema = schema
        files = len([f for f in policy_set.files if f.display not in bases]) + len([e for e in errors if e.display not in bases])
        rows = _check(policy_set, errors, rules, config, jobs, store)
        if store is not None:
            store.put_run(run_key, files, rows)
            store.prune()
    if bases:
        kept = [row for row in rows if row[0] not in bases]
        if dropped := len(rows) - len(kept):
            one = dropped == 1
            notes.append(
                f"{dropped} finding{'' if one else 's'} in base-path files not reported (lint those files to see {'it' if one else 'them'})"
            )
        rows = kept
    problems = [Problem.from_row(row) for row in rows]
    if baseline is not None:
        problems = [p._replace(suppressed=True) if (p.rule, p.file_policy, p.identity) in baseline else p for p in problems]
    return Report(files, sorted(problems, key=Problem.order), notes, policy_set)


def _check(policy_set: PolicySet, errors: list[LoadError], rules: list[Rule], config: Config, jobs: int, store: Cache | None) -> list[Row]:
    """The problems of a parsed run as rows (see `Problem.to_row`): each policy set's from the
    cache when it holds them, the others checked over `jobs` processes."""
    units = _units(policy_set)
    found: dict[int, list[Row]] = {}
    keys: dict[int, str] = {}
    if store is not None:
        for i, unit in enumerate(units):
            if not unit.set_rules:
                keys[i] = store.key(unit.files or [], policy_set)
                if (cached := store.get(keys[i])) is not None:
                    found[i] = cached
    todo = [i for i in range(len(units)) if i not in found]
    if sum(_cost(units[i], policy_set) for i in todo) < FORK_WORTH:
        jobs = 1
    shares = [share for share in parallel.split(todo, lambda i: _cost(units[i], policy_set), jobs) if share]

    def check(share: int) -> list[Row]:
        return [(i, *p.to_row()) for i in shares[share] for p in _to_problems(list(_run(rules, policy_set, units[i])), policy_set, config)]

    for i in todo:
        found[i] = []
    for row in parallel.run(check, len(shares)):
        index = row[0]
        assert isinstance(index, int)
        found[index].append(row[1:])
    if store is not None:
        for i in todo:
            if i in keys:
                store.put(keys[i], found[i])
    rows = [row for unit_rows in found.values() for row in unit_rows]
    xml001 = get("XML001")
    severity = config.severity_of(xml001.id, xml001.severity)
    rows += [
        Problem(e.display, e.line, e.column, xml001.id, severity, e.message, "", e.display, "").to_row()
        for e in errors
        if config.enabled(xml001.id, e.display)
    ]
    return rows


#: a discovered file: its path, whether it was named on the command line, and what `read` gave
Input = tuple[Path, bool, bytes | LoadError | None]


def _read(paths: list[str | os.PathLike[str]], config: Config) -> list[Input]:
    """Every file under `paths` and the configured base paths, read."""
    found = discover([*paths, *config.base_paths])
    return [(path, explicit, read(path, explicit)) for path, explicit in found if not config.excluded(display_path(path))]


def base_files(config: Config) -> set[str]:
    """The reported paths of the files under the configured base paths (linked, never reported)."""
    return {display_path(path) for path, _ in discover(config.base_paths)}


#: bytes worth a second parsing thread (starting one costs about what parsing 100 KB does)
THREAD_WORTH = 500_000


def _parse(inputs: list[Input], config: Config, jobs: int = 1) -> tuple[PolicySet, list[LoadError]]:
    """Parse the files read, on two threads when `jobs` allows and there is enough to parse: lxml
    lets go of the GIL while it parses. The trees are only read afterwards, never changed."""
    render = renderer(config.settings) if config.settings is not None else None
    loaded: list[PolicyFile | LoadError | None] = [data if not isinstance(data, bytes) else None for _, _, data in inputs]
    sizes = {i: len(data) for i, (_, _, data) in enumerate(inputs) if isinstance(data, bytes)}
    todo = sorted(sizes, key=sizes.__getitem__, reverse=True)  # largest first: the threads end together

    def work(indexes: list[int], parser: etree.XMLParser | None) -> None:
        for i in indexes:
            path, explicit, data = inputs[i]
            assert isinstance(data, bytes)
            loaded[i] = parse(path, data, explicit, render, parser)

    if jobs > 1 and sum(sizes.values()) > THREAD_WORTH:
        parallel.on_two_threads(lambda: work(todo[0::2], None), lambda: work(todo[1::2], secure_parser()))
    else:
        work(todo, None)
    files: list[PolicyFile] = []
    errors: list[LoadError] = []
    for result in loaded:
        if isinstance(result, PolicyFile):
            files.append(result)
        elif isinstance(result, LoadError):
            errors.append(result)
    preferred = base_files(config) if config.base_paths else set()
    return PolicySet(files, {key(b) for b in config.external_bases}, preferred, [e.display for e in errors]), errors


def _load(paths: list[str | os.PathLike[str]], config: Config) -> tuple[PolicySet, list[LoadError]]:
    return _parse(_read(paths, config), config)


def fix(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> dict[str, int]:
    """Apply the mechanical fixes (see `toolkit.lint.fix`); returns edits per file path."""
    from toolkit.lint import fix as fixes

    config = config or Config()
    policy_set, _ = _load(list(paths), config)
    rules = [r for r in all_rules() if r.id in fixes.FIXERS and config.enabled(r.id, "")]
    bases = base_files(config)
    raw = [
        (r, finding, policy)
        for r, finding, policy in _run(rules, policy_set)
        if (f := policy_set.owner(finding.element)).display not in bases
        and not f.suppressions.suppresses(r.id, finding.element.sourceline or 0)
    ]
    return {f.display: n for f, n in fixes.apply(raw, policy_set).items()}


def load_set(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> PolicySet:
    """The policy files under `paths`, linked into chains (unreadable files left out)."""
    return _load(list(paths), config or Config())[0]


class Unit(NamedTuple):
    """A piece of a run's checks: the set-wide rules, or one policy set (its files and chains)."""

    set_rules: bool = True
    files: list[PolicyFile] | None = None  #: None: every file
    groups: list[LeafGroup] | None = None  #: None: every leaf


def _units(policy_set: PolicySet) -> list[Unit]:
    """The set-wide rules, then each policy set: whole sets, so that what the chains of a set share
    is computed once, and a set unchanged since an earlier run can reuse its problems."""
    groups: dict[int, list[LeafGroup]] = {}
    for group in policy_set.leaf_groups():
        groups.setdefault(id(group.chains[0].files[0]), []).append(group)
    return [Unit(True, [], []), *(Unit(False, files, groups.get(root, [])) for root, files in policy_set.sets().items())]


#: estimated checking (µs, see `_cost`) below which forking costs more than it saves
FORK_WORTH = 30_000


def _cost(unit: Unit, policy_set: PolicySet) -> int:
    """A rough cost of checking `unit`, in microseconds (fitted on the shared corpus): file
    rules read every byte (the schema as much again), chain rules every merged byte and run once
    per relying party."""
    if unit.set_rules:
        return 5000
    files = sum(f.size * (2 if f.schema is not None else 1) for f in unit.files or []) // 60
    content = sum(f.size for g in unit.groups or [] for f in g.content) // 30
    return files + content + 1200 * sum(len(g.chains) for g in unit.groups or [])


def _run(rules: list[Rule], policy_set: PolicySet, unit: Unit | None = None) -> Iterator[tuple[Rule, Finding, str]]:
    """Every finding (of `unit` only, if given) with its rule and the name of the policy it affects."""
    unit = unit or Unit()
    for r in (r for r in rules if r.scope is Scope.SET and unit.set_rules):
        for finding in r.check(policy_set):
            for policy in finding.policies or (policy_set.owner(finding.element).policy_id,):
                yield r, finding, policy
    for f in policy_set.files if unit.files is None else unit.files:
        for r in (r for r in rules if r.scope is Scope.FILE):
            for finding in r.check(f):
                yield r, finding, f.policy_id
    chain_rules = [r for r in rules if r.scope is Scope.CHAIN]
    for effective in policy_set.effective_policies(unit.groups):
        for r in chain_rules:
            if r.whole_chain and not effective.chain.complete:
                continue  # its verdict needs what the missing base holds; INH001 says it was skipped
            if r.per_content or r.per_journeys:
                key = ("rule", r.id, effective.journey_refs if r.per_journeys else None)
                findings = effective.merged.once(key, lambda r=r, e=effective: list(r.check(e)))  # type: ignore[misc]
            else:
                findings = list(r.check(effective))
            for finding in findings:
                yield r, finding, effective.name


def _to_problems(raw: list[tuple[Rule, Finding, str]], policy_set: PolicySet, config: Config) -> list[Problem]:
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
        problems.append(
            Problem(
                f.display,
                line,
                column,
                r.id,
                severity,
                finding.message,
                ", ".join(sorted(policies)),
                where,
                f.policy_id,
                skipped=finding.skipped,
            )
        )
    return problems
