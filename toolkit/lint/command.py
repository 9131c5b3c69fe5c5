"""`b2c-toolkit lint` and `b2c-toolkit rules`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from toolkit.lint.baseline import BaselineError
from toolkit.lint.baseline import load as load_baseline
from toolkit.lint.baseline import write as write_baseline
from toolkit.lint.config import STARTER_PACK, Config, ConfigError, default_cache_folder, load_config
from toolkit.lint.discover import discover
from toolkit.lint.escape import printable
from toolkit.lint.formatters import FORMATS
from toolkit.lint.linter import fix, lint, load_set
from toolkit.lint.parallel import default_jobs
from toolkit.lint.prerequisites import prerequisites
from toolkit.lint.problem import Severity
from toolkit.lint.registry import all_rules, get, inventory_ids
from toolkit.lint.report import write_text
from toolkit.lint.schema import SchemaError

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
    p.add_argument(
        "--starter-pack",
        choices=STARTER_PACK,
        help="findings on content unchanged from Microsoft's starter pack: once per rule and file at info (default), or report each",
    )
    p.add_argument("--config", metavar="FILE", help="TOML configuration ([tool.b2c-toolkit.lint] table or top-level keys)")
    p.add_argument("--schema", metavar="FILE", help="TrustFrameworkPolicy_0.3.0.0.xsd for XSD001 (default: found beside the policies)")
    p.add_argument("--settings", metavar="FILE", help="appsettings.json whose values render {Settings:X} placeholders before linting")
    p.add_argument("--environment", metavar="NAME", help="the appsettings.json environment to render (needed when it has several)")
    p.add_argument("--fix", action=_Fix, help="apply the mechanical fixes (%(rules)s) in place, then lint")
    p.add_argument(
        "-j", "--jobs", type=_jobs, default=0, metavar="N", help="processes that check in parallel (default: the CPUs, at most 4)"
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where unchanged policy sets keep their problems between runs (default: $B2C_TOOLKIT_CACHE_DIR or ~/.cache/b2c-toolkit/lint)",
    )
    p.add_argument("--no-cache", action="store_true", help="check every policy set, even unchanged ones")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when the paths hold no policy file (default: exit 2, as for a wrong path)",
    )
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


class _FixedRules:
    """The rules `--fix` edits, as `toolkit.lint.fix.FIXERS` lists them, read only when the help is
    printed (importing the fixes costs a small run 2 ms)."""

    def __str__(self) -> str:
        from toolkit.lint.fix import FIXERS

        return ", ".join(FIXERS)


class _Fix(argparse._StoreTrueAction):
    """`--fix`: a flag whose help names the rules it fixes (`%(rules)s`)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.rules = _FixedRules()


def _jobs(value: str) -> int:
    if not value.isdecimal() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more, not {value!r}")
    return int(value)


def run_lint(args: argparse.Namespace) -> int:
    """Lint, print or write the report, and return the exit code."""
    flags = {
        "select": args.select,
        "ignore": args.ignore,
        "external-bases": args.external_base,
        "base-paths": args.base_path,
        "schema": args.schema,
        "starter-pack": args.starter_pack,
    }
    try:
        config = load_config(args.config, flags=flags, settings=args.settings, environment=args.environment)
    except ConfigError as exc:
        return _usage(exc)
    missing = [p for p in [*args.paths, *config.base_paths] if not os.path.exists(p)]
    if missing:
        return _usage(f"no such file or folder: {missing[0]}")
    if args.print_upload_order:
        return print_upload_order(args.paths, config)
    if args.print_prerequisites:
        return print_prerequisites(args.paths, config)
    if args.print_inventory:
        return print_inventory(args.paths, config)
    if args.fix:
        if config.settings is not None:
            return _usage("--fix edits the source files; it cannot be combined with --settings")
        for path, count in sorted(fix(args.paths, config).items()):
            print(f"b2c-toolkit lint: fixed {printable(path)} ({count} edit{'s' if count > 1 else ''})", file=sys.stderr)
    try:
        baseline = load_baseline(args.baseline) if args.baseline else None
        cache = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_folder()
        report = lint(args.paths, config, baseline, args.jobs or default_jobs(), cache)
    except (SchemaError, BaselineError) as exc:
        return _usage(exc)
    if report.files == 0 and not args.allow_empty:
        return _usage(_nothing_to_lint(args.paths))
    for note in report.notes:
        print(f"b2c-toolkit lint: note: {note}", file=sys.stderr)
    if args.write_baseline:
        try:
            count = write_baseline(args.write_baseline, report.problems)
        except OSError as exc:
            return _cannot_write(args.write_baseline, exc)
        print(f"b2c-toolkit lint: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
        return 0
    output = FORMATS[args.format](report)
    if not args.output:
        sys.stdout.write(output)  # a reader that goes away (`| head`) is `toolkit.cli.run`'s to handle
    else:
        try:
            write_text(Path(args.output), output)
        except OSError as exc:
            return _cannot_write(args.output, exc)
    worst = report.worst()
    failed = args.fail_on != "never" and worst is not None and worst.rank >= Severity(args.fail_on).rank
    # `report` (and the parsed set it holds) is still referenced here: leaving now never frees it
    return leave(args, 1 if failed else 0)


def leave(args: argparse.Namespace, code: int) -> int:
    """`code`; or, when the process ends with the command (the console script), the end of the
    process at once, as mypy does, once the output is flushed. Tearing the interpreter down costs
    a small lint run about a tenth of its time, and freeing the parsed set a cold run over the
    shared corpus 40 ms, while nothing is left to clean up (files are closed, forked checks waited
    for). A reader that went away (`| head`) raises BrokenPipeError here, for `toolkit.cli.run`."""
    if not args.ends_process:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _nothing_to_lint(paths: list[str]) -> str:
    """Why a run that read no policy file is an error: a CI job pointed at the wrong folder must
    not pass green."""
    where = ", ".join(printable(p) for p in paths)
    xml = sum(1 for _ in discover(paths))
    found = f"{xml} .xml file{'' if xml == 1 else 's'}, none a B2C custom policy" if xml else "no .xml file"
    return f"no policy files to lint in {where} ({found}); check the paths, or pass --allow-empty to exit 0"


def _cannot_write(target: str, exc: OSError) -> int:
    """Exit 2 for a report or baseline that cannot be written: exit 1 would read as "findings" in CI."""
    where = f" ({exc.filename})" if exc.filename and exc.filename != target else ""
    return _usage(f"cannot write {target}: {exc.strerror or exc}{where}")


def _usage(error: object) -> int:
    """Say what cannot be done, and return 2 (as argparse does for usage errors)."""
    print(f"b2c-toolkit lint: {error}", file=sys.stderr)
    return 2


def print_upload_order(paths: list[str], config: Config) -> int:
    """Each policy set's files, parents first, a blank line between sets; 1 when a chain loops."""
    policy_set = load_set(paths, config)
    order, cycles = policy_set.upload_order()
    # the base-path files are deployed separately: not part of this upload
    groups = [[f for f in group if f.display not in policy_set.preferred] for group in order]
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
    print(json.dumps(prerequisites(load_set(paths, config)), indent=2))
    return 0


def print_inventory(paths: list[str], config: Config) -> int:
    """Per relying party, what its sign-in costs and calls: the inventory rules' findings, which
    are facts to know, not problems (they stay out of the default report)."""
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
    return leave(args, 0)
