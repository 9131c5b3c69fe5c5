"""Token lifetimes and session length taken from a policy set."""

from __future__ import annotations

from pathlib import Path

from toolkit.emulator.policies import lifetimes_from_policies
from toolkit.emulator.tokens import Lifetimes

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_emulator_takes_lifetimes_from_the_resilient_set():
    assert lifetimes_from_policies(POLICIES / "resilient") == Lifetimes(3600, 3600, 1209600, 7776000, 86400)
