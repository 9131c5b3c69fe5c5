"""The linter's pipeline, one stage per module, data flowing one way:

    discover (find and read) → parse → model (link and merge) → check (run the rules) → report

`lint` runs it whole; `load_set` stops after linking (upload order, prerequisites); `fix` edits
what the mechanical rules find.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.lint.baseline import suppress
from toolkit.lint.check import check, findings
from toolkit.lint.config import Config
from toolkit.lint.discover import Input, LoadError, base_files, read_inputs
from toolkit.lint.model import PolicySet, key
from toolkit.lint.parse import parse_all
from toolkit.lint.problem import Problem
from toolkit.lint.registry import Rule, all_rules
from toolkit.lint.report import Report
from toolkit.lint.schema import SCHEMA_NAME, find_schema, load_schema
from toolkit.lint.settings import Renderer, finder, found_settings

if TYPE_CHECKING:
    from toolkit.lint.cache import Cache


def lint(
    paths: Iterable[str | os.PathLike[str]],
    config: Config | None = None,
    baseline: set[tuple[str, str, str]] | None = None,
    jobs: int = 1,
    cache: Path | None = None,
) -> Report:
    """Lint every policy file under `paths` and return the problems, sorted.

    With `jobs` > 1 the checks are spread over that many processes after parsing. With a `cache`
    folder, a run over files all unchanged since an earlier run reuses its problems without
    parsing anything, and otherwise each unchanged policy set reuses its own (see
    `toolkit.lint.cache`). The report is the same either way.
    """
    config = config or Config()
    paths = list(paths)
    rules = [r for r in all_rules() if config.enabled(r.id, "")]
    notes: list[str] = []
    schema_file = _schema_file(paths, rules, config, notes)
    inputs = read_inputs(paths, config)
    bases = base_files(config)
    render = finder(config.settings, [str(p) for p in paths])
    found = found_settings(render, [path for path, _, _ in inputs]) if config.settings is None else []
    if found:
        notes.extend(v.note for v in found)
    store = _open_cache(cache, config, rules, schema_file) if cache is not None else None
    if store is not None and found:
        store.settings = {f"{v.source}:{k}": x for v in found for k, x in v.items()}  # settings found are keyed as given ones
    run_key = store.run_key(inputs) if store is not None else ""
    stored = store.get_run(run_key) if store is not None else None
    policy_set = None
    if stored is not None:
        files, problems = stored
    else:
        policy_set, errors = _link(inputs, config, bases, schema_file, jobs, render=render)
        files = sum(1 for f in policy_set.files if f.display not in bases) + sum(1 for e in errors if e.display not in bases)
        problems = check(policy_set, errors, rules, config, jobs, store)
        if store is not None:
            store.put_run(run_key, files, problems)
            store.prune()
    problems = _outside(bases, problems, notes)
    if baseline is not None:
        problems = suppress(problems, baseline)
    return Report(files, sorted(problems, key=Problem.order), notes, policy_set)


def load_set(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> PolicySet:
    """The policy files under `paths`, linked into chains (unreadable files left out)."""
    config = config or Config()
    paths = list(paths)
    return _link(read_inputs(paths, config), config, base_files(config), roots=[str(p) for p in paths])[0]


def fix(paths: Iterable[str | os.PathLike[str]], config: Config | None = None) -> dict[str, int]:
    """Apply the mechanical fixes (see `toolkit.lint.fix`); returns edits per file path."""
    from toolkit.lint import fix as fixes

    config = config or Config()
    # the source as written: edits go back into it, so no settings are rendered (nor found)
    policy_set = _link(read_inputs(paths, config), config, base_files(config), render=lambda path: None)[0]
    rules = [r for r in all_rules() if r.id in fixes.FIXERS and config.enabled(r.id, "")]
    raw = [
        (r, finding, policy)
        for r, finding, policy in findings(rules, policy_set)
        if (f := policy_set.owner(finding.element)).display not in policy_set.preferred
        and not f.suppressions.suppresses(r.id, finding.element.sourceline or 0)
    ]
    return {f.display: n for f, n in fixes.apply(raw, policy_set).items()}


def _open_cache(folder: Path, config: Config, rules: list[Rule], schema_file: Path | None) -> Cache:
    from toolkit.lint.cache import Cache  # hashing costs 6 ms of a 150 ms run: only when caching

    return Cache(folder, config, rules, schema_file)


def _schema_file(paths: list[str | os.PathLike[str]], rules: list[Rule], config: Config, notes: list[str]) -> Path | None:
    """The official schema XSD001 checks against, when XSD001 runs (a note when none is found)."""
    if not any(r.id == "XSD001" for r in rules):
        return None
    schema_file = Path(config.schema) if config.schema else find_schema(paths)
    if schema_file is None:
        notes.append(f"XSD001 skipped: no {SCHEMA_NAME} found in the linted folders or their parents (use --schema FILE)")
    return schema_file


def _link(
    inputs: list[Input],
    config: Config,
    bases: set[str],
    schema_file: Path | None = None,
    jobs: int = 1,
    roots: list[str] | None = None,
    render: Callable[[Path], Renderer | None] | None = None,
) -> tuple[PolicySet, list[LoadError]]:
    """Parse the files read and link them into chains (a base found in `bases` wins), rendered
    with the settings given or found beside them under `roots` (see `settings.finder`)."""
    render = render or finder(config.settings, roots or [])
    schema = load_schema(str(schema_file)) if schema_file is not None else None
    files, errors = parse_all(inputs, render, schema, jobs)
    external = {key(b) for b in config.external_bases}
    return PolicySet(files, external, bases, [e.display for e in errors]), errors


def _outside(bases: set[str], problems: list[Problem], notes: list[str]) -> list[Problem]:
    """The problems outside the `--base-path` files, which are linked but never reported on."""
    kept = [p for p in problems if p.path not in bases]
    if dropped := len(problems) - len(kept):
        one = dropped == 1
        notes.append(
            f"{dropped} finding{'' if one else 's'} in base-path files not reported (lint those files to see {'it' if one else 'them'})"
        )
    return kept
