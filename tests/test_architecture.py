"""What never happens across the project's boundaries (docs/architecture.md, "Boundaries"), read
from the source with `ast`: each rule fails naming the file and line that breaks it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the project's code the rules hold for (its tests may look inside what they test)
SOURCES = ("toolkit", "sample_app", "loadtests", "scripts", "bench")
#: the emulator's state files that are its own (its configuration, CA and certificate are not)
PRIVATE_STATE_FILES = ("tenant.json", "keys.json", "users.json", "emulator.json", "ca-key.pem")


@dataclass(frozen=True)
class Import:
    """One module named by an import statement (`from m import x` names `m.x`: a module or not)."""

    path: str  #: relative to the checkout, e.g. toolkit/drill/run.py
    line: int
    module: str
    top_level: bool  #: in the module's body, not inside a function

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module}"


def files(root: Path = ROOT) -> Iterator[Path]:
    """The project's Python files, tests left out."""
    for folder in SOURCES:
        yield from sorted((root / folder).rglob("*.py"))


@cache
def imports(root: Path = ROOT) -> tuple[Import, ...]:
    """Every import in the project's code."""
    found: list[Import] = []
    for file in files(root):
        path = file.relative_to(root).as_posix()
        tree = ast.parse(file.read_text(), path)
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [Import(path, node.lineno, alias.name, id(node) in top) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                package = node.module
                if node.level:  # relative: from the file's own package up
                    parts = path.removesuffix(".py").split("/")[: -node.level]
                    package = ".".join([*parts, node.module])
                found += [Import(path, node.lineno, f"{package}.{alias.name}", id(node) in top) for alias in node.names]
    return tuple(found)


def within(module: str, packages: tuple[str, ...]) -> bool:
    """Whether `module` is one of `packages` or inside one."""
    return any(module == p or module.startswith(p + ".") for p in packages)


def breaking(source: str, forbidden: tuple[str, ...], root: Path = ROOT) -> str:
    """The imports in the files under `source` of anything under `forbidden`, one a line."""
    return "\n".join(str(i) for i in imports(root) if i.path.startswith(source) and within(i.module, forbidden))


#: (the rule, the files it is about, what they never import)
NEVER_IMPORTS = [
    (
        "the linter never imports the emulator, the tenant audit, the reference app's building blocks, the app, the drill or the load tests (`b2c-toolkit lint` needs only lxml)",
        "toolkit/lint/",
        ("toolkit.emulator", "toolkit.tenant", "toolkit.resilience", "toolkit.flows", "toolkit.drill", "sample_app", "loadtests"),
    ),
    (
        "the tenant audit never imports the emulator, the app, the drill or the load tests",
        "toolkit/tenant/",
        ("toolkit.emulator", "toolkit.resilience", "toolkit.drill", "sample_app", "loadtests"),
    ),
    (
        "the emulator never imports the app, the drill or the load tests",
        "toolkit/emulator/",
        ("sample_app", "toolkit.drill", "loadtests"),
    ),
    (
        "the resilience building blocks never import the rest of the project",
        "toolkit/resilience/",
        ("toolkit.lint", "toolkit.tenant", "toolkit.emulator", "toolkit.drill", "toolkit.flows", "sample_app", "loadtests"),
    ),
    (
        "the app never imports the emulator (it knows the emulator's configuration only), the drill or the load tests",
        "sample_app/",
        ("toolkit.emulator", "toolkit.drill", "loadtests"),
    ),
    (
        "the load tests never import the app (they drive it over HTTP, as users do), the drill or the emulator (the drill"
        " hands them a plan, loadtests/contract.py)",
        "loadtests/",
        ("sample_app", "toolkit.drill", "toolkit.emulator"),
    ),
    ("the drill never imports the app (it starts the app as a process)", "toolkit/drill/", ("sample_app",)),
]


@pytest.mark.parametrize(("rule", "source", "forbidden"), NEVER_IMPORTS, ids=[r[1] for r in NEVER_IMPORTS])
def test_never_imports(rule, source, forbidden):
    found = breaking(source, forbidden)
    assert not found, f"{rule}:\n{found}"


def test_the_drill_takes_from_the_load_tests_only_their_contract():
    found = [
        str(i)
        for i in imports()
        if i.path.startswith("toolkit/drill/") and within(i.module, ("loadtests",)) and not within(i.module, ("loadtests.contract",))
    ]
    assert not found, "the drill imports from the load tests only loadtests.contract:\n" + "\n".join(found)


def test_nothing_outside_the_emulator_imports_its_private_names():
    found = [
        str(i)
        for i in imports()
        if not i.path.startswith("toolkit/emulator/")
        and within(i.module, ("toolkit.emulator",))
        and any(part.startswith("_") and not part.startswith("__") for part in i.module.split("."))
    ]
    assert not found, "nothing outside toolkit/emulator imports its private names (`_x`):\n" + "\n".join(found)


def test_nothing_outside_the_emulator_names_its_own_state_files():
    """Apps read its configuration (`config.json`, `--print-config`), never the files behind it."""
    found = []
    for file in files():
        path = file.relative_to(ROOT).as_posix()
        if path.startswith("toolkit/emulator/"):
            continue
        for node in ast.walk(ast.parse(file.read_text(), path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [f"{path}:{node.lineno}: names {name}" for name in PRIVATE_STATE_FILES if name in node.value]
    assert not found, "nothing outside toolkit/emulator reads the emulator's own state files:\n" + "\n".join(found)


def test_the_cli_imports_a_feature_only_when_its_command_runs():
    """`b2c-toolkit lint` starts without importing the emulator, the drill or the tenant audit."""
    found = [str(i) for i in imports() if i.path == "toolkit/cli.py" and i.top_level and within(i.module, ("toolkit",))]
    assert not found, "toolkit/cli.py imports the toolkit's modules only inside functions (COMMANDS names them):\n" + "\n".join(found)


def test_a_broken_rule_names_the_file_and_line(tmp_path):
    """The rules above read the real tree: a planted import shows what a failure says."""
    (tmp_path / "sample_app").mkdir()
    (tmp_path / "sample_app" / "bad.py").write_text("import os\n\n\ndef f():\n    from toolkit.emulator.state import load_state\n")
    assert breaking("sample_app/", ("toolkit.emulator",), tmp_path) == "sample_app/bad.py:5: imports toolkit.emulator.state.load_state"
