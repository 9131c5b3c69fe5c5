"""The README's two commands: `scripts/demo.sh` installs what the drill needs and nothing else (no
dev tools, no apt-get, no root), `scripts/test.sh` everything the tests use; each install step
says what it installs. Run with B2C_SETUP_PLAN=1 (what would be done, nothing done) in a copy of
the checkout with no .venv/, on a PATH without redis-server, chromium, podman and dot."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A fresh clone, as far as the set-up script can tell, and a PATH with only what it runs."""
    (tmp_path / "repo" / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "setup.sh", tmp_path / "repo" / "scripts" / "setup.sh")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "repo" / "pyproject.toml")
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("bash", "dirname", "id", "cut", "du", "wc"):
        found = shutil.which(name)
        assert found is not None, name
        (tools / name).symlink_to(found)
    (tools / "python3").symlink_to(sys.executable)
    return tmp_path


def setup(checkout: Path, what: str, **env: str) -> str:
    result = subprocess.run(
        ["bash", "-c", f"source scripts/setup.sh {what}; echo the calling script went on"],
        cwd=checkout / "repo",
        env={"PATH": str(checkout / "bin"), "HOME": str(checkout), "B2C_SETUP_PLAN": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # a plan installs nothing and ends the calling script
    assert not (checkout / "repo" / ".venv").exists()
    return result.stderr


def test_the_drill_installs_its_extra_alone_without_apt(checkout: Path) -> None:
    said = setup(checkout, "drill").splitlines()
    assert said[0].startswith("setup: creating .venv/ with Python 3.")
    assert said[1].startswith("setup: installing the project into .venv/ with pip install -e '.[drill]' (about ")
    assert len(said) == 2  # nothing else: no apt-get, no redis-server, no chromium


def test_the_tests_install_the_dev_tools_and_the_programs_they_use(checkout: Path) -> None:
    said = setup(checkout, "dev")
    assert re.search(
        r"^setup: installing redis-server chromium chromium-driver podman runc debootstrap graphviz with (sudo )?apt-get \(.*MB",
        said,
        re.MULTILINE,
    )
    assert "pip install -e '.[dev]' (about " in said


def test_without_apt_the_tests_say_what_they_will_skip(checkout: Path) -> None:
    said = setup(checkout, "dev", B2C_SKIP_APT="1")
    assert "apt-get" not in said
    assert "not installing redis-server chromium chromium-driver podman runc debootstrap graphviz (B2C_SKIP_APT=1)" in said


def test_the_scripts_ask_for_what_they_need() -> None:
    """The main job needs the drill; the tests and the screenshots (browser tests) need dev."""
    sourced = {
        name: re.findall(r'^source "\$\(dirname "\$0"\)/setup\.sh" (\w+)$', (ROOT / "scripts" / name).read_text(), re.MULTILINE)
        for name in ("demo.sh", "test.sh", "screenshots.sh")
    }
    assert sourced == {"demo.sh": ["drill"], "test.sh": ["dev"], "screenshots.sh": ["dev"]}


def test_every_extra_it_installs_exists() -> None:
    """The extras setup.sh names are the project's (a renamed extra would fail only on a fresh clone)."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    named = set(re.findall(r"^\s+(\w+)\) extra=(\w+);", (ROOT / "scripts" / "setup.sh").read_text(), re.MULTILINE))
    assert named == {("drill", "drill"), ("dev", "dev")} and {"drill", "dev"} <= set(extras)
