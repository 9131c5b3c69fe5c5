"""`b2c-toolkit` itself: the version, and the extra a command needs."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from toolkit import __version__, cli


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
