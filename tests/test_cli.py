"""`b2c-toolkit` itself: the version, the extra a command needs, help, and how the console script exits."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.lint.policies import clean_set, write
from toolkit import __version__, cli
from toolkit.cli import BROKEN_PIPE, main
from toolkit.lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_the_installed_one() -> None:
    result = subprocess.run([sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"b2c-toolkit {metadata.version('b2c-resilience-toolkit')}"
    assert metadata.version("b2c-resilience-toolkit") == __version__


def test_lint_does_not_read_package_metadata(tmp_path) -> None:
    """importlib.metadata costs tens of milliseconds: only non-lint commands and --version read it."""
    code = "import sys\nfrom toolkit.cli import main\nmain(['rules'])\nprint('importlib.metadata' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("False")


def test_missing_requirements_follow_extras_that_name_other_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    requires = [
        "lxml>=5.2",
        'flask>=3.0; extra == "emulator"',
        'no-such-distribution-x>=1; extra == "app"',
        'b2c-resilience-toolkit[emulator,app]; extra == "drill"',
        'no-such-distribution-y<3,>=2; extra == "drill"',
        'no-such-distribution-z; extra == "dev"',
    ]
    monkeypatch.setattr(metadata, "requires", lambda name: requires)
    assert cli.missing_requirements("emulator") == []
    assert cli.missing_requirements("drill") == ["no-such-distribution-x", "no-such-distribution-y"]


def test_a_complete_install_misses_nothing() -> None:
    for extra in ("emulator", "app", "drill", "all", "dev"):
        assert cli.missing_requirements(extra) == []


def test_help_is_formatted_to_the_terminal_width(capsys, monkeypatch):
    def help_lines(columns: int) -> list[str]:
        monkeypatch.setenv("COLUMNS", str(columns))
        with pytest.raises(SystemExit):
            main(["lint", "--help"])
        return capsys.readouterr().out.splitlines()

    narrow, wide = help_lines(60), help_lines(200)
    assert narrow[0].startswith("usage: b2c-toolkit lint") and len(narrow) > len(wide)
    assert max(len(line) for line in narrow if "{" not in line) <= 60  # choices cannot wrap


def test_the_console_script_exits_at_once_with_its_output_complete(tmp_path):
    """`run` leaves a lint without tearing the interpreter down: the report must still be whole
    and the exit code right, through a pipe."""
    write(tmp_path / "clean", clean_set())
    fragile = ROOT / "policies" / "antipatterns" / "fragile"

    def b2c_toolkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, cwd=tmp_path)

    clean = b2c_toolkit("lint", "--no-cache", "--format", "json", "--fail-on", "error", "clean")
    assert clean.returncode == 0 and json.loads(clean.stdout)["summary"]["files"] == 3
    failing = b2c_toolkit("lint", "--no-cache", str(fragile))
    assert failing.returncode == 1 and failing.stdout.splitlines()[-1].startswith("2 policy files linted: 6 errors")
    rules = b2c_toolkit("rules")
    assert rules.returncode == 0 and len(rules.stdout.splitlines()) == len(all_rules())


@pytest.mark.parametrize("command", [["rules"], ["lint", "--no-cache", "policies"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(command):
    """`b2c-toolkit rules | head -1`: the pipe closes before the output is written; the command
    ends with 141, as a shell reports SIGPIPE, not with a BrokenPipeError traceback."""
    with subprocess.Popen([sys.executable, "-m", "toolkit", *command], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # long before the command has started, let alone written
        assert process.wait(timeout=60) == BROKEN_PIPE
        assert b"Traceback" not in process.stderr.read()
