"""Lint speed against the floor: `b2c-toolkit lint --format json` over the shared corpus versus a
bare lxml parse of the same files, both as whole processes, alternated, median of 5.

    python bench/lint_corpus.py [CORPUS]

Target: ratio <= 2.0.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
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


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    lint_cmd = [sys.executable, "-m", "toolkit", "lint", "--format", "json", "--fail-on", "never", str(CORPUS)]
    commands = {
        "bare lxml parse": [sys.executable, "-c", BARE, str(CORPUS)],
        "lint --format json (no schema)": [*lint_cmd, "--ignore", "XSD001"],
        "lint --format json with the schema (XSD001)": lint_cmd,  # the corpus holds the XSD
    }
    for cmd in commands.values():
        timed(cmd)  # warm the file cache and the bytecode
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    median = {name: statistics.median(values) for name, values in times.items()}
    bare = median["bare lxml parse"]
    print(f"corpus: {len(list(CORPUS.rglob('*.xml')))} xml files under {CORPUS}; whole processes, median of {RUNS}")
    for name, seconds in median.items():
        ratio = "" if name == "bare lxml parse" else f"  ratio {seconds / bare:.2f}"
        print(f"  {name:<46} {seconds * 1000:6.0f} ms{ratio}")
    print("target: ratio <= 2.0 without the schema")


if __name__ == "__main__":
    main()
