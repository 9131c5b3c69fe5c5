"""Every audit rule's example export, `policies/tenant-examples/<id>/`, audited with the command its
docs page shows (`tenant_example_command` in scripts/docs_hooks.py), in this process, from the
repository root."""

from __future__ import annotations

import contextlib
import io
import json
import shlex
from functools import cache

from tests.lint.examples import ROOT, hooks
from toolkit.cli import main
from toolkit.tenant.registry import get


@cache
def example_problems(rule_id: str) -> list[dict[str, object]]:
    """The problems (JSON shape) the example of `rule_id` raises with its documented command."""
    argv = shlex.split(hooks.tenant_example_command(get(rule_id)))[1:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main([*argv, "-f", "json"])
    problems: list[dict[str, object]] = json.loads(out.getvalue())["problems"]
    return problems
