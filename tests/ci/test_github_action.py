"""The GitHub Action: its script run here as the runner runs it (INPUT_* variables, $GITHUB_OUTPUT,
$GITHUB_STEP_SUMMARY, the real `b2c-toolkit` on PATH), and action.yml wired to it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "github_action.py"
FRAGILE = "policies/antipatterns/fragile"


def run_action(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INPUT_")}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    env.update(
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        RUNNER_TEMP=str(tmp_path),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return result, outputs, summary.read_text() if summary.exists() else ""


def test_findings_annotate_the_pull_request(tmp_path: Path) -> None:
    result, outputs, summary = run_action(tmp_path, paths=FRAGILE)
    assert result.returncode == 0, result.stderr  # the action's last step fails the job
    assert outputs["exit-code"] == "1"
    assert "sarif" not in outputs
    annotations = re.findall(r"^::(error|warning|notice) file=([^,]+),line=(\d+)", result.stdout, re.MULTILINE)
    assert len(annotations) == int(outputs["errors"]) + int(outputs["warnings"]) + int(outputs["infos"])
    assert int(outputs["errors"]) > 0
    assert {path for _, path, _ in annotations} <= {f"{FRAGILE}/TrustFrameworkBase.xml", f"{FRAGILE}/SignUpOrSignin.xml"}
    assert f"| 2 | {outputs['errors']} | {outputs['warnings']} | {outputs['infos']} |" in summary


def test_sarif_for_code_scanning(tmp_path: Path) -> None:
    result, outputs, _ = run_action(tmp_path, paths=FRAGILE, **{"upload_sarif": "true", "fail_on": "error"})
    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == int(outputs["errors"]) + int(outputs["warnings"]) + int(outputs["infos"])
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(FRAGILE)


def test_clean_policies_pass_and_a_report_goes_to_a_file(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "lint.xml"
    result, outputs, _ = run_action(tmp_path, paths="policies/resilient", format="junit", output=str(report))
    assert result.returncode == 0, result.stderr
    assert outputs["exit-code"] == "0"
    assert outputs["errors"] == "0" and outputs["warnings"] == "0"
    assert report.read_text().startswith("<?xml")


def test_config_and_args_reach_the_linter(tmp_path: Path) -> None:
    config = tmp_path / "lint.toml"
    config.write_text('ignore = ["DEP"]\n')
    result, _, _ = run_action(tmp_path, paths=FRAGILE, config=str(config), args="--select DEP,REST003")
    assert result.returncode == 0, result.stderr
    rules = set(re.findall(r"title=(\w+)::", result.stdout))
    assert rules == {"REST003"}


def test_bad_inputs_fail_with_a_message(tmp_path: Path) -> None:
    for inputs, message in (
        ({"format": "xml"}, "format: 'xml'"),
        ({"fail_on": "sometimes"}, "fail-on: 'sometimes'"),
        ({"config": "no/such.toml"}, "config: no/such.toml is not a file"),
        ({"args": "--select NOPE"}, "the linter exited 2"),
    ):
        result, outputs, _ = run_action(tmp_path, paths=FRAGILE, **inputs)
        assert result.returncode == 2, inputs
        assert message in result.stdout, (inputs, result.stdout)
        assert "exit-code" not in outputs


def test_action_yml_runs_the_script_with_every_input() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    lint = next(s for s in steps if s.get("id") == "lint")
    assert "scripts/github_action.py" in lint["run"]
    passed = {name.removeprefix("INPUT_").lower().replace("_", "-") for name in lint["env"]}
    consumed_elsewhere = {"python-version", "package"}
    assert passed | consumed_elsewhere == set(action["inputs"])
    for name, value in lint["env"].items():
        input_name = name.removeprefix("INPUT_").lower().replace("_", "-")
        assert value == "${{ inputs." + input_name + " }}"
    text = (ROOT / "action.yml").read_text()
    for used in re.findall(r"inputs\.([\w-]+)", text):
        assert used in action["inputs"], used
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert "upload-sarif == 'true'" in upload["if"]
    assert steps[-1]["run"] == 'exit "$CODE"'


def test_action_yml_declares_every_output_the_script_writes(tmp_path: Path) -> None:
    """What the script appends to $GITHUB_OUTPUT (a run that writes every output) is what action.yml
    declares, each read from the lint step; a workflow can use no output the action leaves out."""
    result, outputs, _ = run_action(tmp_path, paths=FRAGILE, upload_sarif="true")
    assert result.returncode == 0, result.stderr
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["outputs"]) == set(outputs) == {"exit-code", "sarif", "errors", "warnings", "infos"}
    for name, declared in action["outputs"].items():
        assert declared["value"] == "${{ steps.lint.outputs." + name + " }}"
        assert declared["description"]
    assert all(f"`{name}`" in SCRIPT.read_text() for name in outputs)  # and the script's docstring names each
    documented = next(line for line in (ROOT / "docs" / "ci.md").read_text().splitlines() if line.startswith("Outputs:"))
    assert set(re.findall(r"`([\w-]+)`", documented)) == set(outputs)


def test_findings_beyond_what_github_annotates_are_counted(tmp_path: Path) -> None:
    # GitHub shows 10 annotations of each kind per step: the rest are counted, and said to be in SARIF
    result, outputs, summary = run_action(tmp_path, paths="policies/antipatterns", **{"upload_sarif": "true"})
    assert result.returncode == 0, result.stderr
    counts = {k: int(outputs[k]) for k in ("errors", "warnings", "infos")}
    assert counts["errors"] > 10 and counts["warnings"] > 10 and counts["infos"] <= 10  # all notices shown
    over = counts["errors"] + counts["warnings"] - 20
    line = next(line for line in result.stdout.splitlines() if line.startswith("b2c-toolkit lint: GitHub annotates"))
    assert f": {over} more findings are not annotated ({counts['errors'] - 10} errors, {counts['warnings'] - 10} warnings); " in line
    assert line.endswith("every finding is in the log above and in the SARIF uploaded to code scanning")
    assert line.removeprefix("b2c-toolkit lint: ") in summary
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert len(sarif["runs"][0]["results"]) == sum(counts.values())


def test_no_line_when_every_finding_is_annotated(tmp_path: Path) -> None:
    result, _, summary = run_action(tmp_path, paths=FRAGILE)
    assert "GitHub annotates" not in result.stdout + summary
    # without SARIF, the line says how to get every finding into code scanning
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import github_action
    finally:
        sys.path.remove(str(SCRIPT.parent))
    assert github_action.unannotated({"errors": 11, "warnings": 3, "infos": 10}, False) == (
        "GitHub annotates the first 10 errors, warnings and notices of a step: 1 more finding is not annotated "
        "(1 errors); every finding is in the log above (upload-sarif: true puts them all in code scanning)"
    )


def test_the_tenant_audit_runs_on_an_export_folder(tmp_path: Path) -> None:
    """`command: tenant-audit` audits a `tenant export` folder nightly: a policy key with no valid
    key fails the job, annotated, with the same outputs and summary as the linter's."""
    example = "policies/tenant-examples/key001"
    result, outputs, summary = run_action(tmp_path, command="tenant-audit", paths=example, args="--at 2026-12-01")
    assert result.returncode == 0, result.stderr
    assert (outputs["exit-code"], outputs["errors"]) == ("1", "1")
    assert re.search(r"^::error .*KEY001", result.stdout, re.MULTILINE), result.stdout
    assert summary.startswith("### b2c-toolkit tenant audit")
    bad, _, _ = run_action(tmp_path, command="deploy")
    assert bad.returncode == 2 and "command: 'deploy'" in bad.stdout
