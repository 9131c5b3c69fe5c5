"""The Azure DevOps template: its lint step run here with bash, parameters and variables filled
in as Azure Pipelines would, and the JUnit results it publishes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = yaml.safe_load((ROOT / "azure-pipelines" / "b2c-lint.yml").read_text())


def _step(name: str) -> Any:
    (step,) = [s for s in TEMPLATE["steps"] if s.get("displayName") == name]
    return step


def _fill(text: str, parameters: dict[str, str]) -> str:
    """`${{ parameters.X }}` as Azure Pipelines fills it in when it compiles the template."""
    values = {p["name"]: p["default"] for p in TEMPLATE["parameters"]} | parameters
    return re.sub(r"\$\{\{ parameters\.(\w+) \}\}", lambda m: values[m.group(1)], text)


def run_lint_step(tmp_path: Path, **parameters: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    script = _fill(_step("Lint B2C policies")["bash"], parameters)
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


#: the runtime variables Azure Pipelines sets for a repository resource aliased `b2c` (docs/ci.md)
RESOURCE = {
    "resources.repositories.b2c.url": "https://github.com/contoso/b2c-resilience-toolkit",
    "resources.repositories.b2c.version": "0123456789abcdef0123456789abcdef01234567",
}


def run_install_step(
    tmp_path: Path, cwd: Path, variables: dict[str, str], **parameters: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The install step as the agent runs it: parameters filled in, `$(variable)` macros in its env
    expanded (one that is not defined stays as written, as Azure leaves it), with a `python` on PATH
    that records what pip was asked to install."""
    step = _step("Install b2c-toolkit (linter only)")
    env = {
        name: re.sub(r"\$\(([\w.]+)\)", lambda m: variables.get(m.group(1), m.group(0)), _fill(str(value), parameters))
        for name, value in step["env"].items()
    }
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    (tools / "python").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "pip-args"}\n')
    (tools / "python").chmod(0o755)
    path = os.pathsep.join([str(tools), os.environ.get("PATH", "")])
    script = _fill(step["bash"], parameters)
    result = subprocess.run(["bash", "-c", script], cwd=cwd, env={"PATH": path, **env}, capture_output=True, text=True, timeout=60)
    args = (tmp_path / "pip-args").read_text().splitlines() if (tmp_path / "pip-args").exists() else []
    return result, args


def test_with_its_defaults_it_installs_the_revision_it_came_from(tmp_path: Path) -> None:
    """No OWNER to replace, no package to name: the repository resource says where and which commit."""
    result, args = run_install_step(tmp_path, tmp_path, RESOURCE)
    assert result.returncode == 0, result.stdout + result.stderr
    url, version = RESOURCE.values()
    assert args == ["-m", "pip", "install", "--quiet", f"b2c-resilience-toolkit @ git+{url}@{version}"]
    assert "installing b2c-toolkit (linter only, about 13 MB)" in result.stdout


def test_in_the_toolkits_own_repository_it_installs_the_checkout(tmp_path: Path) -> None:
    result, args = run_install_step(tmp_path, ROOT, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert args[-1] == "."


@pytest.mark.parametrize("variables", [RESOURCE, {}])
def test_a_package_given_is_installed_as_given(tmp_path: Path, variables: dict[str, str]) -> None:
    result, args = run_install_step(tmp_path, tmp_path, variables, package="b2c-resilience-toolkit==0.1.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert args[-1] == "b2c-resilience-toolkit==0.1.0"


def test_without_the_resource_it_says_what_to_do(tmp_path: Path) -> None:
    result, args = run_install_step(tmp_path, tmp_path, {}, repository="toolkit")
    assert result.returncode == 1 and args == []
    assert "##vso[task.logissue type=error]no repository resource 'toolkit'" in result.stdout


def test_no_parameter_default_names_a_placeholder() -> None:
    for parameter in TEMPLATE["parameters"]:
        assert "OWNER" not in str(parameter["default"]), parameter["name"]
