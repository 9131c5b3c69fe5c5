"""`b2c-toolkit`: one command, thin subcommands. Each feature registers its own parsers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from toolkit import __version__


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    from toolkit.drill import command as drill_command
    from toolkit.emulator import command as emulator_command
    from toolkit.lint import command as lint_command

    parser = argparse.ArgumentParser(prog="b2c-toolkit", description="Azure AD B2C / CIAM resilience toolkit.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    lint_command.add_parsers(sub)
    emulator_command.add_parsers(sub)
    drill_command.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; returns the exit code (2 for usage errors, as argparse does)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    code: int = args.run(args)
    return code
