"""What `b2c-toolkit tenant export` reads: one entry per Graph resource, with its endpoint, API
version and the least-privileged application permission that reads it (see docs/tenant-audit.md).

The exporter, the emulator's Graph endpoints, the export loader and the documentation all read this
table, so an endpoint is named in one place.
"""

from __future__ import annotations

from typing import NamedTuple

#: the scope of an app-only Graph token
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_URL = "https://graph.microsoft.com"


class Resource(NamedTuple):
    """One Graph collection the export reads, written to `DIR/{name}.json`."""

    name: str
    version: str  #: "v1.0" or "beta"
    path: str  #: below `https://graph.microsoft.com/{version}`
    permission: str  #: the least-privileged application permission (Microsoft Graph docs)
    tenant: str  #: "b2c", "external-id", "both" or "workforce": where the resource exists
    about: str
    #: one object, not a collection: written as a collection of one record
    single: bool = False
    #: Graph has no application permission for it: `permission` is delegated, and only a signed-in
    #: user's token reads it (`--auth azure-cli` after `az login` as an administrator)
    delegated: bool = False
    #: a relationship read once per record, below the record, stored in the record under its last segment
    below: str = ""
    #: not listed: each object whose id the Conditional Access policies name (`conditions.users`
    #: `include`/`exclude` + this, e.g. `Groups`) is read one by one, its `select`ed fields only
    referenced: str = ""
    select: str = ""

    @property
    def file(self) -> str:
        """The export's file for this resource."""
        return f"{self.name}.json"


B2C_AND_EXTERNAL_ID = (
    Resource(
        "keySets",
        "beta",
        "/trustFramework/keySets",
        "TrustFrameworkKeySet.Read.All",
        "b2c",
        "B2C policy keys: each key's kid, use, kty, nbf, exp",
    ),
    Resource(
        "policies", "beta", "/trustFramework/policies", "Policy.Read.All", "b2c", "uploaded custom policies; their XML in policies/{id}.xml"
    ),
    Resource(
        "applications",
        "v1.0",
        "/applications",
        "Application.Read.All",
        "both",
        "app registrations: appId, names, secret and certificate end dates",
    ),
    Resource("servicePrincipals", "v1.0", "/servicePrincipals", "Application.Read.All", "both", "service principals and their credentials"),
    Resource(
        "identityProviders", "v1.0", "/identity/identityProviders", "IdentityProvider.Read.All", "both", "identity providers (user flows)"
    ),
    Resource(
        "customAuthenticationExtensions",
        "v1.0",
        "/identity/customAuthenticationExtensions",
        "CustomAuthenticationExtension.Read.All",
        "external-id",
        "External ID custom authentication extensions: endpoint, timeout, retries, authentication",
    ),
    Resource(
        "authenticationEventsFlows",
        "v1.0",
        "/identity/authenticationEventsFlows",
        "EventListener.Read.All",
        "external-id",
        "External ID user flows, the extensions they call and their apps",
    ),
    Resource(
        "authenticationEventListeners",
        "v1.0",
        "/identity/authenticationEventListeners",
        "EventListener.Read.All",
        "external-id",
        "External ID event listeners (token issuance start): extension and apps",
    ),
)

#: a Microsoft Entra ID (workforce) tenant: what the resilience rules read (docs/entra-resilience.md)
WORKFORCE = (
    Resource(
        "authenticationMethodsPolicy",
        "v1.0",
        "/policies/authenticationMethodsPolicy",
        "Policy.Read.AuthenticationMethod",
        "workforce",
        "the authentication methods policy: each method's state and the users it targets",
        single=True,
    ),
    Resource(
        "conditionalAccessPolicies",
        "beta",
        "/identity/conditionalAccess/policies",
        "Policy.Read.All",
        "workforce",
        "Conditional Access policies: users, apps, grant and session controls (beta: the CAE session control)",
    ),
    Resource("namedLocations", "v1.0", "/identity/conditionalAccess/namedLocations", "Policy.Read.All", "workforce", "named locations"),
    Resource(
        "securityDefaults",
        "v1.0",
        "/policies/identitySecurityDefaultsEnforcementPolicy",
        "Policy.Read.All",
        "workforce",
        "whether security defaults are on",
        single=True,
    ),
    Resource("domains", "v1.0", "/domains", "Domain.Read.All", "workforce", "domains: managed or federated"),
    Resource(
        "organization",
        "beta",
        "/organization",
        "Organization.Read.All",
        "both",
        "tenant type, directory sync on or off, last sync and last password sync",
    ),
    Resource(
        "onPremisesSynchronization",
        "v1.0",
        "/directory/onPremisesSynchronization",
        "OnPremDirectorySynchronization.Read.All",
        "workforce",
        "directory sync features: password hash sync on or off (delegated only, Global Administrator)",
        single=True,
        delegated=True,
    ),
    Resource(
        "passThroughAuthenticationAgents",
        "beta",
        "/onPremisesPublishingProfiles/authentication/agents",
        "Policy.Read.HybridAuthentication",
        "workforce",
        "pass-through authentication agents: machine and status (delegated only)",
        delegated=True,
    ),
    Resource(
        "connectorGroups",
        "beta",
        "/onPremisesPublishingProfiles/applicationProxy/connectorGroups",
        "Directory.ReadWrite.All",
        "workforce",
        "Application Proxy connector groups and their connectors' status (delegated only)",
        delegated=True,
        below="/members",
    ),
    Resource(
        "conditionalAccessGroups",
        "v1.0",
        "/groups",
        "GroupMember.Read.All",
        "workforce",
        "the groups Conditional Access policies include or exclude, and their members: ids and display names only",
        below="/members",
        referenced="Groups",
        select="id,displayName",
    ),
    Resource(
        "conditionalAccessUsers",
        "v1.0",
        "/users",
        "User.Read.All",
        "workforce",
        "the users Conditional Access policies include or exclude: id, display name and user principal name only",
        referenced="Users",
        select="id,displayName,userPrincipalName",
    ),
    Resource(
        "crossTenantAccessDefault",
        "v1.0",
        "/policies/crossTenantAccessPolicy/default",
        "Policy.Read.All",
        "workforce",
        "cross-tenant access defaults: inbound trust (MFA, compliant and hybrid-joined devices)",
        single=True,
    ),
    Resource(
        "crossTenantAccessPartners",
        "v1.0",
        "/policies/crossTenantAccessPolicy/partners",
        "Policy.Read.All",
        "workforce",
        "cross-tenant access settings per partner tenant",
    ),
)

RESOURCES: tuple[Resource, ...] = B2C_AND_EXTERNAL_ID + WORKFORCE

BY_NAME = {r.name: r for r in RESOURCES}

#: the path of a user flow's linked applications, below the flow (read once per flow)
FLOW_APPLICATIONS = "/conditions/applications/includeApplications"

#: a Conditional Access group's members: what the export keeps of each (`@odata.type` tells users from groups)
MEMBER_FIELDS = ("@odata.type", "id", "displayName", "userPrincipalName")

#: what is never written to an export: secret values Graph may return (`secretText` right after a
#: secret is made, a certificate's `key` bytes on a single-object read, private JWK members, an
#: identity provider's masked `clientSecret`)
SECRET_FIELDS = {
    "passwordCredentials": ("secretText",),
    "keyCredentials": ("key",),
    "keys": ("d", "p", "q", "dp", "dq", "qi", "k"),
}
TOP_LEVEL_SECRETS = ("clientSecret",)
