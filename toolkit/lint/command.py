"""`b2c-toolkit lint` and `b2c-toolkit rules`."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from toolkit.lint.config import Config, ConfigError, from_table, load_config
from toolkit.lint.problem import Severity

FAIL_ON = ("error", "warning", "info", "never")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the `lint` and `rules` subcommands."""
    p = sub.add_parser(
        "lint",
        help="lint B2C custom policies for resilience anti-patterns",
        description="Lint Azure AD B2C custom policy files on their merged inheritance chains.",
    )
    p.add_argument("paths", nargs="*", default=["."], help="files or folders to lint, recursively (default: .)")
    p.add_argument(
        "-f", "--format", choices=("text", "json", "sarif", "github", "junit"), default="text", help="output format (default: text)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument(
        "--fail-on", choices=FAIL_ON, default="warning", help="exit 1 when a problem at or above this severity is found (default: warning)"
    )
    p.add_argument("--select", metavar="RULES", help="comma-separated rule ids or prefixes to run (replaces the configured list)")
    p.add_argument("--ignore", metavar="RULES", help="comma-separated rule ids or prefixes to skip (added to the configured list)")
    p.add_argument(
        "--external-base", action="append", default=[], metavar="POLICYID", help="a base policy deployed separately (repeatable)"
    )
    p.add_argument(
        "--base-path",
        action="append",
        default=[],
        metavar="PATH",
        help="policies deployed separately (e.g. a pinned starter pack): merged into chains, not reported on (repeatable)",
    )
    p.add_argument("--config", metavar="FILE", help="TOML configuration ([tool.b2c-toolkit.lint] table or top-level keys)")
    p.add_argument("--schema", metavar="FILE", help="TrustFrameworkPolicy_0.3.0.0.xsd for XSD001 (default: found beside the policies)")
    p.add_argument("--settings", metavar="FILE", help="appsettings.json whose values render {Settings:X} placeholders before linting")
    p.add_argument("--environment", metavar="NAME", help="the appsettings.json environment to render (needed when it has several)")
    p.add_argument(
        "--fix", action="store_true", help="apply mechanical fixes (REST001, REST002, SSO001, DEP001, DEP002) in place, then lint"
    )
    p.add_argument(
        "-j", "--jobs", type=_jobs, default=0, metavar="N", help="processes that check in parallel (default: the CPUs, at most 4)"
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where unchanged policy sets keep their problems between runs (default: $B2C_TOOLKIT_CACHE_DIR or ~/.cache/b2c-toolkit/lint)",
    )
    p.add_argument("--no-cache", action="store_true", help="check every policy set, even unchanged ones")
    p.add_argument("--baseline", metavar="FILE", help="report findings recorded in FILE as suppressed: they do not fail the run")
    p.add_argument("--write-baseline", metavar="FILE", help="record every current finding in FILE (then adopt it with --baseline)")
    p.add_argument(
        "--print-upload-order",
        action="store_true",
        help="print each set's files parents first (for deploy pipelines) and exit; 1 on cycles",
    )
    p.add_argument(
        "--print-prerequisites",
        action="store_true",
        help="print as JSON what the tenant needs before upload (policy keys, apps, IdP client ids, REST endpoints) and exit",
    )
    p.add_argument(
        "--print-inventory",
        action="store_true",
        help="print, per relying party, the request cost of a sign-in (LIM001) and the REST APIs it calls (REST010), and exit",
    )
    p.set_defaults(run=run_lint)

    r = sub.add_parser("rules", help="list the lint rules, or print one rule's documentation")
    r.add_argument("rule", nargs="?", help="a rule id, e.g. REST001")
    r.set_defaults(run=run_rules)


def _jobs(value: str) -> int:
    if not value.isdecimal() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more, not {value!r}")
    return int(value)


#: the last report, kept alive (see run_lint)
_last_report: object = None


def run_lint(args: argparse.Namespace) -> int:
    """Lint, print or write the report, and return the exit code."""
    from toolkit.lint.baseline import BaselineError
    from toolkit.lint.baseline import load as load_baseline
    from toolkit.lint.baseline import write as write_baseline
    from toolkit.lint.formatters import FORMATS
    from toolkit.lint.linter import fix, lint
    from toolkit.lint.loader import printable, write_text
    from toolkit.lint.parallel import default_jobs
    from toolkit.lint.schema import SchemaError
    from toolkit.lint.settings import SettingsError, load_settings

    try:
        config = load_config(args.config)
        overrides: dict[str, object] = {}
        if args.select:
            overrides["select"] = args.select
        if args.ignore:
            overrides["ignore"] = config.ignore + [r.strip() for r in args.ignore.split(",") if r.strip()]
        if args.external_base:
            overrides["external-bases"] = config.external_bases + args.external_base
        if args.base_path:
            overrides["base-paths"] = config.base_paths + args.base_path
        if args.schema:
            overrides["schema"] = args.schema
        if overrides:
            config = from_table(overrides, "command line", config)
        if args.settings:
            config.settings = load_settings(args.settings, args.environment)
        elif args.environment:
            raise ConfigError("--environment needs --settings")
    except (ConfigError, SettingsError) as exc:
        print(f"b2c-toolkit lint: {exc}", file=sys.stderr)
        return 2
    missing = [p for p in [*args.paths, *config.base_paths] if not os.path.exists(p)]
    if missing:
        print(f"b2c-toolkit lint: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    if args.print_upload_order:
        return print_upload_order(args.paths, config)
    if args.print_prerequisites:
        return print_prerequisites(args.paths, config)
    if args.print_inventory:
        return print_inventory(args.paths, config)
    if args.fix:
        if config.settings is not None:
            print("b2c-toolkit lint: --fix edits the source files; it cannot be combined with --settings", file=sys.stderr)
            return 2
        for path, count in sorted(fix(args.paths, config).items()):
            print(f"b2c-toolkit lint: fixed {printable(path)} ({count} edit{'s' if count > 1 else ''})", file=sys.stderr)
    try:
        baseline = load_baseline(args.baseline) if args.baseline else None
        cache = None
        if not args.no_cache:
            from toolkit.lint.cache import default_folder  # hashing costs start-up: only when caching

            cache = Path(args.cache_dir) if args.cache_dir else default_folder()
        # A run makes no garbage cycles worth collecting: the collector would only walk the parsed
        # set again and again (a tenth of the run) and make forked children copy its memory.
        collecting = gc.isenabled()
        gc.disable()
        try:
            report = lint(args.paths, config, baseline, args.jobs or default_jobs(), cache)
        finally:
            if collecting:
                gc.enable()
    except (SchemaError, BaselineError) as exc:
        print(f"b2c-toolkit lint: {exc}", file=sys.stderr)
        return 2
    global _last_report
    _last_report = report  # freed at exit, which `toolkit.cli.run` makes instant: freeing now costs 5%
    for note in report.notes:
        print(f"b2c-toolkit lint: note: {note}", file=sys.stderr)
    output = "" if args.write_baseline else FORMATS[args.format](report)
    try:
        if args.write_baseline:
            count = write_baseline(args.write_baseline, report.problems)
            print(f"b2c-toolkit lint: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
            return 0
        if args.output:
            write_text(Path(args.output), output)
    except OSError as exc:  # exit 2, not a traceback: exit 1 would read as "findings" in CI
        target = args.write_baseline or args.output
        where = f" ({exc.filename})" if exc.filename and exc.filename != target else ""
        print(f"b2c-toolkit lint: cannot write {target}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    if not args.output:
        sys.stdout.write(output)  # a reader that goes away (`| head`) is `toolkit.cli.run`'s to handle
    worst = report.worst()
    if args.fail_on == "never" or worst is None:
        return 0
    return 1 if worst.rank >= Severity(args.fail_on).rank else 0


def print_upload_order(paths: list[str], config: Config) -> int:
    """Each policy set's files, parents first, a blank line between sets; 1 when a chain loops."""
    from toolkit.lint.linter import base_files, load_set
    from toolkit.lint.loader import printable

    policy_set = load_set(paths, config)
    order, cycles = policy_set.upload_order()
    bases = base_files(config)  # deployed separately: not part of this upload
    groups = [[f for f in group if f.display not in bases] for group in order]
    for i, group in enumerate(g for g in groups if g):
        if i:
            print()
        for f in group:
            print(printable(f.display))
    for message in cycles:
        print(f"b2c-toolkit lint: {message}", file=sys.stderr)
    return 1 if cycles else 0


def print_prerequisites(paths: list[str], config: Config) -> int:
    """What the target tenant needs before upload, as JSON (see `toolkit.lint.prerequisites`)."""
    from toolkit.lint.linter import load_set
    from toolkit.lint.prerequisites import prerequisites

    print(json.dumps(prerequisites(load_set(paths, config)), indent=2))
    return 0


def print_inventory(paths: list[str], config: Config) -> int:
    """Per relying party, what its sign-in costs and calls: the inventory rules' findings, which
    are facts to know, not problems (they stay out of the default report)."""
    from toolkit.lint.linter import lint
    from toolkit.lint.loader import printable
    from toolkit.lint.registry import inventory_ids

    config.select = sorted(inventory_ids())
    config.ignore = []
    by_policy: dict[str, list[str]] = {}
    for p in lint(paths, config).problems:
        for policy in p.policy.split(", "):
            by_policy.setdefault(policy, []).append(f"{p.rule} {p.message}")
    for policy in sorted(by_policy):
        print(printable(policy))
        for line in sorted(by_policy[policy]):
            print(f"  {printable(line)}")
    return 0


def run_rules(args: argparse.Namespace) -> int:
    """List rules, or print one rule's documentation."""
    from toolkit.lint.registry import all_rules, get

    if args.rule:
        try:
            r = get(args.rule)
        except ValueError as exc:
            print(f"b2c-toolkit rules: {exc}", file=sys.stderr)
            return 2
        print(f"{r.id} {r.title} ({r.severity.value}, scope: {r.scope.value})\n")
        print(r.doc)
        print(f"\nMore: {r.help_uri}")
        return 0
    for r in all_rules():
        print(f"{r.id:<8} {r.severity.value:<8} {r.title}")
    return 0
