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


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "--bogus"],
        ["rules", "--bogus"],
        ["emulator", "--bogus"],
        ["emulator", "faults", "show", "--bogus"],
        ["drill", "--bogus"],
        ["drill", "compare", "a", "b", "--bogus"],
    ],
)
def test_a_wrong_flag_prints_the_usage_of_its_subcommand(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    command = " ".join(a for a in argv if not a.startswith("-") and a not in ("show", "a", "b"))
    assert err.startswith(f"usage: b2c-toolkit {command} ")
    assert err.splitlines()[-1] == f"b2c-toolkit {command}: error: unrecognized arguments: --bogus"


def test_a_wrong_flag_or_no_command_at_the_top_prints_the_top_usage(capsys):
    with pytest.raises(SystemExit):
        main(["--bogus"])
    assert capsys.readouterr().err.startswith("usage: b2c-toolkit [-h] [--version] COMMAND ...\n")
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: b2c-toolkit [-h] [--version] COMMAND ...\n")


@pytest.mark.parametrize(("command", "optional"), [("emulator", "[faults ...]"), ("drill", "[{compare} ...]")])
def test_an_optional_subcommand_looks_optional_in_the_usage(capsys, monkeypatch, command, optional):
    """`b2c-toolkit emulator` serves and `b2c-toolkit drill` runs a drill: `faults` and `compare` are not required."""
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    usage = out[: out.index("\n\n")]
    assert usage.rstrip().endswith(optional)
    assert "subcommand (optional" in out


def test_the_fix_help_names_the_rules_fix_edits(capsys, monkeypatch):
    """From one place: `toolkit.lint.fix.FIXERS` (docs/linter.md is checked against it too)."""
    from toolkit.lint.fix import FIXERS

    monkeypatch.setenv("COLUMNS", "300")
    with pytest.raises(SystemExit):
        main(["lint", "--help"])
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("--fix"))
    assert f"({', '.join(FIXERS)})" in line


def test_a_lint_run_does_not_import_the_fixes(tmp_path):
    """The `--fix` help reads the rules from `toolkit.lint.fix` only when the help is printed."""
    write(tmp_path / "clean", clean_set())
    code = "import sys\nfrom toolkit.cli import main\nmain(['lint', '--no-cache', 'clean'])\nprint('toolkit.lint.fix' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("False")


def test_one_policy_file_is_one_file(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"Base.xml": clean_set()["Base.xml"]})
    monkeypatch.chdir(tmp_path)
    main(["lint", "--no-cache", "--select", "DEP001", "Base.xml"])
    assert capsys.readouterr().out.splitlines()[-1] == "1 policy file linted: 0 errors, 0 warnings, 0 infos"


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
