"""Microsoft Entra ID (workforce) resilience: the infrastructure half of Microsoft's guidance,
"Build resilience in your IAM infrastructure with Microsoft Entra ID", one rule family per area
(credentials, device states, Continuous Access Evaluation and sessions, B2B, hybrid, Application
Proxy). These rules run on a workforce tenant only (the organization's `tenantType` is `AAD`, or
unknown). Where the guidance is a judgement, the rule's text says so and its severity is an info.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from toolkit.lint.problem import Severity
from toolkit.tenant.load import day
from toolkit.tenant.registry import Finding, Skip, rule
from toolkit.tenant.workforce import Agent, Policy

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

CREDENTIALS = "entra/architecture/resilience-in-credentials"
DEVICES = "entra/architecture/resilience-with-device-states"
CAE = "entra/architecture/resilience-with-continuous-access-evaluation"
RESILIENCE_DEFAULTS = "entra/identity/conditional-access/resilience-defaults"
B2B = "entra/architecture/resilience-b2b-authentication"
HYBRID = "entra/architecture/resilience-in-hybrid"
PTA = "entra/identity/hybrid/connect/how-to-connect-pta-quick-start"
APP_PROXY = "entra/architecture/resilience-on-premises-access"

#: what a method depends on (one outage stops every method of a class): the credentials page's
#: "Voice call and SMS as second factors share the same dependencies"
DEPENDENCY = {
    "sms": "phone",
    "voice": "phone",
    "microsoftauthenticator": "authenticator",
    "fido2": "fido2",
    "softwareoath": "oath",
    "hardwareoath": "oath",
    "x509certificate": "certificate",
}
#: phishing-resistant or usable without a network on the user's side (the issue's list, from the
#: credentials page: passkeys/FIDO2, Authenticator, TOTP and OATH tokens "have the fewest dependencies")
STRONG = {"microsoftauthenticator", "fido2", "softwareoath", "hardwareoath", "x509certificate"}
#: grant controls that a device state satisfies (casefolded → as Graph writes them)
DEVICE_CONTROLS = {"compliantdevice": "compliantDevice", "domainjoineddevice": "domainJoinedDevice"}


def _file(audit: Audit, resource: str) -> str:
    return audit.export.path(f"{resource}.json")


def _policy_finding(audit: Audit, policy: Policy, message: str, severity: Severity | None = None) -> Finding:
    return Finding(
        _file(audit, "conditionalAccessPolicies"),
        policy.line,
        f"Conditional Access policy {policy.name or policy.id}: {message}",
        f"conditionalAccessPolicies/{policy.id}",
        policy.name or policy.id,
        severity,
    )


# ---- credentials ----------------------------------------------------------------------------------


@rule(
    "MFA001",
    "MFA rests on one method or one dependency",
    Severity.WARNING,
    ("authenticationMethodsPolicy",),
    CREDENTIALS,
    area="credentials",
)
def single_dependency(audit: Audit) -> Iterator[Finding]:
    """The authentication methods policy enables second factors of one kind only: a single method,
    or only SMS and voice call.

    Microsoft's credentials guidance: provision methods "that avoid a single point of failure",
    let users register "as many second factor options as possible" with different dependencies, and
    "Voice call and SMS as second factors share the same dependencies, so having them as the only
    options doesn't mitigate risk". With one kind, one outage (the phone carrier, the push service)
    stops every sign-in that asks for MFA. Methods counted: SMS and voice (one dependency: the
    phone network), Microsoft Authenticator, FIDO2 security keys and passkeys, software and
    hardware OATH tokens, certificate-based authentication. Email one-time passcodes and the
    Temporary Access Pass are not second factors for members and are not counted.

    Bad: only `Sms` and `Voice` are `enabled`. Fixed: enable Microsoft Authenticator and FIDO2 (or
    OATH tokens) too, for all users.

    Source: Microsoft Entra architecture, "Build resilience with credential management".
    """
    enabled = [m for m in audit.export.methods or [] if m.enabled and m.id.casefold() in DEPENDENCY]
    kinds = {DEPENDENCY[m.id.casefold()] for m in enabled}
    if not enabled:
        message = "no second-factor method is enabled: MFA cannot be satisfied at all"
    elif kinds == {"phone"}:
        message = f"only {' and '.join(m.id for m in enabled)} are enabled: one phone-network outage stops every MFA sign-in"
    elif len(enabled) == 1:
        message = f"only {enabled[0].id} is enabled: one outage of it stops every MFA sign-in"
    else:
        return
    yield Finding(_file(audit, "authenticationMethodsPolicy"), 1, message, "authenticationMethodsPolicy", "authenticationMethodsPolicy")


@rule(
    "MFA002",
    "No phishing-resistant or offline-capable method for all users",
    Severity.WARNING,
    ("authenticationMethodsPolicy",),
    CREDENTIALS,
    area="credentials",
)
def no_strong_method(audit: Audit) -> Iterator[Finding]:
    """No phishing-resistant or offline-capable method is enabled for all users: neither Microsoft
    Authenticator, FIDO2 security keys or passkeys, software or hardware OATH tokens nor
    certificate-based authentication targets `all_users` in the authentication methods policy.

    Microsoft's credentials guidance calls passwordless methods (passkeys, FIDO2, Windows Hello for
    Business) the most resilient, and says the Authenticator app and TOTP or OATH tokens "have the
    fewest dependencies and are, therefore, more resilient" as second factors. A method enabled for
    a pilot group only does not help everybody else.

    Bad: `Fido2` enabled for one group, `Sms` for `all_users`. Fixed: `MicrosoftAuthenticator` or
    `Fido2` with an `includeTargets` entry `all_users`.

    Source: Microsoft Entra architecture, "Build resilience with credential management".
    """
    methods = audit.export.methods or []
    if any(m.enabled and m.all_users and m.id.casefold() in STRONG for m in methods):
        return
    for_some = sorted(m.id for m in methods if m.enabled and m.id.casefold() in STRONG)
    tail = f" ({', '.join(for_some)} only for some groups)" if for_some else ""
    yield Finding(
        _file(audit, "authenticationMethodsPolicy"),
        1,
        f"no phishing-resistant or offline-capable method (Authenticator, FIDO2/passkeys, OATH, certificates) is enabled for all users{tail}",
        "authenticationMethodsPolicy/strong",
        "authenticationMethodsPolicy",
    )


# ---- Conditional Access: resilience defaults and sessions -------------------------------------------


@rule(
    "CA001",
    "Conditional Access policy disables resilience defaults",
    Severity.WARNING,
    ("conditionalAccessPolicies",),
    RESILIENCE_DEFAULTS,
    area="cae",
)
def resilience_defaults(audit: Audit) -> Iterator[Finding]:
    """An enabled Conditional Access policy has the session control `disableResilienceDefaults`
    set to `true`.

    During an outage of the primary authentication service, the backup authentication system
    extends existing sessions by enforcing Conditional Access with the data it has (resilience
    defaults). Microsoft "highly recommends" keeping them on. With them disabled, users the policy
    applies to are refused when the primary service is down; Microsoft's page warns that disabling
    them in a policy that targets groups or roles reduces resilience for all users. Disabling them for a few highly sensitive apps is a documented
    trade-off: suppress the finding there (`per-path-ignores` or the baseline).

    Bad: `"sessionControls": {"disableResilienceDefaults": true}`. Fixed: `false` (the default).

    Source: Microsoft Entra Conditional Access, "Resilience defaults"; "Microsoft Entra backup
    authentication system".
    """
    for policy in audit.export.ca_policies or []:
        if policy.enforced and policy.disable_resilience_defaults:
            worse = " (targets groups or roles: Microsoft warns this weakens resilience for all users)" if not policy.all_users else ""
            yield _policy_finding(
                audit, policy, f"disableResilienceDefaults is true for {policy.scope()}: sessions are not extended in an outage{worse}"
            )


@rule(
    "DEV001",
    "Compliant or hybrid-joined device required for every app and user",
    Severity.INFO,
    ("conditionalAccessPolicies",),
    DEVICES,
    area="devices",
)
def device_only(audit: Audit) -> Iterator[Finding]:
    """An enabled Conditional Access policy for all users and all apps requires a compliant or
    hybrid-joined device with no alternative (the device control alone, or with `AND`).

    A trade-off, so an info. Microsoft's device-state guidance recommends device states: a Primary
    Refresh Token on a joined device satisfies device and MFA controls without a prompt, which makes
    sign-in more resilient to an MFA or phone-carrier outage. Required everywhere with no
    alternative, though, every sign-in also depends on the device's state being reported (Intune
    compliance, hybrid join through sync): an unenrolled or newly reset device, or a compliance
    outage, locks the user out of everything. A policy offering `mfa` `OR` a device control keeps
    the benefit and a second way in; emergency-access accounts belong in its exclusions.

    Bad: `"grantControls": {"operator": "OR", "builtInControls": ["compliantDevice"]}` for `All`
    users and apps. Fixed: `["mfa", "compliantDevice"]` with `OR`, or the device control for the
    apps that need it.

    Source: Microsoft Entra architecture, "Build resilience with device states".
    """
    for policy in audit.export.ca_policies or []:
        if not (policy.enforced and policy.all_users and policy.all_apps):
            continue
        devices = {DEVICE_CONTROLS[c] for c in policy.controls if c in DEVICE_CONTROLS}
        others = set(policy.controls) - set(DEVICE_CONTROLS)
        if devices and (policy.operator == "AND" or not others) and "block" not in policy.controls:
            yield _policy_finding(
                audit,
                policy,
                f"every sign-in to every app needs {' or '.join(sorted(devices))}"
                " with no other way in: a device-state problem locks users out of everything",
            )


@rule(
    "CA002",
    "Sign-in frequency under an hour for all users",
    Severity.WARNING,
    ("conditionalAccessPolicies",),
    "entra/identity/authentication/concepts-azure-multi-factor-authentication-prompts-session-lifetime",
    area="cae",
)
def sign_in_frequency(audit: Audit) -> Iterator[Finding]:
    """An enabled Conditional Access policy for all users sets a sign-in frequency shorter than an
    hour: the `everyTime` interval, or a timed value under one hour.

    Microsoft's infrastructure guidance: every authentication call can be disrupted, so "reducing
    the number of authentication calls" matters to resilience, balanced against fewer policy
    evaluations. A sign-in frequency this short makes every user authenticate again and again, and
    the backup authentication system does not cover sign-in frequency (its sessions cannot be
    extended in an outage). For sensitive actions, scope `everyTime` to the apps or risk levels
    that need it.

    Bad: `"signInFrequency": {"isEnabled": true, "frequencyInterval": "everyTime"}` for `All`
    users. Fixed: a timed frequency in hours or days, or the control on the sensitive apps only.

    Source: "Build resilience in your IAM infrastructure with Microsoft Entra ID"; "Optimize
    reauthentication prompts and understand session lifetime for Microsoft Entra multifactor
    authentication"; "Microsoft Entra backup authentication system".
    """
    for policy in audit.export.ca_policies or []:
        sif = policy.sign_in_frequency
        if not (policy.enforced and policy.all_users and sif is not None and sif.enabled):
            continue
        if sif.every_time:
            what = "every sign-in (everyTime)"
        elif sif.hours is not None and sif.hours < 1:
            what = f"every {sif.hours * 60:g} minutes"
        else:
            continue
        apps = "all apps" if policy.all_apps else f"{len(policy.include_apps)} app(s)"
        yield _policy_finding(audit, policy, f"all users must sign in again at {what} for {apps}: many more authentication calls")


@rule(
    "CAE001",
    "Continuous Access Evaluation turned off",
    Severity.WARNING,
    ("conditionalAccessPolicies",),
    CAE,
    area="cae",
)
def cae_disabled(audit: Audit) -> Iterator[Finding]:
    """An enabled Conditional Access policy turns Continuous Access Evaluation off with the session
    control `continuousAccessEvaluation` `mode: disabled` (Graph beta).

    Microsoft's CAE guidance: CAE lets Microsoft Entra ID issue longer-lived tokens while apps can
    still revoke access on critical events; "the net result of this pattern is fewer calls to
    acquire tokens, which means that the end-to-end flow is more resilient". Turned off, CAE-capable
    clients get ordinary lifetimes and ask for tokens more often. A warning when the policy covers
    all users and all apps; an info when it is scoped (turning CAE off for a few users or apps with
    a compatibility problem is a reasonable choice).

    Bad: `"sessionControls": {"continuousAccessEvaluation": {"mode": "disabled"}}`. Fixed: no CAE
    session control (CAE on), or `strictEnforcement`.

    Source: Microsoft Entra architecture, "Build resilience by using Continuous Access Evaluation".
    """
    for policy in audit.export.ca_policies or []:
        if policy.enforced and policy.cae_mode.casefold() == "disabled":
            broad = policy.all_users and policy.all_apps
            yield _policy_finding(
                audit,
                policy,
                f"turns Continuous Access Evaluation off for {policy.scope()}"
                f"{' and all apps' if policy.all_apps else ''}: shorter tokens, more token requests",
                None if broad else Severity.INFO,
            )


# ---- B2B ---------------------------------------------------------------------------------------------


@rule(
    "B2B001",
    "Cross-tenant access does not trust partners' MFA",
    Severity.INFO,
    ("crossTenantAccessDefault",),
    "entra/external-id/cross-tenant-access-settings-b2b-collaboration",
    area="b2b",
)
def mfa_not_trusted(audit: Audit) -> Iterator[Finding]:
    """The cross-tenant access defaults (or a partner's settings) do not trust MFA done in the
    guest's home tenant (`inboundTrust.isMfaAccepted` is not `true`).

    What the guidance says, plainly: Microsoft's B2B resilience page ("Build resilience in external
    user authentication") says that with every external identity provider you depend on its
    availability, and asks you to maintain social providers' client ids and secrets, SAML/WS-Fed
    metadata and certificates, and self-service sign-up API connectors. It does not mention
    cross-tenant access settings. This rule is the toolkit's inference from it: when your tenant
    does not accept the home tenant's MFA, a guest who signed in with MFA at home must register and
    perform MFA in your tenant as well, one more dependency (and one more registration) on every
    guest sign-in. Trusting it is a security decision about your partners, so an info.

    Bad: `"inboundTrust": {"isMfaAccepted": false}` in the defaults. Fixed: `true` in the defaults,
    or for the partner tenants you trust.

    Source: Microsoft Entra architecture, "Build resilience in external user authentication";
    Microsoft Graph `crossTenantAccessPolicyInboundTrust`.
    """
    for trust in audit.export.trust_default or []:
        if trust.mfa_accepted is not True:
            yield Finding(
                _file(audit, "crossTenantAccessDefault"),
                trust.line,
                "cross-tenant access defaults do not accept MFA from guests' home tenants:"
                " guests perform MFA again in this tenant (one more dependency per guest sign-in)",
                "crossTenantAccessPolicy/default",
                "default",
            )
    for trust in audit.export.trust_partners or []:
        if trust.mfa_accepted is False:
            yield Finding(
                _file(audit, "crossTenantAccessPartners"),
                trust.line,
                f"partner tenant {trust.tenant}: does not accept MFA from its users' home tenant",
                f"crossTenantAccessPolicy/partners/{trust.tenant}",
                trust.tenant,
            )


# ---- hybrid ---------------------------------------------------------------------------------------------


@rule(
    "HYB001",
    "Federated domain without password hash sync",
    Severity.WARNING,
    ("domains", "onPremisesSynchronization or organization"),
    HYBRID,
    area="hybrid",
)
def federated_without_phs(audit: Audit) -> Iterator[Finding]:
    """A domain is federated (`authenticationType` `Federated`) and password hash sync is off:
    directory sync's `features.passwordSyncEnabled` is not `true`.

    Microsoft's hybrid guidance lists the three methods in order of resilience, password hash sync,
    pass-through authentication, federation, and says federation "has the highest number of on
    premises dependencies and, therefore, the most potential points of failure". Password hash
    sync can run alongside federation and "provides a fallback in case the federation service
    fails" (the credentials page): without it, an AD FS outage stops every sign-in of the domain's
    users, with nothing to switch to.

    Reading `passwordSyncEnabled` needs a delegated export (`--auth azure-cli`, Global
    Administrator). An app-only export falls back on the organization (Graph beta), and says so in
    the finding:

    - directory sync off (`onPremisesSyncEnabled` not `true`): no password hash sync either, a
      warning;
    - `onPremisesLastPasswordSyncDateTime` ("the last time a password sync request was received")
      empty: no password hash sync request ever arrived, a warning;
    - a request within `--sync-age` of the audit date: password hash sync is running, no finding;
    - an older one: an info, because a quiet week without password changes may explain it as well
      as password hash sync turned off (Microsoft documents no heartbeat); a delegated export
      settles it.

    Without either (an export without the organization, or one read from Graph v1.0, which lacks
    that date) the rule is skipped and says so.

    Fixed: turn on password hash sync in Microsoft Entra Connect (it does not change how users
    sign in), and rehearse switching the domain to managed.

    Source: Microsoft Entra architecture, "Build resilience in your hybrid authentication"; "Build
    resilience with credential management"; Microsoft Graph `onPremisesDirectorySynchronizationFeature`
    and `organization` (beta).
    """
    federated = [d for d in audit.export.domains or [] if d.federated]
    if not federated:
        return
    severity: Severity | None = None
    if audit.export.has("onPremisesSynchronization"):
        if audit.export.password_sync is True:
            return
        why = "password hash sync is off"
    else:
        org = audit.export.organization
        if org is None or not org.password_sync_read:
            unread = audit.export.unread.get("onPremisesSynchronization", "not exported")
            raise Skip(
                f"onPremisesSynchronization: {unread}; and the organization gives no onPremisesLastPasswordSyncDateTime"
                " (Graph beta) to fall back on"
            )
        app_only = "passwordSyncEnabled not read: app-only export"
        if org.sync_enabled is not True:
            why = f"directory sync is off (organization onPremisesSyncEnabled), so password hash sync is too ({app_only})"
        elif org.last_password_sync is None:
            why = f"no password hash sync request was ever received (organization onPremisesLastPasswordSyncDateTime is empty; {app_only})"
        elif audit.at - org.last_password_sync <= audit.sync_age:
            return
        else:
            why = (
                f"the last password hash sync request was received {day(org.last_password_sync)}, more than --sync-age before"
                f" {audit.on}: password hash sync may be off ({app_only}; a delegated export reads it)"
            )
            severity = Severity.INFO
    for domain in federated:
        yield Finding(
            _file(audit, "domains"),
            domain.line,
            f"domain {domain.id} is federated and {why}: no cloud fallback when the federation service fails",
            f"domains/{domain.id}",
            domain.id,
            severity,
        )


#: fewest agents for production (Microsoft's PTA quick start: "a minimum of three")
PTA_AGENTS = 3


def _machines(agents: list[Agent]) -> str:
    return ", ".join(a.machine or a.id for a in agents)


@rule(
    "HYB002",
    "Fewer than three active pass-through authentication agents",
    Severity.WARNING,
    ("passThroughAuthenticationAgents",),
    PTA,
    area="hybrid",
)
def pta_agents(audit: Audit) -> Iterator[Finding]:
    """Pass-through authentication agents are registered, but fewer than three are `active`.

    With pass-through authentication, every password sign-in is validated on premises by an
    agent; Microsoft's hybrid guidance asks for a highly available topology, and the PTA quick start
    recommends a minimum of three authentication agents in production (at most 40 per tenant).
    With one agent, a server reboot stops every password sign-in of the synced users. An error
    when none is active.

    Reading the agents needs a delegated export (`--auth azure-cli`); with an app-only export the rule
    is skipped and says so.

    Fixed: install more agents, on servers in different failure domains, and find out why the
    inactive ones stopped.

    Source: Microsoft Entra architecture, "Build resilience in your hybrid authentication";
    "Microsoft Entra pass-through authentication: Quickstart".
    """
    agents = audit.export.pta_agents or []
    if not agents:
        return
    active = [a for a in agents if a.active]
    if len(active) >= PTA_AGENTS:
        return
    inactive = [a for a in agents if not a.active]
    tail = f"; inactive: {_machines(inactive)}" if inactive else ""
    yield Finding(
        _file(audit, "passThroughAuthenticationAgents"),
        (active or agents)[0].line,
        f"{len(active)} of {len(agents)} pass-through authentication agents active"
        f" ({_machines(active) or 'none'}), fewer than {PTA_AGENTS}{tail}",
        "passThroughAuthenticationAgents",
        "passThroughAuthenticationAgents",
        None if active else Severity.ERROR,
    )


@rule(
    "HYB003",
    "Directory sync has not run recently",
    Severity.WARNING,
    ("organization",),
    HYBRID,
    area="hybrid",
)
def sync_age(audit: Audit) -> Iterator[Finding]:
    """Directory sync is on (`onPremisesSyncEnabled`) and its last run
    (`onPremisesLastSyncDateTime`) is older than `--sync-age` (default 24 hours) at the audit date.

    Microsoft's hybrid guidance: password hash sync has on-premises dependencies "only for
    synchronization, not for authentication". A sync that stopped is a failure you do not see at
    sign-in: new staff, leavers, group changes and (with password hash sync) changed passwords stop
    reaching Microsoft Entra ID. The age is a judgement: set `--sync-age` to what your sync schedule
    makes normal.

    Fixed: look at the Microsoft Entra Connect (or Cloud Sync) server and its run history.

    Source: Microsoft Entra architecture, "Build resilience in your hybrid authentication";
    Microsoft Graph `organization` (`onPremisesLastSyncDateTime`).
    """
    org = audit.export.organization
    if org is None or org.sync_enabled is not True:
        return
    if org.last_sync is None:
        message = "directory sync is on but has never reported a run"
    elif audit.at - org.last_sync > audit.sync_age:
        hours = (audit.at - org.last_sync).total_seconds() / 3600
        age = f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"
        message = f"directory sync last ran {day(org.last_sync)}, {age} before {audit.on} (more than --sync-age)"
    else:
        return
    yield Finding(_file(audit, "organization"), org.line, message, f"organization/{org.id}/sync", org.name or org.id)


# ---- Application Proxy ------------------------------------------------------------------------------------

#: fewest active connectors per group (Microsoft's Application Proxy resilience guidance)
CONNECTORS = 2


@rule(
    "APP001",
    "Application Proxy connector group with fewer than two active connectors",
    Severity.WARNING,
    ("connectorGroups",),
    APP_PROXY,
    area="app-proxy",
)
def connector_group(audit: Audit) -> Iterator[Finding]:
    """An Application Proxy connector group has fewer than two `active` connectors.

    Every app published through Application Proxy is reached through the connectors of its group;
    Microsoft's guidance requires "capacity planning and appropriate redundancy for the private
    network connectors" and at least two connectors per group for high availability. With one,
    patching or losing that server stops every app of the group. An error when connectors are
    registered and none is active; an info for a group with no connector at all (unused, or its
    connectors were removed: inactive connectors are removed after ten days).

    Reading connector groups needs a delegated export (`--auth azure-cli`); Microsoft Graph documents
    only `Directory.ReadWrite.All` for it. With an app-only export the rule is skipped and says so.

    Fixed: install a second connector in the group, on another server.

    Source: Microsoft Entra architecture, "Build resilience in application access with Application
    Proxy"; Application Proxy "High availability and load balancing".
    """
    for group in audit.export.connector_groups or []:
        active = [c for c in group.connectors if c.active]
        if len(active) >= CONNECTORS:
            continue
        severity: Severity | None
        if not group.connectors:
            message, severity = "has no connector: an app assigned to it cannot be reached", Severity.INFO
        else:
            inactive = [c for c in group.connectors if not c.active]
            tail = f"; inactive: {_machines(inactive)}" if inactive else ""
            message = f"{len(active)} of {len(group.connectors)} connectors active ({_machines(active) or 'none'}){tail}"
            severity = None if active else Severity.ERROR
        yield Finding(
            _file(audit, "connectorGroups"),
            group.line,
            f"connector group {group.name or group.id}: {message}",
            f"connectorGroups/{group.id}",
            group.name or group.id,
            severity,
        )
