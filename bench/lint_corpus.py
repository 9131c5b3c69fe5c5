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
    bare_cmd = [sys.executable, "-c", BARE, str(CORPUS)]
    timed(lint_cmd), timed(bare_cmd)  # warm the file cache
    lint_times, bare_times = [], []
    for _ in range(RUNS):
        lint_times.append(timed(lint_cmd))
        bare_times.append(timed(bare_cmd))
    lint_s, bare_s = statistics.median(lint_times), statistics.median(bare_times)
    files = len(list(CORPUS.rglob("*.xml")))
    print(f"corpus: {files} xml files under {CORPUS}")
    print(f"bare lxml parse (process): median {bare_s * 1000:.0f} ms")
    print(f"b2c-toolkit lint --format json (process): median {lint_s * 1000:.0f} ms")
    print(f"ratio lint / bare parse: {lint_s / bare_s:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
