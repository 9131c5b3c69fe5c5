"""The shared folder beside the checkout (the real-world policy corpus and the SARIF schema) is there
in this project's CI only: a fresh clone has none. Every test reaches it through the one `shared`
fixture of tests/conftest.py, which honours its environment variable and skips without it. This
module names neither the folder nor the variable: it takes both from conftest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import SHARED_FOLDER as FOLDER
from tests.conftest import SHARED_VARIABLE, pointed_at

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
#: the one module that may name the shared folder: the fixture's
ALLOWED = {TESTS / "conftest.py"}


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
    (or has a path part) naming the folder, the fixture's environment variable, or conftest's SHARED
    constant."""
    tree = ast.parse(source)
    allowed = _allowed_strings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed:
            parts = node.value.replace("\\", "/").split("/")
            if FOLDER in parts or SHARED_VARIABLE in node.value:
                found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"line {node.lineno}: imports SHARED" for a in node.names if a.name == "SHARED"]
        elif isinstance(node, ast.Attribute) and node.attr == "SHARED":
            found.append(f"line {node.lineno}: .SHARED")
        elif isinstance(node, ast.Name) and node.id == "SHARED":
            found.append(f"line {node.lineno}: SHARED")
    return found


def test_the_scan_finds_each_way_of_reaching_the_folder() -> None:
    assert shared_reads(f'x = ROOT.parent / "{FOLDER}" / "corpus"')
    assert shared_reads(f'x = Path("../{FOLDER}/corpus")')
    assert shared_reads(f'x = os.environ["{SHARED_VARIABLE}"]')
    assert shared_reads("from tests.conftest import SHARED")
    assert shared_reads("import tests.conftest as c\nx = c.SHARED")
    assert not shared_reads(f'"""Reads the corpus."""\ndef test({FOLDER}):\n    """From ../{FOLDER}."""\n    x = {FOLDER} / "corpus"')
    assert not shared_reads(f'x = request.getfixturevalue("{FOLDER}") / "corpus"')


def test_no_test_module_reads_the_shared_folder_but_through_the_fixture() -> None:
    offenders: list[str] = []
    for path in sorted(TESTS.rglob("*.py")):
        if path in ALLOWED:
            continue
        offenders += [f"{path.relative_to(ROOT)} {read}" for read in shared_reads(path.read_text(encoding="utf-8"))]
    assert offenders == [], "use the `shared` fixture of tests/conftest.py instead"


def test_without_the_folder_the_corpus_tests_skip_with_one_reason(tmp_path: Path) -> None:
    """A fresh clone: the fixture looks in a folder that is not there."""
    missing = tmp_path / "not-there"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/lint/test_cache.py", "tests/lint/test_schema.py"],
        cwd=ROOT,
        env=pointed_at(missing),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reasons = {line.split(": ", 1)[-1] for line in result.stdout.splitlines() if line.startswith("SKIPPED")}
    assert reasons == {f"shared folder not found at {missing} (set {SHARED_VARIABLE})"}, result.stdout
