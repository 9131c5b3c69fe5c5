"""The generative fault search, for as long as asked: fresh seeded sequences of IdP faults, key
rotations, restarts and disk and store failures against the real stack (see
tests/sample_app/chaos.py for the steps and the invariants). Prints one line per sequence and
every violation with its seed; replay one with `--seed N --runs 1`.

    python bench/chaos.py [--minutes 30] [--steps 25] [--seed N] [--runs N]

Exit code 1 when any sequence broke an invariant.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sample_app import chaos  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="stop starting sequences after this long")
    parser.add_argument("--steps", type=int, default=25, help="steps per sequence")
    parser.add_argument("--seed", type=int, help="the first seed (default: random); the next ones follow it")
    parser.add_argument("--runs", type=int, help="at most this many sequences")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    deadline = time.monotonic() + args.minutes * 60
    runs = steps = 0
    failed: list[int] = []
    while time.monotonic() < deadline and (args.runs is None or runs < args.runs):
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"chaos-{seed}-") as folder:
            violations = chaos.run(seed, args.steps, Path(folder))
        runs, steps = runs + 1, steps + args.steps
        print(f"seed {seed}: {args.steps} steps, {len(violations)} violations, {time.monotonic() - start:.0f} s", flush=True)
        for violation in violations:
            print(f"  {violation}", flush=True)
        if violations:
            failed.append(seed)
        seed += 1
    print(f"{runs} sequences, {steps} steps; failed seeds: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
