"""What a reader copies works as written: the action, the template and the hook name no
placeholder; each page that shows the repository's URL says once that `OWNER` is the one thing
to replace; no recipe names a release that does not exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: used as written by the action's, the template's and the hook's users: no placeholder at all
AS_WRITTEN = [ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml", ROOT / "pyproject.toml", *(ROOT / "azure-pipelines").glob("*.yml")]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_what_is_used_as_written_names_no_placeholder() -> None:
    assert [p.name for p in AS_WRITTEN if "OWNER" in p.read_text(encoding="utf-8")] == []


@pytest.mark.parametrize("page", [p for p in PAGES if "OWNER" in p.read_text(encoding="utf-8")], ids=lambda p: p.name)
def test_a_page_with_the_placeholder_says_once_what_to_replace(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    explained = [m.start() for m in re.finditer(r"the one thing to replace", prose)]
    assert len(explained) == 1, page.name
    assert "`OWNER`" in prose[max(0, explained[0] - 300) : explained[0]], page.name
    # everywhere else it stands for the same thing: the account in a GitHub address or `uses:`
    for line in text.splitlines():
        for m in re.finditer(r"OWNER", line):
            assert line[m.end() : m.end() + 1] == "/" or "`OWNER`" in line, (page.name, line)


def test_no_recipe_names_a_release_that_does_not_exist() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tags = set(subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    named = {
        tag
        for page in PAGES
        for tag in re.findall(r"(?:b2c-resilience-toolkit@|rev: |refs/tags/)(v\d[\w.]*)", page.read_text(encoding="utf-8"))
    }
    assert named <= tags, f"recipes name releases that are not tagged: {sorted(named - tags)}"
