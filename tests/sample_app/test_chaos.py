"""The generative fault test in CI: fixed seeds, a bounded number of steps (about a minute
each). `python -m bench.chaos --minutes 30` searches fresh seeds for longer; every violation it
prints names its seed, to replay here, and becomes a named regression test."""

from __future__ import annotations

import pytest

from tests.sample_app import chaos

SEEDS = (1, 2)
STEPS = 12


@pytest.mark.parametrize("seed", SEEDS)
def test_no_sequence_of_faults_breaks_an_invariant(tmp_path, seed):
    violations = chaos.run(seed, STEPS, tmp_path)
    assert not violations, "\n".join(violations)
