"""What the README and the docs show the linter printing is what it prints today: every
`$ b2c-toolkit lint ...` and `$ b2c-toolkit rules ...` in a console block is run from the
repository root, and each line shown under it is a line of its output, in order (all of them, when
the block leaves nothing out with `...`). A line that ends in `...` is the start of the line
printed. The summary line, shown last, carries the counts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def shown_runs() -> list[tuple[str, str, list[str]]]:
    """`(page, command, lines shown under it)` for each lint or rules command in a console block
    (synopses such as `lint [OPTIONS] [PATH ...]` left out)."""
    runs: list[tuple[str, str, list[str]]] = []
    for page in PAGES:
        for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
            current: tuple[str, str, list[str]] | None = None
            for line in block.splitlines():
                if line.startswith("$ "):
                    command = line[2:].split("  #")[0].strip()
                    current = None
                    if re.match(r"b2c-toolkit (lint|rules)\b", command) and "[" not in command:
                        current = (page.name, command, [])
                        runs.append(current)
                elif current is not None:
                    current[2].append(line)
    return runs


def test_the_pages_show_linter_output() -> None:
    shown = {(page, command) for page, command, lines in shown_runs() if lines}
    assert ("README.md", "b2c-toolkit lint policies/antipatterns/fragile") in shown
    assert ("linter.md", "b2c-toolkit lint policies/resilient") in shown


@pytest.mark.parametrize(("page", "command", "lines"), shown_runs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_output_shown_is_the_output_printed(page: str, command: str, lines: list[str]) -> None:
    args = shlex.split(command)[1:]
    result = subprocess.run([sys.executable, "-m", "toolkit", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    printed = result.stdout.splitlines()
    if "..." not in lines:
        assert lines in ([], printed), f"{page}: `{command}` prints:\n" + "\n".join(printed)
        return
    at = 0
    for line in (line for line in lines if line != "..."):
        found = next((i for i in range(at, len(printed)) if _shows(line, printed[i])), None)
        assert found is not None, f"{page}: `{command}` prints no line\n{line}\nafter the lines before it; it prints:\n" + "\n".join(
            printed
        )
        at = found + 1
    if lines[-1] != "...":
        assert _shows(lines[-1], printed[-1]), f"{page}: `{command}` ends with\n{printed[-1]}"  # the counts


def _shows(shown: str, printed: str) -> bool:
    """A line shown whole, or its start (`2 policy files linted: ...; by rule: SET001 2, ...`)."""
    return printed.startswith(shown[:-3]) if shown.endswith("...") else printed == shown


def test_the_drill_output_shown_is_what_the_drill_prints() -> None:
    """The README's drill lines, rendered as the drill renders its scorecard today: the verdict line
    and each objective's name and threshold are today's (the values shown are those of one run)."""
    import tomllib

    from toolkit.drill.scenario import load
    from toolkit.drill.score import summary
    from toolkit.drill.scorecard import Scorecard, read

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```console\n(.*?)```", text, re.DOTALL) if b.startswith("$ b2c-toolkit drill ")]
    command, *lines = block.splitlines()
    args = shlex.split(command[2:])
    option = dict(zip(args[2::2], args[3::2], strict=False))
    scenario = load(option["--scenario"], users=int(option["--users"]), duration_s=float(option["--duration"]))
    # "  [PASS] NAME: METRIC VALUE[ s] (want ...)": the value follows the metric's name
    observed = {name: float(value) for name, value in re.findall(r"^  \[PASS\] (.*): [a-z ]+ ([\d.]+)(?: s)? \(want ", block, re.MULTILINE)}
    app = tomllib.loads((ROOT / "toolkit" / "drill" / "profiles" / "reference-app.toml").read_text())["app"]["name"]
    card = {
        "scenario": scenario.name,
        "app": app,
        "passed": True,
        "users": int(option["--users"]),
        "duration_s": float(option["--duration"]),
        "phases": [],
        "recovery_s": None,
        "signed_in_users_logged_out": 0,
        "objectives": [
            {"name": o.name, "metric": o.metric, "threshold": o.threshold, "observed": observed.get(o.name, 0), "passed": True}
            for o in scenario.objectives
        ],
    }
    printed = summary(read(Scorecard, card)).splitlines()
    shown = [line for line in lines if line != "..."]
    assert shown and observed
    for line in shown:
        assert line in printed, f"the drill prints no line\n{line}\nit prints lines such as:\n" + "\n".join(printed)
