"""Finding and reading files: only regular files, never more than a policy's size, and what cannot be read is XML001."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.lint.policies import clean_set, rules_of, run, write
from toolkit.lint import discover


def _lint_process(*args: str, cwd: Path | None = None) -> dict[str, Any]:
    """`b2c-toolkit lint --format json ARGS` in a process that may not hang or take memory: a read
    of /dev/zero would otherwise fill the machine."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "lint", "--format", "json", "--fail-on", "never", *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        preexec_fn=limits,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_symlinks_to_devices_and_fifos_are_never_read(tmp_path):
    """A pull request can commit `evil.xml -> /dev/zero`, or a schema, pyproject.toml or settings
    file so linked: a CI run (cache on, as by default) must neither hang nor fill memory."""
    write(tmp_path, clean_set(ext_attrs='DeploymentMode="Development"'))
    for name in ("zero.xml", "TrustFrameworkPolicy_0.3.0.0.xsd", "pyproject.toml", "appsettings.json", "conf.json"):
        (tmp_path / name).symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.xml")
    report = _lint_process(str(tmp_path), "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
    problems = report["problems"]
    assert report["summary"]["files"] == 3
    assert "DEP001" in {p["rule"] for p in problems} and "XML001" not in {p["rule"] for p in problems}
    named = _lint_process(str(tmp_path / "zero.xml"), str(tmp_path / "pipe.xml"), "--no-cache")
    assert [(p["rule"], p["message"]) for p in named["problems"]] == [("XML001", "cannot read file: not a regular file")] * 2


def test_a_file_too_large_to_be_a_policy_is_reported_unread(tmp_path, monkeypatch):
    files: dict[str, str | bytes] = dict(clean_set())
    limit = max(len(str(content)) for content in files.values())
    monkeypatch.setattr(discover, "MAX_BYTES", limit)
    files["huge.xml"] = b"<TrustFrameworkPolicy>" + b" " * limit
    report = run(tmp_path, files)
    assert rules_of(report) == [("XML001", "huge.xml", 1)]
    assert "too large to be a policy" in report.problems[0].message
