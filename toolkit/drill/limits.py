"""Before a drill against a real test tenant: the request rate the scenario will send to B2C,
estimated from its users and persona weights, against B2C's published limits (200 requests/s per
tenant; 6,000 requests per 5 minutes per IP address, and every simulated user here shares one IP).
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.contract import API_CALLER, DAEMON, NEW_SIGN_IN, SIGNED_IN
from toolkit.drill.scenario import Scenario

TENANT_PER_S = 200
IP_PER_5_MIN = 6000
#: B2C requests one sign-in costs: the authorize page, SelfAsserted, confirmed, the app's token
#: redemption, and a share of metadata and key fetches
SIGN_IN_REQUESTS = 5
#: seconds between two iterations of one simulated user: the personas wait 0.5-1.5 s; the
#: operation's own time is left out, so the estimate errs high
CYCLE_S = 1.0


@dataclass(frozen=True)
class Estimate:
    """The requests a scenario will send to the IdP."""

    peak_per_s: float
    per_5_min: float

    def problems(self) -> list[str]:
        """Each published limit the plan goes over."""
        found = []
        if self.peak_per_s > TENANT_PER_S:
            found.append(f"about {self.peak_per_s:.0f} requests/s at peak, over B2C's {TENANT_PER_S} per tenant")
        if self.per_5_min > IP_PER_5_MIN:
            found.append(f"about {self.per_5_min:.0f} requests in 5 minutes from one IP, over B2C's {IP_PER_5_MIN}")
        return found


def estimate(scenario: Scenario) -> Estimate:
    """Sign-ins dominate: each new_sign_in user signs in every cycle; signed_in users sign in
    once while users ramp up; API callers and daemons get one token each."""
    total = sum(scenario.weights.values()) or 1
    share = {k: v / total for k, v in scenario.weights.items()}
    users = scenario.users
    steady = users * share.get(NEW_SIGN_IN, 0) * SIGN_IN_REQUESTS / CYCLE_S
    once = users * (share.get(SIGNED_IN, 0) * SIGN_IN_REQUESTS + share.get(API_CALLER, 0) + share.get(DAEMON, 0))
    ramp_s = max(1.0, users / scenario.spawn_rate)
    window = min(300.0, scenario.duration_s)
    return Estimate(peak_per_s=round(steady + once / ramp_s, 1), per_5_min=round(steady * window + once, 1))
