"""`tenant audit`: the pipeline, in the linter's shape.

    load (the export: `load.py`) → link the uploaded policies (the linter's model) → check (the
    rules of `registry.py`) → report (the linter's `Report`, formatters and baseline)

Configuration is the linter's too, from `[tool.b2c-toolkit.audit]` (select, ignore, severity,
per-path-ignores, and the audit's own `emergency-access`), found from the export folder upwards
first, then from the current folder upwards. A rule whose resources were not exported is skipped,
and a note says why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from toolkit.lint.config import Config, ConfigError, load_config
from toolkit.lint.escape import printable
from toolkit.lint.model import PolicySet
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.report import Report, write_text
from toolkit.tenant.blast import Blast
from toolkit.tenant.load import Export, ExportError, day, load, parse_date, parse_horizon
from toolkit.tenant.registry import Rule, Skip, all_rules

#: the options of `[tool.b2c-toolkit.audit]`
AUDIT_KEYS = {"select", "ignore", "severity", "per-path-ignores", "emergency-access"}
#: a rule's requirement that is not an export resource: `--policies REPO_DIR` was given
REPOSITORY = "repository"
#: a rule's requirement that is not an export resource: the emergency-access accounts were named
#: (`--emergency-access` or `emergency-access` in the configuration)
EMERGENCY = "emergency-access"
NO_EMERGENCY = (
    "no --emergency-access (name the emergency-access accounts: user ids or user principal names, or a group id or"
    " name; or emergency-access in [tool.b2c-toolkit.audit])"
)


class Audit:
    """What the rules read: the export, the date, the horizon, the policies uploaded and in the repository."""

    def __init__(
        self,
        export: Export,
        at: dt.datetime,
        horizon: dt.timedelta,
        uploaded: PolicySet | None = None,
        repository: PolicySet | None = None,
        repository_path: str = "",
        sync_age: dt.timedelta = dt.timedelta(hours=24),
        emergency_access: tuple[str, ...] = (),
    ) -> None:
        self.export = export
        #: `--emergency-access`: user ids or user principal names, or group ids or names
        self.emergency_access = emergency_access
        self.sync_age = sync_age  #: `--sync-age`: directory sync older than this is reported
        self.at = at
        self.horizon = horizon
        self.uploaded = uploaded
        self.repository = repository
        self.repository_path = repository_path
        self.blast = Blast(uploaded)

    @property
    def until(self) -> dt.datetime:
        """The end of the horizon: an expiry before it is reported."""
        return self.at + self.horizon

    @property
    def on(self) -> str:
        """The audit date as the messages show it."""
        return day(self.at)


def uploaded_policies(export: Export) -> PolicySet | None:
    """The exported policies' XML, linked by the linter's model (None when not exported)."""
    if not export.has("policies"):
        return None
    folder = export.folder / "policies"
    if not folder.is_dir():
        export.unread["policies"] = "policies/ is missing although policies.json lists policies"
        return None
    from toolkit.lint.linter import load_set

    return load_set([folder], Config())


def skipped(rule: Rule, audit: Audit) -> str | None:
    """Why `rule` cannot run on this export, or None."""
    if REPOSITORY in rule.requires and audit.repository is None:
        return "no --policies REPO_DIR"
    if rule.area and audit.export.tenant_type not in ("", "AAD"):
        return f"not in this tenant: tenantType {audit.export.tenant_type}, not a Microsoft Entra ID (workforce) tenant"
    for need in rule.requires:
        options = need.split(" or ")
        if need not in (REPOSITORY, EMERGENCY) and not any(audit.export.has(o) for o in options):
            return f"{options[0]}: {audit.export.unread[options[0]]}"
    if EMERGENCY in rule.requires and not audit.emergency_access:
        return NO_EMERGENCY
    return None


def check(audit: Audit, rules: list[Rule], config: Config, notes: list[str]) -> list[Problem]:
    """Run `rules`; the problems, configured."""
    problems = []
    why_skipped: dict[str, list[str]] = {}
    for r in rules:
        why = skipped(r, audit)
        if why is not None:
            if not _quiet(why):
                why_skipped.setdefault(why, []).append(r.id)
            continue
        try:
            for f in r.check(audit):
                if not config.enabled(r.id, f.path):
                    continue
                severity = config.severity_of(r.id, f.severity or r.severity)
                problems.append(Problem(f.path, f.line, 1, r.id, severity, f.message, ", ".join(f.affects), f.identity, f.subject))
        except Skip as exc:
            why_skipped.setdefault(str(exc), []).append(r.id)
    notes += [f"{', '.join(ids)} skipped: {why}" for why, ids in why_skipped.items()]
    return problems


def _quiet(why: str) -> bool:
    """Skips not worth a note: drift without a repository (opt-in), a resource of the other tenant kind."""
    return why == "no --policies REPO_DIR" or "not in this tenant" in why


def audit(
    export_dir: Path,
    at: dt.datetime,
    horizon: dt.timedelta,
    config: Config | None = None,
    repository: str | None = None,
    lint_uploaded: bool = False,
    sync_age: dt.timedelta = dt.timedelta(hours=24),
    emergency_access: tuple[str, ...] = (),
) -> tuple[Report, Audit]:
    """Audit an export folder: the report, and what the rules read (for `--map`); ExportError
    when it cannot be read."""
    config = config or Config()
    export = load(export_dir)
    uploaded = uploaded_policies(export)
    repo_set = None
    if repository is not None:
        from toolkit.lint.linter import load_set

        repo_set = load_set([repository], Config(settings=config.settings))
    state = Audit(export, at, horizon, uploaded, repo_set, repository or "", sync_age, emergency_access)
    rules = [r for r in all_rules() if config.enabled(r.id, "")]
    notes: list[str] = []
    problems = check(state, rules, config, notes)
    catalog: list[object] = list(all_rules())
    if lint_uploaded and uploaded is not None:
        from toolkit.lint.linter import lint
        from toolkit.lint.registry import all_rules as lint_rules

        linted = lint([export_dir / "policies"], Config())
        problems += linted.problems
        notes += linted.notes
        catalog += lint_rules()
    files = export.records + (len(uploaded.files) if uploaded is not None else 0)
    report = Report(files, sorted(problems, key=Problem.order), notes, rules=catalog, tool="tenant audit", noun="record")
    report.parsed = uploaded
    return report, state


def parse_at(text: str | None) -> dt.datetime:
    """`--at`: a date (midnight UTC) or a date and time in any form Graph writes; default now."""
    if not text:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    when = parse_date(text)
    if when is None:
        raise ValueError("--at needs a date")
    return when


def audit_command(args: argparse.Namespace) -> int:
    """`b2c-toolkit tenant audit`: print or write the report; the exit code."""
    from toolkit.lint.baseline import BaselineError, suppress
    from toolkit.lint.baseline import load as load_baseline
    from toolkit.lint.baseline import write as write_baseline
    from toolkit.lint.formatters import FORMATS
    from toolkit.tenant.map import write_map

    try:
        at = parse_at(args.at)
        horizon = parse_horizon(args.horizon)
    except ValueError as exc:
        return _usage(f"--at {args.at!r}: {exc}" if "horizon" not in str(exc) else exc)
    try:
        sync_age = parse_horizon(args.sync_age)
    except ValueError as exc:
        return _usage(str(exc).replace("--horizon", "--sync-age"))
    if args.policies and not Path(args.policies).exists():
        return _usage(f"--policies {args.policies}: no such file or folder")
    known = {r.id for r in all_rules()}
    flags = {"select": args.select, "ignore": args.ignore}
    try:
        start = config_start(Path(args.export))
        config = load_config(
            args.config,
            start,
            flags=flags,
            settings=args.settings,
            environment=args.environment,
            section="audit",
            known=known,
            keys=AUDIT_KEYS,
        )
        emergency = emergency_accounts(args.emergency_access, args.config, start)
        report, state = audit(Path(args.export), at, horizon, config, args.policies, args.lint, sync_age, emergency)
        if args.baseline:
            report.problems = suppress(report.problems, load_baseline(args.baseline))
    except (ConfigError, ExportError, BaselineError) as exc:
        return _usage(exc)
    for note in report.notes:
        print(f"b2c-toolkit tenant audit: note: {printable(note)}", file=sys.stderr)
    if args.map:
        try:
            write_map(Path(args.map), state, report.problems)
        except (OSError, ValueError) as exc:
            return _usage(f"--map {args.map}: {exc}")
    if args.write_baseline:
        try:
            count = write_baseline(args.write_baseline, report.problems)
        except OSError as exc:
            return _usage(f"cannot write {args.write_baseline}: {exc.strerror or exc}")
        print(f"b2c-toolkit tenant audit: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
        return 0
    if args.format == "html":
        from toolkit.tenant.html import html_report

        output = html_report(report, state)
    else:
        output = FORMATS[args.format](report)
    if args.output:
        try:
            write_text(Path(args.output), output)
        except OSError as exc:
            return _usage(f"cannot write {args.output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(output)
    worst = report.worst()
    if args.fail_on == "never" or worst is None:
        return 0
    return 1 if worst.rank >= Severity(args.fail_on).rank else 0


def _audit_table(folder: Path) -> tuple[str, dict[str, Any]] | None:
    """The `[tool.b2c-toolkit.audit]` table of `folder`'s pyproject.toml, with the file's name."""
    from toolkit.lint.config import _MAY_HAVE_TABLE, _bytes, _read, _tool_table

    pyproject = folder / "pyproject.toml"
    if not (pyproject.is_file() and _MAY_HAVE_TABLE.search(text := _bytes(pyproject))):
        return None
    table = _tool_table(_read(pyproject, text), "audit")
    return None if table is None else (str(pyproject), table)


def config_start(export_dir: Path) -> Path | None:
    """Where the configuration is looked for: the export folder, or the first folder above it, whose
    pyproject.toml has a `[tool.b2c-toolkit.audit]` table (an export kept with its settings, like
    the rule examples); None (the current folder upwards) when there is none."""
    here = export_dir.resolve()
    return next((folder for folder in [here, *here.parents] if _audit_table(folder) is not None), None)


def emergency_accounts(flags: list[str] | None, config_file: str | None, start: Path | None) -> tuple[str, ...]:
    """The emergency-access accounts: `--emergency-access` (comma-separated, repeatable) when given,
    else `emergency-access` (a string or a list of strings) of the configuration file, else of the
    pyproject.toml found from `start` (the current folder when None) upwards. ConfigError for a
    value that is not strings."""
    from toolkit.lint.config import _read, _tool_table

    if flags:
        return tuple(dict.fromkeys(part.strip() for flag in flags for part in flag.split(",") if part.strip()))
    here = (start or Path.cwd()).resolve()
    nearest = next((found for found in map(_audit_table, [here, *here.parents]) if found is not None), None)
    tables = [nearest] if nearest is not None else []
    if config_file:
        data = _read(Path(config_file))
        table = _tool_table(data, "audit")
        tables.append((config_file, data if table is None else table))
    accounts: tuple[str, ...] = ()
    for where, table in tables:
        if EMERGENCY not in table:
            continue
        value = table[EMERGENCY]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{where}: emergency-access must be a user id, a user principal name or a group, or a list of them")
        accounts = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    return accounts


def _usage(error: object) -> int:
    print(f"b2c-toolkit tenant audit: {error}", file=sys.stderr)
    return 2
