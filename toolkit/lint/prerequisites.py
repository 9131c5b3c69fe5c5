"""What a policy set needs in the target tenant before it can be uploaded.

`b2c-toolkit lint PATHS --print-prerequisites` prints it as JSON, so a pipeline can check the
tenant first (policy keys through Microsoft Graph's `trustFramework/keySets`, app registrations,
firewall rules for the REST endpoints) instead of meeting "the key container was not found" at
upload, one error at a time:

- `policy_keys`: every `CryptographicKeys/Key/@StorageReferenceId`, with the profiles using it;
- `applications`: the IdentityExperienceFramework and ProxyIdentityExperienceFramework app ids
  (from the local-account sign-in profile) and the b2c-extensions-app ids (from `AAD-Common`);
- `identity_providers`: each federation profile with its protocol and `client_id`;
- `rest_endpoints`: each RESTful profile's `ServiceUrl`.

Profiles are read merged across each chain, so a value set in Extensions is the one reported.
"""

from __future__ import annotations

from typing import Any

from toolkit.lint.model import PolicySet, TechnicalProfile

#: metadata keys that name an application the tenant must have: (profile kind, key, role)
APPLICATION_KEYS = (
    ("IdP", "IdTokenAudience", "IdentityExperienceFramework"),
    ("AAD", "ApplicationObjectId", "b2c-extensions-app (object id)"),
    ("AAD", "ClientId", "b2c-extensions-app (client id)"),
)


def prerequisites(policy_set: PolicySet) -> dict[str, list[dict[str, Any]]]:
    """The tenant prerequisites of every chain in `policy_set`, sorted and de-duplicated."""
    keys: dict[str, set[str]] = {}
    apps: dict[tuple[str, str], set[str]] = {}
    # keyed by every value: folders of several sets may reuse a profile Id with other values
    idps: set[tuple[str, str, str]] = set()
    rest: set[tuple[str, str]] = set()
    seen: set[TechnicalProfile] = set()  # the profiles themselves: an address is reused once freed
    for policy in policy_set.effective_policies():
        for tp in policy.technical_profiles.values():
            if tp in seen:  # relying parties on one merged content share their profiles
                continue
            seen.add(tp)
            for key in tp.crypto_keys.values():
                if key.get("StorageReferenceId"):
                    keys.setdefault(key.get("StorageReferenceId", ""), set()).add(tp.id)
            for kind, meta_key, role in APPLICATION_KEYS:
                if tp.kind == kind and tp.meta(meta_key):
                    apps.setdefault((role, tp.meta(meta_key) or ""), set()).add(tp.id)
            if tp.kind == "IdP":
                _identity_provider(tp, apps, idps)
            elif tp.kind == "REST" and tp.meta("ServiceUrl"):
                rest.add((tp.id, tp.meta("ServiceUrl") or ""))
    return {
        "policy_keys": [{"name": name, "used_by": sorted(users)} for name, users in sorted(keys.items())],
        "applications": [{"role": role, "id": app_id, "used_by": sorted(users)} for (role, app_id), users in sorted(apps.items())],
        "identity_providers": [{"technical_profile": i, "protocol": p, "client_id": c} for i, p, c in sorted(idps)],
        "rest_endpoints": [{"technical_profile": i, "url": url} for i, url in sorted(rest)],
    }


def _identity_provider(tp: TechnicalProfile, apps: dict[tuple[str, str], set[str]], idps: set[tuple[str, str, str]]) -> None:
    client_id = tp.meta("client_id") or ""
    if tp.meta("IdTokenAudience"):
        # the local-account sign-in profile: its client is the ProxyIdentityExperienceFramework app
        if client_id:
            apps.setdefault(("ProxyIdentityExperienceFramework", client_id), set()).add(tp.id)
        return
    protocol = tp.protocol.get("Name", "") if tp.protocol is not None else ""
    idps.add((tp.id, protocol, client_id))
