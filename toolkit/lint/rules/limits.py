"""The tenant's request budget, per relying party."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.lint.model import Effective, Journey, TechnicalProfile
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

TENANT_LIMIT = 200  #: requests per second per tenant
STATIC_ENDPOINTS = 3  #: /authorize's discovery, /keys, /token: one request each


def cost(tp: TechnicalProfile | None) -> int:
    """Requests a profile costs at B2C's dynamic endpoints (service limits' table)."""
    if tp is None:
        return 0
    if tp.kind == "PhoneFactor":
        return 4
    if tp.kind == "IdP":  # a step's exchange: a federated provider (validation-only OIDC is not a step)
        return 2
    if tp.kind != "SelfAsserted":
        return 0
    total = 2
    if tp.verifies_email:
        total += 2
    total += 2 * sum(1 for c in tp.display_claims if c.get("DisplayControlReferenceId"))
    return total


@rule(
    "LIM001",
    "Journey request-cost estimate",
    Severity.INFO,
    Scope.CHAIN,
    "service-limits#calculate-the-token-issuance-rate-of-your-custom-policy",
    whole_chain=True,
    inventory=True,
)
def request_cost(policy: Effective) -> Iterator[Finding]:
    """An estimate of the requests one sign-in through this relying party costs, and the
    sign-ins per second the tenant's 200 requests/s then allows.

    Costs from the service-limits table: self-asserted page 2, phone factor 4, email verification 2,
    display control 2, federated identity provider 2, plus 1 for each static endpoint. "Tokens/sec =
    200/requests-consumed". Beyond it, B2C throttles with AADB2C90229. Each step counts its most
    expensive exchange; steps skipped by preconditions count too, so this is an upper bound.

    Bad: a journey that costs 14 requests (14 sign-ins/s for the whole tenant).

    Fixed: fewer pages per sign-in, SSO instead of repeated journeys, longer token lifetimes.

    Source: service limits "Calculate the token issuance rate of your Custom Policy"; best practices "Throttling".
    """
    rp = policy.relying_party
    default = rp.find(q("DefaultUserJourney")) if rp is not None else None
    if default is None:
        return
    journey = policy.user_journeys.get(default.get("ReferenceId", ""))
    if journey is None:
        return
    total = policy.merged.once(("LIM001", policy.journey_refs), lambda: _requests(policy, journey))
    yield Finding(
        default,
        f"a sign-in costs about {total} requests: at most {TENANT_LIMIT / total:.0f} sign-ins/s at the tenant's {TENANT_LIMIT} requests/s",
    )


def _requests(policy: Effective, journey: Journey) -> int:
    """Requests a sign-in through `journey` (and the sub-journeys in use) makes, at most."""
    total = STATIC_ENDPOINTS
    for j in [journey, *(j for j in policy.journeys_in_use if j.tag == "SubJourney")]:
        for step_exchanges in j.exchanges:
            total += max(
                (cost(policy.technical_profiles.get(ex.get("TechnicalProfileReferenceId", ""))) for ex in step_exchanges), default=0
            )
    return total
