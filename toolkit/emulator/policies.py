"""Token lifetimes and session length from a policy set, so lint, app and load test speak of
one policy: the JWT issuer metadata and `UserJourneyBehaviors` of the sign-up/sign-in RP."""

from __future__ import annotations

from pathlib import Path

from toolkit.emulator.tokens import Lifetimes
from toolkit.lint.linter import load_set
from toolkit.lint.parse import q

KEYS = {
    "token_lifetime_secs": "access_token",
    "id_token_lifetime_secs": "id_token",
    "refresh_token_lifetime_secs": "refresh_token",
    "rolling_refresh_token_lifetime_secs": "rolling_refresh",
}


class PolicyError(ValueError):
    """A policy folder the emulator cannot take lifetimes from."""


def lifetimes_from_policies(folder: str | Path, policy_id: str | None = None) -> Lifetimes:
    """Lifetimes of the relying party `policy_id` (default: the first RP whose id mentions
    "signin", else the first RP) in the policy set under `folder`."""
    effective = [e for e in load_set([folder]).effective_policies() if e.is_relying_party]
    if not effective:
        raise PolicyError(f"{folder}: no relying-party policy found")
    wanted = next((e for e in effective if policy_id and e.name.casefold() == policy_id.casefold()), None)
    chosen = wanted or next((e for e in effective if "signin" in e.name.casefold().replace("_", "")), effective[0])
    values: dict[str, int] = {}
    for issuer in chosen.issuers[:1]:
        for key, field in KEYS.items():
            value = issuer.meta(key)
            if value is not None and value.isdecimal():
                values[field] = int(value)
    rp = chosen.relying_party
    session = rp.findtext(q("UserJourneyBehaviors/SessionExpiryInSeconds")) if rp is not None else None
    if session and session.strip().isdecimal():
        values["session"] = int(session.strip())
    return Lifetimes(**values)
