"""The Azure DevOps template: its lint step run here with bash, parameters and variables filled
in as Azure Pipelines would, and the JUnit results it publishes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = yaml.safe_load((ROOT / "azure-pipelines" / "b2c-lint.yml").read_text())


def run_lint_step(tmp_path: Path, **parameters: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    values = {p["name"]: p["default"] for p in TEMPLATE["parameters"]} | parameters
    (step,) = [s for s in TEMPLATE["steps"] if "bash" in s]
    script = re.sub(r"\$\{\{ parameters\.(\w+) \}\}", lambda m: values[m.group(1)], step["bash"])
    script = script.replace("$(Common.TestResultsDirectory)", str(tmp_path))
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return result, tmp_path / "b2c-lint.xml"


def test_findings_fail_the_step_and_are_published_as_junit(tmp_path: Path) -> None:
    result, junit = run_lint_step(tmp_path, paths="policies/antipatterns/fragile")
    assert result.returncode == 1, result.stderr
    failures = etree.parse(str(junit)).getroot().findall(".//testcase/failure")
    assert failures
    assert "DEP001" in result.stdout  # the findings in the log too


def test_clean_policies_pass(tmp_path: Path) -> None:
    result, junit = run_lint_step(tmp_path, paths="policies/resilient")
    assert result.returncode == 0, result.stdout + result.stderr
    failures = etree.parse(str(junit)).getroot().findall(".//testcase/failure")
    assert failures and {f.get("type") for f in failures} == {"info"}  # below failOn: listed, not failing


def test_config_and_fail_on_are_passed(tmp_path: Path) -> None:
    config = tmp_path / "lint.toml"
    config.write_text('select = ["INH001"]\n')
    result, _ = run_lint_step(tmp_path, paths="policies/antipatterns/fragile", config=str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    result, _ = run_lint_step(tmp_path, paths="policies/antipatterns/fragile", failOn="never")
    assert result.returncode == 0


def test_results_are_published_even_when_the_lint_fails() -> None:
    (publish,) = [s for s in TEMPLATE["steps"] if s.get("task") == "PublishTestResults@2"]
    assert publish["condition"] == "succeededOrFailed()"
    assert publish["inputs"]["testResultsFormat"] == "JUnit"
    assert publish["inputs"]["testResultsFiles"].endswith("b2c-lint.xml")
