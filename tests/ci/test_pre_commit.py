"""The pre-commit hook installs the repository as a plain package: the linter alone, no extras."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_hook_installs_the_linter_alone() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["language"] == "python"
    assert hook["entry"] == "b2c-toolkit lint"
    assert "additional_dependencies" not in hook
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["lxml"]


def test_the_local_hook_in_the_docs_runs_what_the_published_hook_runs() -> None:
    """docs/ci.md's `repo: local` recipe (no URL to replace) lints as the hook does."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    page = (ROOT / "docs" / "ci.md").read_text()
    recipes = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(repos:.*?)```", page, re.DOTALL)]
    (local,) = [r["repos"][0] for r in recipes if r["repos"][0]["repo"] == "local"]
    (docs_hook,) = local["hooks"]
    assert docs_hook["language"] == "system"
    for key in ("id", "entry", "types", "pass_filenames", "args"):
        assert docs_hook[key] == hook[key], key
