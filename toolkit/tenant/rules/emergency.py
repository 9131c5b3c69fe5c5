"""Emergency access: the break-glass accounts that get an administrator in when the usual sign-in
(federation, MFA, a Conditional Access policy gone wrong) fails. The accounts are named with
`tenant audit --emergency-access` (user ids or user principal names, or a group id or name) or
`emergency-access` in `[tool.b2c-toolkit.audit]`; without them these rules are skipped and the
report says why. They read the groups and users the Conditional Access policies include or exclude
(`conditionalAccessGroups`, `conditionalAccessUsers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from toolkit.lint.problem import Severity
from toolkit.tenant.audit import EMERGENCY
from toolkit.tenant.registry import Finding, rule
from toolkit.tenant.workforce import Group, Policy, User

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

EMERGENCY_PAGE = "entra/identity/role-based-access-control/security-emergency-access"
REQUIRES = ("conditionalAccessPolicies", "conditionalAccessGroups", "conditionalAccessUsers", EMERGENCY)
#: fewest emergency-access accounts ("Create two or more emergency access accounts")
ACCOUNTS = 2
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Emergency(NamedTuple):
    """The emergency-access accounts as named, resolved against the export."""

    accounts: list[User]  #: users; one named by a UPN or id the export does not hold has only that
    groups: list[Group]  #: the groups named (their user members are in `accounts`)
    unknown: list[str]  #: names that are no group of the export, and no user id or UPN either


def emergency(audit: Audit) -> Emergency:
    """Resolve `--emergency-access` against the exported groups and users."""
    groups = audit.export.ca_groups or []
    by_group = {g.id.casefold(): g for g in groups} | {g.name.casefold(): g for g in groups if g.name}
    known: dict[str, User] = {}
    for user in [*(audit.export.ca_users or []), *(m for g in groups for m in g.members if m.user)]:
        for key in (user.id, user.upn):
            if key:
                known.setdefault(key.casefold(), user)
    accounts: dict[str, User] = {}
    named: list[Group] = []
    unknown: list[str] = []
    for entry in audit.emergency_access:
        key = entry.strip().casefold()
        if key in by_group:
            named.append(by_group[key])
            for member in by_group[key].members:
                if member.user:
                    accounts.setdefault((member.id or member.upn).casefold(), member)
        elif key in known:
            user = known[key]
            accounts.setdefault((user.id or user.upn).casefold(), user)
        elif "@" in key:
            accounts.setdefault(key, User("", "", entry.strip()))
        elif _GUID.fullmatch(key):
            accounts.setdefault(key, User(entry.strip(), "", ""))
        else:
            unknown.append(entry.strip())
    return Emergency(list(accounts.values()), named, unknown)


def _names(users: list[User]) -> str:
    return ", ".join(u.label() for u in users) or "none"


@rule(
    "EMR001",
    "Fewer than two emergency-access accounts",
    Severity.WARNING,
    REQUIRES,
    EMERGENCY_PAGE,
    area="credentials",
)
def too_few(audit: Audit) -> Iterator[Finding]:
    """The emergency-access accounts named with `--emergency-access` (or `emergency-access` in
    `[tool.b2c-toolkit.audit]`) are fewer than two: one user, or a group with fewer than two user
    members.

    Microsoft's "Manage emergency access accounts in Microsoft Entra ID" says to create two or more
    emergency access accounts: cloud-only `*.onmicrosoft.com` users, not federated or synchronized,
    with a permanent (active, not eligible) Global Administrator assignment and a passkey (FIDO2) or
    certificate-based authentication, so that a federation outage, an MFA or phone-carrier outage,
    or a Conditional Access mistake does not lock every administrator out. With one account, a lost
    key or a locked account leaves nobody ("Create a resilient access control management strategy"
    also asks for emergency access accounts). The rule counts accounts only: it cannot see their roles, methods or whether
    they are cloud-only.

    A group is counted through the members the export read: the export reads the groups that
    Conditional Access policies include or exclude, so an emergency-access group no policy names is
    not in the export (and is excluded from no policy: see EMR002); the finding says so. A user id
    or user principal name the export does not hold still counts as one account.

    Bad: `--emergency-access "Emergency access"` for a group with one member. Fixed: a second
    cloud-only account in the group, with its own passkey kept apart from the first one's. The
    example export's `pyproject.toml` names the group (`emergency-access = ["Emergency access"]`).

    Source: Microsoft Entra ID, "Manage emergency access accounts in Microsoft Entra ID"; "Create a
    resilient access control management strategy with Microsoft Entra ID".
    """
    found = emergency(audit)
    if len(found.accounts) >= ACCOUNTS:
        return
    count = len(found.accounts)
    message = f"{count} emergency-access account{'' if count == 1 else 's'} ({_names(found.accounts)}): Microsoft says two or more"
    if found.unknown:
        message += (
            f"; {', '.join(found.unknown)}: no group of that id or name in the export"
            " (the export reads the groups Conditional Access policies include or exclude)"
        )
    if found.groups:
        where, line = audit.export.path("conditionalAccessGroups.json"), found.groups[0].line
    else:
        first = next((u for u in found.accounts if u.line > 1), None)
        where, line = audit.export.path("conditionalAccessUsers.json"), first.line if first else 1
    yield Finding(where, line, message, "emergencyAccess", "emergency-access")


#: the grant controls an emergency-access account can meet with its own passkey
MFA = {"mfa"}


def _mfa_only(policy: Policy) -> bool:
    """The policy asks for MFA (or an authentication strength) and nothing a break-glass account
    cannot bring from a safe: no device state, no approved app, no password change."""
    others = set(policy.controls) - MFA
    if policy.operator == "AND":
        return not others and (bool(policy.controls) or policy.strength)
    return "mfa" in policy.controls or policy.strength


def _excluded(policy: Policy, user: User, groups: dict[str, Group]) -> bool:
    ids = {i.casefold() for i in policy.exclude_users}
    if user.id and user.id.casefold() in ids:
        return True
    for group_id in policy.exclude_groups:
        group = groups.get(group_id.casefold())
        for member in group.members if group is not None else ():
            if (user.id and member.id.casefold() == user.id.casefold()) or (user.upn and member.upn.casefold() == user.upn.casefold()):
                return True
    return False


@rule(
    "EMR002",
    "Conditional Access policy for all users does not exclude the emergency-access accounts",
    Severity.WARNING,
    REQUIRES,
    EMERGENCY_PAGE,
    area="credentials",
)
def not_excluded(audit: Audit) -> Iterator[Finding]:
    """An enabled Conditional Access policy for all users blocks access or requires a grant control,
    and does not exclude one or more of the emergency-access accounts (neither the user, nor a group
    holding it, in `excludeUsers` or `excludeGroups`).

    What the guidance says, plainly, and where it differs. Microsoft's "Manage emergency access
    accounts" page (the copy dated June 2026) says "Exclude emergency access accounts from all
    Conditional Access policies", including phishing-resistant MFA policies, because "a Conditional
    Access policy could block access when you need it most"; the passkey or certificate registered
    for the account secures it instead. "Plan a Conditional Access deployment" and "Create a
    resilient access control management strategy" say the same. An earlier copy of the emergency
    access page (read in February 2026) instead told you to require phishing-resistant MFA for
    these accounts through a Conditional Access policy; and Microsoft's mandatory MFA for the admin
    portals applies to them either way. So the severity follows the control:

    - a warning when the policy blocks, or asks for something a break-glass account cannot bring
      from the safe (a compliant or hybrid-joined device, an approved or compliant app, a password
      change, or MFA only together with one of those): no version of the guidance wants these
      accounts locked out;
    - an info when it asks only for MFA or an authentication strength: the current guidance says
      exclude them, but a team that followed the earlier text and gave the accounts passkeys has a
      documented reason, and the account can still sign in.

    Report-only and disabled policies are not reported; policies for some users, groups or roles
    are not either (the rule cannot see the accounts' roles: exclude them from role-targeted
    policies too).

    Bad: "Block legacy authentication" for `All` users with `excludeGroups: []`. Fixed: the
    emergency-access group in `excludeGroups` of every policy. The example export's
    `pyproject.toml` names the group (`emergency-access = ["Emergency access"]`).

    Source: Microsoft Entra ID, "Manage emergency access accounts in Microsoft Entra ID"; "Plan a
    Conditional Access deployment"; "Create a resilient access control management strategy with
    Microsoft Entra ID".
    """
    found = emergency(audit)
    groups = {g.id.casefold(): g for g in audit.export.ca_groups or []}
    for policy in audit.export.ca_policies or []:
        if not (policy.enforced and policy.all_users and (policy.controls or policy.strength)):
            continue
        missing = [u for u in found.accounts if not _excluded(policy, u, groups)]
        if not missing:
            continue
        block = "block" in policy.controls
        if block:
            what = "blocks all users"
        else:
            asked = [*policy.controls, *(["an authentication strength"] if policy.strength else [])]
            what = f"requires {f' {policy.operator.lower()} '.join(asked)} of all users"
        soft = not block and _mfa_only(policy)
        tail = " (MFA only: the current guidance says exclude them, an earlier one said require phishing-resistant MFA)" if soft else ""
        yield Finding(
            audit.export.path("conditionalAccessPolicies.json"),
            policy.line,
            f"Conditional Access policy {policy.name or policy.id}: {what} and does not exclude the emergency-access "
            f"account{'' if len(missing) == 1 else 's'} {_names(missing)}{tail}",
            f"conditionalAccessPolicies/{policy.id}/emergencyAccess",
            policy.name or policy.id,
            Severity.INFO if soft else None,
        )
