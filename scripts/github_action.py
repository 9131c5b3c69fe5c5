"""The GitHub Action's lint step (action.yml): run `b2c-toolkit lint`, or `b2c-toolkit tenant audit`
on a `tenant export` folder, with the action's inputs.

Inputs come as INPUT_* environment variables (set by action.yml):

    INPUT_COMMAND       lint (the default) | tenant-audit
    INPUT_PATHS         paths to lint, separated by spaces or new lines (shell quoting allowed);
                        for tenant-audit, the export folder
    INPUT_FAIL_ON       error | warning | info | never
    INPUT_CONFIG        a TOML configuration file (optional)
    INPUT_FORMAT        the report in the log: github (annotations on the pull request), text, json, junit, sarif
    INPUT_OUTPUT        write that report to this file instead of the log (optional)
    INPUT_UPLOAD_SARIF  "true": also write a SARIF file for code scanning
    INPUT_ARGS          more arguments for `b2c-toolkit lint` (optional)

Outputs, appended to $GITHUB_OUTPUT: `exit-code` (the linter's), `sarif` (the SARIF file, when
asked), `errors`, `warnings`, `infos`. A summary table goes to $GITHUB_STEP_SUMMARY. GitHub annotates
only the first 10 errors, 10 warnings and 10 notices of a step: with more, a line in the log and
in the summary says how many findings are not annotated, and where they all are. The step
itself exits 0 when the linter found problems, so that the SARIF upload still runs; the action's
last step fails the job with `exit-code`. A usage or configuration error (2) fails at once.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

FORMATS = ("github", "text", "json", "junit", "sarif")
FAIL_ON = ("error", "warning", "info", "never")
#: the `command` input → the b2c-toolkit command it runs
COMMANDS = {"lint": ["lint"], "tenant-audit": ["tenant", "audit"]}


class InputError(Exception):
    pass


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name}", "").strip() or default


def lint_args() -> list[str]:
    """The arguments every run shares: paths, configuration, extra arguments."""
    paths = shlex.split(_input("PATHS", "."))
    config = _input("CONFIG")
    args = [*paths]
    if config:
        if not Path(config).is_file():
            raise InputError(f"config: {config} is not a file")
        args += ["--config", config]
    return args + shlex.split(_input("ARGS"))


def _lint(args: list[str]) -> subprocess.CompletedProcess[str]:
    command = COMMANDS.get(_input("COMMAND", "lint"), ["lint"])
    return subprocess.run(["b2c-toolkit", *command, *args], text=True, capture_output=True)


def _append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text)


#: annotations of each kind (error, warning, notice) GitHub shows per step; the rest of a step's
#: workflow commands stay in the log only (and a job shows 50 in all)
ANNOTATIONS_PER_KIND = 10


def unannotated(counts: dict[str, int], sarif: bool) -> str:
    """What to say when the report has more findings of a kind than GitHub annotates ("" when all
    show): how many, of which kinds, and where they all are."""
    kinds = [("errors", "errors"), ("warnings", "warnings"), ("infos", "infos (notices)")]
    over = [(counts[k] - ANNOTATIONS_PER_KIND, name) for k, name in kinds if counts[k] > ANNOTATIONS_PER_KIND]
    if not over:
        return ""
    total = sum(n for n, _ in over)
    where = "and in the SARIF uploaded to code scanning" if sarif else "(upload-sarif: true puts them all in code scanning)"
    return (
        f"GitHub annotates the first {ANNOTATIONS_PER_KIND} errors, warnings and notices of a step: "
        f"{total} more finding{'s are' if total > 1 else ' is'} not annotated ({', '.join(f'{n} {name}' for n, name in over)}); "
        f"every finding is in the log above {where}"
    )


def main() -> int:
    try:
        fmt = _input("FORMAT", "github")
        fail_on = _input("FAIL_ON", "warning")
        if _input("COMMAND", "lint") not in COMMANDS:
            raise InputError(f"command: {_input('COMMAND')!r} is not one of {', '.join(COMMANDS)}")
        if fmt not in FORMATS:
            raise InputError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
        if fail_on not in FAIL_ON:
            raise InputError(f"fail-on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
        common = lint_args()
    except InputError as exc:
        print(f"::error title=b2c-toolkit lint::{exc}")
        return 2

    # the report asked for; its exit code is the one that counts
    output = _input("OUTPUT")
    report = _lint([*common, "--format", fmt, "--fail-on", fail_on, *(["--output", output] if output else [])])
    sys.stdout.write(report.stdout)
    sys.stderr.write(report.stderr)
    code = report.returncode
    if code not in (0, 1):
        print(f"::error title=b2c-toolkit lint::the linter exited {code}: {report.stderr.strip()[-500:]}")
        return code
    outputs = {"exit-code": str(code)}

    # the same files again are answered from the lint cache: nothing is parsed twice
    if _input("UPLOAD_SARIF", "false").lower() == "true":
        sarif = os.path.join(os.environ.get("RUNNER_TEMP", "."), "b2c-toolkit.sarif")
        run = _lint([*common, "--format", "sarif", "--fail-on", "never", "--output", sarif])
        if run.returncode != 0:
            print(f"::error title=b2c-toolkit lint::writing SARIF failed: {run.stderr.strip()[-500:]}")
            return run.returncode
        outputs["sarif"] = sarif
    summary = _lint([*common, "--format", "json", "--fail-on", "never"])
    if summary.returncode == 0:
        counts = json.loads(summary.stdout)["summary"]
        outputs.update({k: str(counts[k]) for k in ("errors", "warnings", "infos")})
        beyond = unannotated(counts, "sarif" in outputs) if fmt == "github" and not output else ""
        if beyond:
            print(f"b2c-toolkit lint: {beyond}")
        _append(
            "GITHUB_STEP_SUMMARY",
            f"### b2c-toolkit {' '.join(COMMANDS[_input('COMMAND', 'lint')])}\n\n| files | errors | warnings | infos |\n|---|---|---|---|\n"
            f"| {counts['files']} | {counts['errors']} | {counts['warnings']} | {counts['infos']} |\n"
            + (f"\n{beyond}\n" if beyond else ""),
        )
    _append("GITHUB_OUTPUT", "".join(f"{k}={v}\n" for k, v in outputs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
