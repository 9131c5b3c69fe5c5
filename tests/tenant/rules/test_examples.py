"""Each audit rule's shipped example export raises that rule, and nothing else."""

from __future__ import annotations

import pytest

from tests.tenant.examples import example_problems
from toolkit.tenant.registry import all_rules


@pytest.mark.parametrize("rule_id", [r.id for r in all_rules()])
def test_example_raises_its_rule_and_nothing_else(rule_id):
    problems = example_problems(rule_id)
    assert [p["rule"] for p in problems] == [rule_id], problems
