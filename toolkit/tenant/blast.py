"""Blast radius: what fails when a key set, an app's credential or an extension does.

From the uploaded policies, merged by the linter's model: a key set → the technical profiles whose
`CryptographicKeys` name it → the user journeys that run those profiles (as steps, token issuers or
validation profiles) → the relying parties that run those journeys. An app → the profiles whose
metadata names its client id or object id (`client_id`, `IdTokenAudience`, `ClientId`,
`ApplicationObjectId`). In External ID: an extension → the user flows and listeners that call it →
their apps.
"""

from __future__ import annotations

from typing import NamedTuple

from toolkit.lint.model import PolicySet, TechnicalProfile
from toolkit.tenant.load import Export

PREFIX = "B2C_1A_"


class Radius(NamedTuple):
    """What fails with one thing."""

    profiles: tuple[str, ...] = ()
    journeys: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()  #: relying parties (PolicyIds), or External ID user flows

    def __bool__(self) -> bool:
        return bool(self.profiles or self.parties)

    def describe(self) -> str:
        """`breaks REST-X, JwtIssuer → journeys SignUpOrSignIn → 4 relying parties`, or that nothing uploaded uses it."""
        if not self:
            return "no uploaded policy uses it"
        parts = []
        if self.profiles:
            parts.append(f"breaks {_few(self.profiles)}")
        if self.journeys:
            parts.append(f"journeys {_few(self.journeys)}")
        if self.parties:
            parts.append(f"{len(self.parties)} relying part{'y' if len(self.parties) == 1 else 'ies'}")
        return " → ".join(parts)


def _few(names: tuple[str, ...], shown: int = 3) -> str:
    return ", ".join(names) if len(names) <= shown else f"{', '.join(names[:shown])} and {len(names) - shown} more"


class Blast:
    """The dependency graph of the uploaded policies (empty without them)."""

    def __init__(self, policy_set: PolicySet | None) -> None:
        #: casefolded StorageReferenceId → profile ids
        self.key_users: dict[str, set[str]] = {}
        #: casefolded StorageReferenceId → as written
        self.key_names: dict[str, str] = {}
        #: casefolded metadata value (an app id) → profile ids
        self.value_users: dict[str, set[str]] = {}
        #: profile id → {(journey id, relying party PolicyId)}
        self.reach: dict[str, set[tuple[str, str]]] = {}
        #: profile id → its REST ServiceUrl or IdP metadata URL (the map shows them)
        self.endpoints: dict[str, str] = {}
        if policy_set is not None:
            self._build(policy_set)

    def _build(self, policy_set: PolicySet) -> None:
        seen: set[int] = set()
        for policy in policy_set.effective_policies():
            if not policy.is_relying_party:
                continue
            for tp in policy.technical_profiles.values():
                if id(tp) in seen:
                    continue
                seen.add(id(tp))
                self._profile(tp)
            tps = policy.technical_profiles
            for journey in policy.journeys_in_use:
                todo = [ex.get("TechnicalProfileReferenceId", "") for step in journey.exchanges for ex in step]
                todo += list(policy.issuer_ids(journey))
                done: set[str] = set()
                while todo:
                    tp_id = todo.pop()
                    tp = tps.get(tp_id)
                    if tp is None or tp.id in done:
                        continue
                    done.add(tp.id)
                    self.reach.setdefault(tp.id, set()).add((journey.id, policy.name))
                    todo += [v.get("ReferenceId", "") for v in tp.validation_profiles]

    def _profile(self, tp: TechnicalProfile) -> None:
        for key in tp.crypto_keys.values():
            ref = key.get("StorageReferenceId")
            if ref:
                self.key_users.setdefault(ref.casefold(), set()).add(tp.id)
                self.key_names.setdefault(ref.casefold(), ref)
        for item_key, item in tp.metadata.items():
            value = (item.text or "").strip()
            if value:
                self.value_users.setdefault(value.casefold(), set()).add(tp.id)
            if item_key in ("ServiceUrl", "METADATA") and value.startswith("http"):
                self.endpoints[tp.id] = value

    def radius(self, profiles: set[str]) -> Radius:
        """The journeys and relying parties that run `profiles`."""
        reached = {pair for tp in profiles for pair in self.reach.get(tp, ())}
        return Radius(tuple(sorted(profiles)), tuple(sorted({j for j, _ in reached})), tuple(sorted({rp for _, rp in reached})))

    def key_set_users(self, key_set_id: str) -> set[str]:
        """Profiles naming `key_set_id` (with or without the `B2C_1A_` prefix B2C adds)."""
        wanted = key_set_id.casefold()
        found = set(self.key_users.get(wanted, ()))
        if wanted.startswith(PREFIX.casefold()):
            found |= self.key_users.get(wanted[len(PREFIX) :], set())
        return found

    def of_key_set(self, key_set_id: str) -> Radius:
        """What fails when the key set has no valid key."""
        return self.radius(self.key_set_users(key_set_id))

    def app_users(self, *ids: str) -> set[str]:
        """Profiles whose metadata names one of `ids` (client id, object id)."""
        return {tp for i in ids if i for tp in self.value_users.get(i.casefold(), ())}


def key_set_named(export: Export, reference: str) -> bool:
    """True when the tenant has the key set a `StorageReferenceId` names: the same id
    (case-insensitive), or with the `B2C_1A_` prefix the portal and Graph add."""
    ids = {k.id.casefold() for k in export.key_sets or []}
    ref = reference.casefold()
    return ref in ids or (PREFIX.casefold() + ref) in ids


def flows_of_extension(export: Export, extension_id: str) -> tuple[list[str], list[str]]:
    """The user flows (and listeners) that call an extension, and their apps' names."""
    names = {a.app_id: a.name or a.app_id for a in export.apps or []}
    flows, apps = [], []
    for flow in [*(export.flows or []), *(export.listeners or [])]:
        if extension_id in flow.extension_ids:
            flows.append(flow.name or flow.id)
            apps += [names.get(a, a) for a in flow.app_ids]
    return sorted(set(flows)), sorted(set(apps))
