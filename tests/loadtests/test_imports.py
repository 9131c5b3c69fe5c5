"""The load tests drive any app through its profile: they import neither the reference app (its
daemon is a process the profile names) nor the drill (the plan is the contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LOADTESTS = Path(__file__).resolve().parents[2] / "loadtests"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(LOADTESTS.glob("*.py")), ids=lambda p: p.name)
def test_the_load_tests_import_neither_the_reference_app_nor_the_drill(path):
    wrong = {m for m in imported(path) if m.split(".")[0] == "sample_app" or m.startswith("toolkit.drill")}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"


def test_the_scan_sees_imports_inside_functions(tmp_path):
    (tmp_path / "m.py").write_text("def f():\n    from sample_app.daemon import Daemon\n    import sample_app.config\n")
    assert imported(tmp_path / "m.py") == {"sample_app.daemon", "sample_app.config"}
