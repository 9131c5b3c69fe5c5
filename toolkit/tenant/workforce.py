"""A Microsoft Entra ID (workforce) tenant's export, read into typed records for the resilience
rules (`toolkit.tenant.rules.entra`): the authentication methods policy, Conditional Access,
domains, the organization, directory sync, pass-through authentication agents, Application Proxy
connector groups and cross-tenant access settings.

Each reader checks the fields the rules use and raises ValueError naming the record and field
(the loader turns it into an `ExportError` naming the file). Shapes: Microsoft Graph v1.0 and beta
resource pages (docs/entra-resilience.md lists them).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

#: `includeUsers` value for every user
ALL = "All"


def _where(record: dict[str, Any], i: int, kind: str) -> str:
    return f"{kind} {record.get('displayName') or record.get('id') or i}"


def _strings(record: dict[str, Any], field: str, what: str) -> tuple[str, ...]:
    value = record.get(field)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what}: {field} must be a list of strings, not {json.dumps(value)[:60]}")
    return tuple(value)


def _object(record: dict[str, Any], field: str, what: str) -> dict[str, Any]:
    value = record.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what}: {field} must be an object or null, not {json.dumps(value)[:60]}")
    return value


def _bool(record: dict[str, Any], field: str, what: str) -> bool | None:
    value = record.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{what}: {field} must be true, false or null, not {json.dumps(value)[:40]}")


def _text(record: dict[str, Any], field: str, what: str) -> str:
    value = record.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{what}: {field} must be a string, not {json.dumps(value)[:40]}")
    return value


# ---- authentication methods policy ----------------------------------------------------------------


class Method(NamedTuple):
    """One method configuration of the authentication methods policy."""

    id: str  #: `Sms`, `Voice`, `MicrosoftAuthenticator`, `Fido2`, `SoftwareOath`, `HardwareOath`, ...
    enabled: bool
    all_users: bool  #: `includeTargets` has the `all_users` target
    targets: tuple[str, ...]  #: the target ids (`all_users` or group ids)


def methods(records: list[dict[str, Any]]) -> list[Method]:
    """The method configurations of the (one) authentication methods policy."""
    found = []
    for policy in records:
        configs = policy.get("authenticationMethodConfigurations")
        if configs is None:
            continue
        if not isinstance(configs, list):
            raise ValueError("authenticationMethodConfigurations must be a list")
        for i, config in enumerate(configs, 1):
            if not isinstance(config, dict):
                raise ValueError(f"method configuration {i} is not an object")
            what = f"method {config.get('id') or i}"
            method_id = _text(config, "id", what)
            if not method_id:
                raise ValueError(f"method configuration {i}: no id")
            targets = []
            for target in config.get("includeTargets") or []:
                if not isinstance(target, dict) or not isinstance(target.get("id"), str):
                    raise ValueError(f"{what}: includeTargets holds something that is not a target with an id")
                targets.append(target["id"])
            state = _text(config, "state", what)
            found.append(Method(method_id, state.casefold() == "enabled", "all_users" in targets, tuple(targets)))
    return found


# ---- Conditional Access -----------------------------------------------------------------------------


class SignInFrequency(NamedTuple):
    enabled: bool
    every_time: bool  #: `frequencyInterval` `everyTime`
    hours: float | None  #: the timed value in hours (None: no timed value)


class Policy(NamedTuple):
    """A Conditional Access policy, as far as the resilience rules read it."""

    id: str
    name: str
    state: str  #: `enabled`, `disabled`, `enabledForReportingButNotEnforced`
    include_users: tuple[str, ...]
    exclude_users: tuple[str, ...]
    include_groups: tuple[str, ...]
    exclude_groups: tuple[str, ...]
    include_roles: tuple[str, ...]
    exclude_roles: tuple[str, ...]
    include_apps: tuple[str, ...]
    operator: str  #: `AND` or `OR`
    controls: tuple[str, ...]  #: `builtInControls`, lower case
    strength: bool  #: an authentication strength is required
    disable_resilience_defaults: bool
    sign_in_frequency: SignInFrequency | None
    cae_mode: str  #: `continuousAccessEvaluation.mode` (beta), "" when not set
    line: int

    @property
    def enforced(self) -> bool:
        """On (not off, not report-only)."""
        return self.state.casefold() == "enabled"

    @property
    def all_users(self) -> bool:
        return ALL in self.include_users

    @property
    def all_apps(self) -> bool:
        return ALL in self.include_apps

    def scope(self) -> str:
        """`all users` or `2 groups, 1 role`: who the policy applies to."""
        if self.all_users:
            return "all users"
        parts = [(len(self.include_users), "user"), (len(self.include_groups), "group"), (len(self.include_roles), "role")]
        return ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in parts if n) or "nobody"


def policies(records: list[dict[str, Any]], lines: dict[str, int]) -> list[Policy]:
    """Conditional Access policies."""
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, "policy")
        policy_id = _text(record, "id", what)
        conditions = _object(record, "conditions", what)
        users = _object(conditions, "users", what)
        apps = _object(conditions, "applications", what)
        grant = _object(record, "grantControls", what)
        session = _object(record, "sessionControls", what)
        frequency = _object(session, "signInFrequency", what)
        sif = None
        if frequency:
            value = frequency.get("value")
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{what}: signInFrequency.value must be a number, not {json.dumps(value)[:40]}")
            unit = _text(frequency, "type", what).casefold()
            hours = None if value is None else float(value) * (24 if unit == "days" else 1)
            sif = SignInFrequency(
                _bool(frequency, "isEnabled", what) is not False,
                _text(frequency, "frequencyInterval", what).casefold() == "everytime",
                hours,
            )
        cae = _object(session, "continuousAccessEvaluation", what)
        found.append(
            Policy(
                policy_id,
                _text(record, "displayName", what),
                _text(record, "state", what),
                _strings(users, "includeUsers", what),
                _strings(users, "excludeUsers", what),
                _strings(users, "includeGroups", what),
                _strings(users, "excludeGroups", what),
                _strings(users, "includeRoles", what),
                _strings(users, "excludeRoles", what),
                _strings(apps, "includeApplications", what),
                (_text(grant, "operator", what) or "OR").upper(),
                tuple(c.casefold() for c in _strings(grant, "builtInControls", what)),
                bool(_object(grant, "authenticationStrength", what)),
                _bool(session, "disableResilienceDefaults", what) is True,
                sif,
                _text(cae, "mode", what),
                lines.get(policy_id, 1),
            )
        )
    return found


# ---- the groups and users Conditional Access names ---------------------------------------------------


class User(NamedTuple):
    """A user Conditional Access names, or a member of a group it names: ids and names only."""

    id: str
    name: str
    upn: str  #: `userPrincipalName`, "" when not read
    line: int = 1
    user: bool = True  #: a user (a member may be a group, a device, a service principal)

    def label(self) -> str:
        return self.upn or self.name or self.id


class Group(NamedTuple):
    id: str
    name: str
    members: tuple[User, ...]
    line: int


def users(records: list[dict[str, Any]], lines: dict[str, int]) -> list[User]:
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, "user")
        user_id = _text(record, "id", what)
        found.append(User(user_id, _text(record, "displayName", what), _text(record, "userPrincipalName", what), lines.get(user_id, 1)))
    return found


def groups(records: list[dict[str, Any]], lines: dict[str, int]) -> list[Group]:
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, "group")
        members = record.get("members") or []
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise ValueError(f"{what}: members must be a list of directory objects")
        group_id = _text(record, "id", what)
        read = tuple(
            User(
                _text(m, "id", f"{what} member {j}"),
                _text(m, "displayName", f"{what} member {j}"),
                _text(m, "userPrincipalName", f"{what} member {j}"),
                user=_text(m, "@odata.type", f"{what} member {j}").casefold() in ("", "#microsoft.graph.user"),
            )
            for j, m in enumerate(members, 1)
        )
        found.append(Group(group_id, _text(record, "displayName", what), read, lines.get(group_id, 1)))
    return found


# ---- hybrid ----------------------------------------------------------------------------------------


class Domain(NamedTuple):
    id: str  #: the domain name
    federated: bool  #: `authenticationType` `Federated`
    line: int


def domains(records: list[dict[str, Any]], lines: dict[str, int]) -> list[Domain]:
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, "domain")
        name = _text(record, "id", what)
        found.append(Domain(name, _text(record, "authenticationType", what).casefold() == "federated", lines.get(name, 1)))
    return found


class Organization(NamedTuple):
    id: str
    name: str
    tenant_type: str  #: `AAD`, `AAD B2C`, `CIAM` (beta); "" when not given
    sync_enabled: bool | None  #: `onPremisesSyncEnabled` (null: never synced)
    last_sync: dt.datetime | None
    last_password_sync: dt.datetime | None  #: beta `onPremisesLastPasswordSyncDateTime`
    line: int
    #: the record has `onPremisesLastPasswordSyncDateTime` (null or not): read from Graph beta
    password_sync_read: bool = False


def organization(records: list[dict[str, Any]], lines: dict[str, int]) -> Organization | None:
    from toolkit.tenant.load import parse_date

    if not records:
        return None
    record = records[0]
    what = _where(record, 1, "organization")
    dates = []
    for field in ("onPremisesLastSyncDateTime", "onPremisesLastPasswordSyncDateTime"):
        try:
            dates.append(parse_date(record.get(field)))
        except ValueError as exc:
            raise ValueError(f"{what}: {field} {exc}") from None
    org_id = _text(record, "id", what)
    return Organization(
        org_id,
        _text(record, "displayName", what),
        _text(record, "tenantType", what),
        _bool(record, "onPremisesSyncEnabled", what),
        dates[0],
        dates[1],
        lines.get(org_id, 1),
        "onPremisesLastPasswordSyncDateTime" in record,
    )


def password_sync(records: list[dict[str, Any]]) -> bool | None:
    """`features.passwordSyncEnabled` of the directory sync settings (None: not said)."""
    for i, record in enumerate(records, 1):
        features = _object(record, "features", f"onPremisesSynchronization {i}")
        value = _bool(features, "passwordSyncEnabled", f"onPremisesSynchronization {i}")
        if value is not None:
            return value
    return None


class Agent(NamedTuple):
    """A pass-through authentication agent or an Application Proxy connector."""

    id: str
    machine: str
    active: bool  #: `status` `active`
    line: int


def agents(records: list[dict[str, Any]], lines: dict[str, int], kind: str = "agent") -> list[Agent]:
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, kind)
        agent_id = _text(record, "id", what)
        found.append(
            Agent(
                agent_id, _text(record, "machineName", what), _text(record, "status", what).casefold() == "active", lines.get(agent_id, 1)
            )
        )
    return found


class ConnectorGroup(NamedTuple):
    id: str
    name: str
    default: bool
    connectors: list[Agent]
    line: int


def connector_groups(records: list[dict[str, Any]], lines: dict[str, int]) -> list[ConnectorGroup]:
    found = []
    for i, record in enumerate(records, 1):
        what = _where(record, i, "connector group")
        members = record.get("members") or []
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise ValueError(f"{what}: members must be a list of connectors")
        group_id = _text(record, "id", what)
        found.append(
            ConnectorGroup(
                group_id,
                _text(record, "name", what),
                _bool(record, "isDefault", what) is True,
                agents(members, {}, "connector"),
                lines.get(group_id, 1),
            )
        )
    return found


# ---- B2B ---------------------------------------------------------------------------------------------


class InboundTrust(NamedTuple):
    """The cross-tenant inbound trust of the defaults (`tenant` "") or of one partner."""

    tenant: str
    mfa_accepted: bool | None  #: None: the partner inherits the default
    line: int


def inbound_trust(records: list[dict[str, Any]], lines: dict[str, int], partner: bool) -> list[InboundTrust]:
    found = []
    for i, record in enumerate(records, 1):
        what = f"partner {record.get('tenantId') or i}" if partner else "cross-tenant access defaults"
        trust = record.get("inboundTrust")
        if trust is not None and not isinstance(trust, dict):
            raise ValueError(f"{what}: inboundTrust must be an object or null")
        tenant = _text(record, "tenantId", what) if partner else ""
        accepted = _bool(trust, "isMfaAccepted", what) if isinstance(trust, dict) else None
        found.append(InboundTrust(tenant, accepted, lines.get(tenant, 1) if partner else 1))
    return found
