"""Every rule's example set, `policies/antipatterns/<id>/`, linted with the command its rule page
shows (`example_command` in scripts/docs_hooks.py): the tests run what the documentation tells
the reader to run, in the process, from the repository root."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import shlex
from functools import cache
from pathlib import Path
from types import ModuleType

from toolkit.cli import main
from toolkit.lint.registry import get

ROOT = Path(__file__).resolve().parents[2]


def _docs_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts" / "docs_hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _docs_hooks()


@cache
def example_problems(rule_id: str, schema: Path | None = None) -> list[dict[str, object]]:
    """The problems (JSON shape) the example set of `rule_id` raises with its documented command;
    `schema` is where the schema that command names is (XSD001)."""
    argv = shlex.split(hooks.example_command(get(rule_id)))[1:]
    if "--schema" in argv:
        assert schema is not None, f"{rule_id}'s example needs the schema"
        argv[argv.index("--schema") + 1] = str(schema)
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        main([*argv, "--no-cache", "-f", "json"])
    problems: list[dict[str, object]] = json.loads(out.getvalue())["problems"]
    return problems


def raised_by_example(rule_id: str, schema: Path | None = None) -> list[dict[str, object]]:
    """The findings of `rule_id` in the example's own files (the resilient set it extends raises a
    few advisory infos of its own)."""
    folder = f"{hooks.EXAMPLES}/{rule_id.lower()}/"
    return [p for p in example_problems(rule_id, schema) if p["rule"] == rule_id and folder in str(p["path"])]


def found_by_example(rule_id: str, schema: Path | None = None) -> list[tuple[str, object, object]]:
    """`(file name, line, message)` of each finding of `rule_id` in its example's own files (see
    `raised_by_example`): what a rule module's `test_example_set` pins."""
    return [(Path(str(p["path"])).name, p["line"], p["message"]) for p in raised_by_example(rule_id, schema)]
