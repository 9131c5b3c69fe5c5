"""The wheel as users install it: built once per test run, installed into fresh virtual
environments (pip may fetch lxml and the extras' dependencies from the index, or its cache), and
run from there, never from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "toolkit", "sample_app", "loadtests")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a clean copy of the sources (no stale build/ folder)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(src)])
    (built,) = out.glob("*.whl")
    return built


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result  # type: ignore[no-any-return]


def _venv(path: Path, requirement: str) -> Path:
    """A fresh virtual environment with `requirement` installed by this environment's pip (no .pyc
    compiled at install: the few modules a test imports are compiled then)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)])
    python = path / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile", requirement])
    return path / "bin"


def _env() -> dict[str, str]:
    """The environment of a user's shell: nothing pointing back at the checkout or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def test_wheel_holds_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "toolkit/emulator/templates/page.html",
        "toolkit/drill/scorecard.schema.json",
        "sample_app/templates/unavailable.html",
        "sample_app/gunicorn.conf.py",
        "loadtests/locustfile.py",
    }
    assert expected <= names
    scenarios = {p.name for p in (ROOT / "loadtests" / "scenarios").glob("*.toml")}
    assert scenarios and {f"loadtests/scenarios/{s}" for s in scenarios} <= names


def test_lint_only_install(wheel: Path, tmp_path: Path) -> None:
    """No extras: lxml and nothing else; lint and rules work, the other commands name their extra."""
    bin_dir = _venv(tmp_path / "venv", str(wheel))
    env, cwd = _env(), tmp_path
    installed = _run(
        [
            str(bin_dir / "python"),
            "-c",
            "import importlib.metadata as m, toolkit; print(sorted(d.metadata['Name'] for d in m.distributions())); print(toolkit.__file__)",
        ],
        cwd=cwd,
        env=env,
    ).stdout.splitlines()
    assert installed[0] == "['b2c-resilience-toolkit', 'lxml']"
    assert installed[1].startswith(str(tmp_path / "venv"))

    toolkit = str(bin_dir / "b2c-toolkit")
    fragile = ROOT / "policies" / "antipatterns" / "fragile"
    lint = subprocess.run(
        [toolkit, "lint", str(fragile), "--format", "json", "--no-cache"], capture_output=True, text=True, cwd=cwd, env=env
    )
    assert lint.returncode == 1, lint.stderr
    report = json.loads(lint.stdout)
    assert report["summary"]["files"] == 2
    assert {"DEP001", "REST003"} <= {p["rule"] for p in report["problems"]}

    rules = _run([toolkit, "rules"], cwd=cwd, env=env).stdout
    assert "REST009" in rules and "DEP001" in rules
    assert "ContinueOnError" in _run([toolkit, "rules", "REST009"], cwd=cwd, env=env).stdout

    version = _run([str(bin_dir / "python"), "-c", "import toolkit; print(toolkit.__version__)"], cwd=cwd, env=env).stdout.strip()
    assert _run([toolkit, "--version"], cwd=cwd, env=env).stdout.strip() == f"b2c-toolkit {version}"

    for command, extra in (("emulator", "emulator"), ("drill", "drill")):
        missing = subprocess.run([toolkit, command], capture_output=True, text=True, cwd=cwd, env=env)
        assert missing.returncode == 2
        assert f"pip install 'b2c-resilience-toolkit[{extra}]'" in missing.stderr
        assert "Traceback" not in missing.stderr
        assert "flask" in missing.stderr
        # help needs no extra
        assert _run([toolkit, command, "--help"], cwd=cwd, env=env).stdout.startswith(f"usage: b2c-toolkit {command}")


#: run by the [drill] environment's Python: the emulator and the app, from the wheel, and a sign-in
DRILL_CHECK = """
import json, sys, tempfile
from pathlib import Path
from toolkit import flows
from toolkit.drill import processes, scenario
from toolkit.resilience.http import trusting_session

assert "site-packages" in processes.__file__, processes.__file__
names = sorted(p.stem for p in scenario.SCENARIOS.glob("*.toml"))
assert names, scenario.SCENARIOS
for name in names:
    scenario.load(name)
root = Path(sys.argv[1])
emulator = processes.start_emulator(root / "emulator")
try:
    app = processes.start_app(root / "emulator", root / "app")
    try:
        user = json.loads((root / "emulator" / "users.json").read_text())[0]
        session = trusting_session(root / "emulator" / "ca.pem")
        flows.app_sign_in(session, app.url, user["email"], user["password"])
        page = session.get(app.url + "/profile", timeout=10, allow_redirects=False)
        assert page.status_code == 200 and user["email"] in page.text, page.text[:500]
    finally:
        app.stop()
finally:
    emulator.stop()
print("scenarios", ",".join(names))
"""


def test_drill_install_runs_the_emulator_and_the_app(wheel: Path, tmp_path: Path) -> None:
    """`[drill]`: the emulator and the reference app start from the installed wheel (templates,
    gunicorn configuration, scenarios inside it) and a user signs in through them."""
    bin_dir = _venv(tmp_path / "venv", f"{wheel}[drill]")
    work = tmp_path / "run"
    work.mkdir()
    out = _run([str(bin_dir / "python"), "-c", DRILL_CHECK, str(work)], cwd=tmp_path, env=_env()).stdout
    assert "idp-outage" in out
    assert _run([str(bin_dir / "b2c-toolkit"), "emulator", "--help"], cwd=tmp_path, env=_env()).returncode == 0
