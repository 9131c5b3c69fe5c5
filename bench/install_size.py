"""What each install costs: the wheel installed into a fresh virtual environment, lint-only
(no extras) against `[all]`, with pip's cache warm (a first run downloads), median of N runs.

    python bench/install_size.py [N]

Printed per install: the distributions installed, the wall time of `pip install`, the size of the
environment on disk (without pip itself: the environments are made `--without-pip` and installed
into by this interpreter's pip), and the ratio of `[all]` to lint-only.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "toolkit", "sample_app", "loadtests")


def build_wheel(work: Path) -> Path:
    src = work / "src"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    out = work / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(src)], check=True
    )
    return next(out.glob("*.whl"))


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def install(work: Path, requirement: str) -> tuple[float, int, int]:
    """(seconds, bytes, distributions) of one install into a fresh environment."""
    venv = Path(tempfile.mkdtemp(dir=work))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", requirement], check=True)
    seconds = time.perf_counter() - start
    count = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=venv,
    ).stdout
    result = seconds, size(venv), int(count)
    shutil.rmtree(venv)
    return result


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = build_wheel(work)
        install(work, f"{wheel}[all]")  # warm pip's cache
        figures = {}
        for label, requirement in (("lint-only", str(wheel)), ("[all]", f"{wheel}[all]")):
            measured = [install(work, requirement) for _ in range(runs)]
            seconds = statistics.median(m[0] for m in measured)
            mb = statistics.median(m[1] for m in measured) / 1e6
            figures[label] = (seconds, mb)
            print(f"{label:10} {measured[0][2]:3} distributions  pip install {seconds:5.1f} s  on disk {mb:6.1f} MB  (median of {runs})")
        (t0, s0), (t1, s1) = figures["lint-only"], figures["[all]"]
        print(f"[all] / lint-only: time {t1 / t0:.1f}x, size {s1 / s0:.1f}x")


if __name__ == "__main__":
    main()
