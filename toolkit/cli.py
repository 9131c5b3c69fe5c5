"""`b2c-toolkit`: one command, thin subcommands. Each feature's `command` module registers its own
parsers (`add_parsers`) and is imported only when its subcommand runs; `main` parses the command
line and calls the subcommand's `run` with the parsed arguments."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

DISTRIBUTION = "b2c-resilience-toolkit"

#: each subcommand and the module that registers it (imported only when needed: `lint` starts fast)
COMMANDS = {
    "lint": "toolkit.lint.command",
    "rules": "toolkit.lint.command",
    "emulator": "toolkit.emulator.command",
    "drill": "toolkit.drill.command",
    "tenant": "toolkit.tenant.command",
}

#: the extra a subcommand needs beyond the linter's lxml (`pip install b2c-resilience-toolkit[EXTRA]`)
#: (`tenant export` names its own, [tenant]: `tenant audit` needs only the linter's lxml)
EXTRAS = {"emulator": "emulator", "drill": "drill"}


#: the exit code of a command whose reader went away (`| head`), as a shell reports SIGPIPE
BROKEN_PIPE = 141


def run() -> None:
    """The console script: `main`, then exit with its code. When the reader of the output goes
    away (`b2c-toolkit rules | head`), the command ends quietly with 141 instead of a
    BrokenPipeError traceback."""
    try:
        code = main(ends_process=True)
        sys.stdout.flush()
    except KeyboardInterrupt:  # Ctrl-C: what was started has been stopped on the way out
        print("b2c-toolkit: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # Python flushes stdout again at exit, which would fail again: point it at /dev/null
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(BROKEN_PIPE)
    sys.exit(code)


def main(argv: Sequence[str] | None = None, *, ends_process: bool = False) -> int:
    """Run a subcommand; returns the exit code (2 for usage errors, as argparse does).
    `ends_process`: the process ends when the command returns (the console script), so the
    command may end it itself (`args.ends_process`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    args.ends_process = ends_process
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    extra = EXTRAS.get(args.command)
    if extra and (missing := missing_requirements(extra)):
        print(
            f"b2c-toolkit {args.command} needs the [{extra}] extra (missing: {', '.join(missing)}): pip install '{DISTRIBUTION}[{extra}]'",
            file=sys.stderr,
        )
        return 2
    code: int = args.run(args)
    return code


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser: with a known `command`, only the module that registers it is imported."""
    # a command is needed (without one, the help is printed): the usage line says so
    usage = "%(prog)s [-h] [--version] COMMAND ..."
    parser = _Parser(prog="b2c-toolkit", usage=usage, description="Azure AD B2C / CIAM resilience toolkit.")
    parser.add_argument("--version", action=_Version, help="show the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog=parser.prog)
    modules = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for name in dict.fromkeys(modules):
        importlib.import_module(name).add_parsers(sub)
    return parser


def missing_requirements(extra: str) -> list[str]:
    """The distributions of `extra` (and of the extras it names) that are not installed.

    Read from the installed package's metadata, so the list cannot drift from pyproject.toml; a
    source tree that is not installed has no metadata and is taken as complete.
    """
    from importlib import metadata  # 40 ms to import: only when needed, never by lint

    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    missing: list[str] = []
    wanted, seen = [extra], set()
    while wanted:
        current = wanted.pop()
        if current in seen:
            continue
        seen.add(current)
        for requirement in requires:
            spec, _, marker = requirement.partition(";")
            if not re.search(rf"extra\s*==\s*['\"]{re.escape(current)}['\"]", marker):
                continue
            m = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", spec)
            if m is None:
                continue
            name, extras = m.group(1), m.group(2) or ""
            if name.lower().replace("_", "-") == DISTRIBUTION:
                wanted += [e.strip() for e in extras.split(",") if e.strip()]
                continue
            try:
                metadata.distribution(name)
            except metadata.PackageNotFoundError:
                missing.append(name)
    return sorted(set(missing))


def installed_version() -> str:
    """The version pip installed; from a source tree that is not installed, the package's own."""
    from importlib import metadata  # 40 ms to import: only when needed, never by lint

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        from toolkit import __version__

        return __version__


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, but a subcommand that may be left out is shown so in the usage line
    (`b2c-toolkit emulator [...] [faults ...]`: the emulator serves without one)."""

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        text = super()._format_args(action, default_metavar)
        if isinstance(action, argparse._SubParsersAction) and not action.required:
            return f"[{text}]"
        return text


def _formatter(prog: str) -> argparse.HelpFormatter:
    """The help formatter, as wide as the terminal. argparse finds the width with `shutil`, which
    imports bz2 and lzma: 1.4% of the instructions of a small lint run, help or not."""
    try:
        width = int(os.environ.get("COLUMNS") or os.get_terminal_size().columns)
    except (ValueError, OSError):
        width = 80
    return _HelpFormatter(prog, width=width - 2)


class _Parser(argparse.ArgumentParser):
    """A parser whose subcommands (made with its class) share its help formatter, and which
    rejects what it does not know itself: argparse otherwise hands a subcommand's unknown
    arguments up to the top-level parser, whose usage says nothing about that subcommand."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _formatter)
        super().__init__(**kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


class _Version(argparse.Action):
    """`--version`, read from the package metadata only when asked (importlib.metadata costs 40 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()
