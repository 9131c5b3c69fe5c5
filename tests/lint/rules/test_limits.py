"""LIM001: the request cost of a sign-in."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, clean_set, run
from toolkit.lint import Config


def test_cost_estimate_per_relying_party(tmp_path):
    (problem,) = run(tmp_path, clean_set(), Config(select=["LIM001"])).problems
    # static endpoints 3 + the sign-in page 2
    assert problem.message.startswith("a sign-in costs about 5 requests: at most 40 sign-ins/s")
    assert problem.policy == "B2C_1A_signup_signin"


def test_display_controls_and_email_verification_cost_more(tmp_path):
    base = BASE.replace(
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" PartnerClaimType="Verified.Email" /></OutputClaims>',
    )
    (problem,) = run(tmp_path, clean_set(base=base), Config(select=["LIM001"])).problems
    assert "about 7 requests" in problem.message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("LIM001", [("RelyingParty.xml", 10, "a sign-in costs about 17 requests: at most 12 sign-ins/s at the tenant's 200 requests/s")]),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
