"""Lint speed against the floor: `b2c-toolkit lint --format json` over the shared corpus versus a
bare lxml parse of the same files, both as whole processes, alternated, median of 5.

    python bench/lint_corpus.py [CORPUS]

Target: ratio <= 2.0 for a cold run (nothing cached). Also printed, for what users see day to day:
the same run on one process (`--jobs 1`), with the schema (XSD001), and with the cache of
unchanged policy sets warm: nothing changed, or one relying-party file edited before each run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
RUNS = 5

BARE = """
import sys
from pathlib import Path
from lxml import etree
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
for f in sorted(Path(sys.argv[1]).rglob("*.xml")):
    etree.fromstring(f.read_bytes(), parser)
"""


# Installed packages run from bytecode; this machine sets PYTHONDONTWRITEBYTECODE, which would
# charge every lint run with compiling the toolkit from source.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="lint-bench-"))
    corpus = work / "corpus"
    shutil.copytree(CORPUS, corpus)  # a copy: one run edits a file
    edited = sorted(corpus.rglob("SignUpOrSignin.xml"))[0]
    original = edited.read_bytes()
    edits = iter(range(1_000_000))

    def edit() -> None:
        edited.write_bytes(original + f"<!-- edit {next(edits)} -->\n".encode())

    lint = [sys.executable, "-m", "toolkit", "lint", "--format", "json", "--fail-on", "never"]
    cold = [*lint, "--no-cache", "--ignore", "XSD001", str(corpus)]
    warm = [*lint, "--cache-dir", str(work / "cache"), "--ignore", "XSD001", str(corpus)]
    commands: dict[str, tuple[list[str], Callable[[], None] | None]] = {
        "bare lxml parse": ([sys.executable, "-c", BARE, str(corpus)], None),
        "lint, cold (no cache)": (cold, None),
        "lint, cold, --jobs 1": ([*cold, "--jobs", "1"], None),
        "lint, cold, with the schema (XSD001)": ([*lint, "--no-cache", str(corpus)], None),  # the corpus holds the XSD
        "lint, cache warm, nothing changed": (warm, None),
        "lint, cache warm, one file edited": (warm, edit),
    }
    try:
        for cmd, before in commands.values():
            timed(cmd, before)  # warm the file cache, the bytecode and the lint cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, (cmd, before) in commands.items():
                times[name].append(timed(cmd, before))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    bare = median["bare lxml parse"]
    print(f"corpus: {len(list(CORPUS.rglob('*.xml')))} xml files under {CORPUS}; whole processes, median of {RUNS}, {os.cpu_count()} CPUs")
    for name, seconds in median.items():
        ratio = "" if name == "bare lxml parse" else f"  ratio {seconds / bare:.2f}"
        print(f"  {name:<40} {seconds * 1000:6.0f} ms{ratio}")
    print("target: ratio <= 2.0 for a cold run without the schema")


if __name__ == "__main__":
    main()
