"""The shared folder (`../shared`: the real-world policy corpus and the SARIF schema) sits beside the
checkout in this project's CI only: a fresh clone has none. Every test reaches it through the one
`shared` fixture of tests/conftest.py, which honours B2C_TOOLKIT_SHARED and skips without it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
#: the modules that may name the shared folder: the fixture's, and this one (its examples, and a
#: run pointed at a folder that is not there)
ALLOWED = {TESTS / "conftest.py", Path(__file__).resolve()}


def _allowed_strings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that may say `shared`: docstrings (prose may name the folder)
    and the fixture's name asked for (`request.getfixturevalue("shared")`)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "getfixturevalue":
            found.update(id(arg) for arg in node.args)
        elif isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def shared_reads(source: str) -> list[str]:
    """What in a test module's code reaches the shared folder without the fixture: a string that is
    (or has a path part) `shared`, the B2C_TOOLKIT_SHARED variable, or conftest's SHARED constant."""
    tree = ast.parse(source)
    allowed = _allowed_strings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed:
            parts = node.value.replace("\\", "/").split("/")
            if "shared" in parts or "B2C_TOOLKIT_SHARED" in node.value:
                found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"line {node.lineno}: imports SHARED" for a in node.names if a.name == "SHARED"]
        elif isinstance(node, ast.Attribute) and node.attr == "SHARED":
            found.append(f"line {node.lineno}: .SHARED")
        elif isinstance(node, ast.Name) and node.id == "SHARED":
            found.append(f"line {node.lineno}: SHARED")
    return found


def test_the_scan_finds_each_way_of_reaching_the_folder() -> None:
    assert shared_reads('x = ROOT.parent / "shared" / "corpus"')
    assert shared_reads('x = Path("../shared/corpus")')
    assert shared_reads('x = os.environ["B2C_TOOLKIT_SHARED"]')
    assert shared_reads("from tests.conftest import SHARED")
    assert shared_reads("import tests.conftest as c\nx = c.SHARED")
    assert not shared_reads('"""Reads the shared corpus."""\ndef test(shared):\n    """From ../shared."""\n    x = shared / "corpus"')
    assert not shared_reads('x = request.getfixturevalue("shared") / "corpus"')


def test_no_test_module_reads_the_shared_folder_but_through_the_fixture() -> None:
    offenders: list[str] = []
    for path in sorted(TESTS.rglob("*.py")):
        if path in ALLOWED:
            continue
        offenders += [f"{path.relative_to(ROOT)} {read}" for read in shared_reads(path.read_text(encoding="utf-8"))]
    assert offenders == [], "use the `shared` fixture of tests/conftest.py instead"


def test_without_the_folder_the_corpus_tests_skip_with_one_reason(tmp_path: Path) -> None:
    """A fresh clone: B2C_TOOLKIT_SHARED names a folder that is not there."""
    missing = tmp_path / "no-shared"
    env = {**os.environ, "B2C_TOOLKIT_SHARED": str(missing)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/lint/test_cache.py", "tests/lint/test_schema.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reasons = {line.split(": ", 1)[-1] for line in result.stdout.splitlines() if line.startswith("SKIPPED")}
    assert reasons == {f"shared folder not found at {missing} (set B2C_TOOLKIT_SHARED)"}, result.stdout
