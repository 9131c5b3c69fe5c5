"""Rules on files and how they link: well-formedness, the BasePolicy chain, overridden journeys."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.lint.model import Effective, PolicySet, key
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Rule, Scope, rule, whole_chain_rules
from toolkit.lint.rules.common import placeholder_in

MAX_LEVELS = 10
MAX_FILE_BYTES = 1024 * 1024
MAX_POLICIES = 200


@rule("XML001", "Malformed or unsafe policy file", Severity.ERROR, Scope.LOAD, "custom-policy-overview")
def malformed_xml(_: object) -> Iterator[Finding]:
    """A policy file that is not well-formed XML, or that carries a DOCTYPE.

    B2C rejects the upload of a file it cannot parse, and a DOCTYPE is how XML external entity
    (XXE) and entity-expansion ("billion laughs") attacks are written. The linter never expands
    entities, never loads a DTD and never fetches anything: such a file is reported here, with
    the line where parsing stopped, and the rest of the set is still linted.

    Bad::

        <!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
        <TrustFrameworkPolicy ...>&e;</TrustFrameworkPolicy>

    Fixed: a plain policy file without a DOCTYPE, with every element closed.

    Source: Azure AD B2C custom policy overview; troubleshoot "Upload policies and policy validation".
    """
    return iter(())


@rule("INH001", "Broken or cyclic BasePolicy chain", Severity.ERROR, Scope.SET, "trustframeworkpolicy#base-policy")
def broken_chain(policy_set: PolicySet) -> Iterator[Finding]:
    """A `BasePolicy` names a (TenantId, PolicyId) that no file in the set declares, or the chain loops.

    The service stacks Base → … → relying party, and upload validation "includes the chain of
    files". A missing or stale parent blocks deployment or runs old logic. Files link by
    `BasePolicy` TenantId and PolicyId, not by file name. A base deployed separately (for example
    a shared starter-pack base) can be declared in the configuration:
    `external-bases = ["B2C_1A_TrustFrameworkBase"]`.

    Bad::

        <BasePolicy><TenantId>contoso.onmicrosoft.com</TenantId>
          <PolicyId>B2C_1A_TrustFrameworkExtension</PolicyId></BasePolicy>  <!-- typo -->

    Fixed::

        <BasePolicy><TenantId>contoso.onmicrosoft.com</TenantId>
          <PolicyId>B2C_1A_TrustFrameworkExtensions</PolicyId></BasePolicy>

    Source: TrustFrameworkPolicy "Base policy"; troubleshoot "Upload policies and policy validation".
    """
    skipped = whole_chain_rules()
    ids = ",".join(r.id for r in skipped)
    for f, el, message in policy_set.broken_links:
        yield _with_skipped(policy_set, f, Finding(el, message, skipped=ids), skipped)
    for f, el in policy_set.external_links:
        policy_id = f.base[1] if f.base else ""
        message = f"base policy {policy_id} is declared in external-bases; pass its folder with --base-path to check the whole chain"
        yield _with_skipped(policy_set, f, Finding(el, message, severity=Severity.INFO, skipped=ids), skipped)


def _with_skipped(policy_set: PolicySet, f: PolicyFile, finding: Finding, skipped: list[Rule]) -> Finding:
    """The finding naming the relying parties above the broken link and the checks not run on them."""
    leaves = [g for g in policy_set.leaves_through(f) if g.root.find(q("RelyingParty")) is not None]
    if not leaves:
        return finding
    families = ", ".join(r.id + (f" ({r.partial_chain})" if r.partial_chain else "") for r in skipped)
    one = len(leaves) == 1
    message = f"{finding.message}; on the {'relying party' if one else f'{len(leaves)} relying parties'} above it, these rules need the whole chain and were skipped: {families}"
    return finding._replace(message=message, policies=tuple(g.policy_id or g.display for g in leaves))


@rule("INH002", "TenantId inconsistent across chain", Severity.ERROR, Scope.CHAIN, "troubleshoot")
def tenant_mismatch(policy: Effective) -> Iterator[Finding]:
    """A file's `TenantId` differs from its `BasePolicy/TenantId` or from other files of the chain,
    or its `PublicPolicyUri` names another tenant.

    "Check that the TenantId value in the <TrustFrameworkPolicy> and <BasePolicy> elements match
    your target Azure AD B2C tenant." A half-renamed set is the usual cause of a failed
    dev → test → prod promotion.

    Bad::

        <TrustFrameworkPolicy TenantId="fabrikam.onmicrosoft.com" PolicyId="B2C_1A_signup_signin"
            PublicPolicyUri="http://fabrikam.onmicrosoft.com/B2C_1A_signup_signin">
          <BasePolicy><TenantId>contoso.onmicrosoft.com</TenantId>...</BasePolicy>

    Fixed: the same tenant in every file of the chain (templatize it per environment).

    Source: troubleshoot "User is currently logged as a user of…"; TrustFrameworkPolicy attributes.
    """
    # a placeholder is no tenant yet (SET001): nothing to compare until it is rendered
    tenants = {key(f.tenant) for f in policy.files if f.tenant and not placeholder_in(f.tenant)}
    for f in policy.files:
        if placeholder_in(f.tenant):
            continue
        base = f.root.find(q("BasePolicy/TenantId"))
        if base is not None and key(base.text or "") != key(f.tenant) and not placeholder_in(base.text or ""):
            yield Finding(base, f"BasePolicy TenantId {(base.text or '').strip()!r} differs from this file's TenantId {f.tenant!r}")
        elif len(tenants) > 1 and f is policy.chain.leaf:
            names = ", ".join(sorted(tenants))
            yield Finding(f.root, f"files of this chain target different tenants: {names}", attr="TenantId")
        uri = f.root.get("PublicPolicyUri")
        # Only the tenant is checked: deployed samples omit the PolicyId from the URI.
        if uri and f.tenant and key(f.tenant) not in key(uri):
            yield Finding(f.root, f"PublicPolicyUri {uri!r} does not name the tenant {f.tenant!r}", attr="PublicPolicyUri")


@rule("INH003", "Inheritance deeper than 10 levels", Severity.ERROR, Scope.CHAIN, "service-limits")
def too_deep(policy: Effective) -> Iterator[Finding]:
    """A chain has more than 10 files from the root down to the relying party.

    "Levels of inheritance in custom policies | 10"; "you can add more inheritance levels (up to
    10 in total)". The upload of the eleventh level fails.

    Bad: Base → Localization → Extensions → 8 more layers → RP (12 files).

    Fixed: fold intermediate layers together; keep Base → Localization → Extensions → RP.

    Source: service limits "Azure AD B2C configuration limits"; custom policy overview "Inheritance model".
    """
    if len(policy.files) > MAX_LEVELS:
        leaf = policy.chain.leaf
        yield Finding(leaf.root, f"inheritance chain has {len(policy.files)} levels (limit {MAX_LEVELS})")


@rule("INH004", "Invalid root attributes", Severity.ERROR, Scope.FILE, "trustframeworkpolicy")
def root_attributes(f: PolicyFile) -> Iterator[Finding]:
    """The `TrustFrameworkPolicy` root lacks a required attribute or has a value B2C refuses.

    "This identifier must be prefixed by B2C_1A_" (PolicyId); PolicySchemaVersion "must be
    0.3.0.0"; TenantId and PublicPolicyUri are required. Values that are deploy-time placeholders
    (`{Settings:X}`) are left to the placeholder check.

    Bad::

        <TrustFrameworkPolicy PolicySchemaVersion="0.3.0.1" TenantId="contoso.onmicrosoft.com"
            PolicyId="signup_signin">

    Fixed::

        <TrustFrameworkPolicy PolicySchemaVersion="0.3.0.0" TenantId="contoso.onmicrosoft.com"
            PolicyId="B2C_1A_signup_signin"
            PublicPolicyUri="http://contoso.onmicrosoft.com/B2C_1A_signup_signin">

    Source: TrustFrameworkPolicy attribute table.
    """
    root = f.root
    for attr in ("TenantId", "PolicyId", "PublicPolicyUri", "PolicySchemaVersion"):
        if not root.get(attr, "").strip():
            yield Finding(root, f"required attribute {attr} is missing")
    policy_id = root.get("PolicyId", "")
    if policy_id and not policy_id.startswith("{") and not policy_id.upper().startswith("B2C_1A_"):
        yield Finding(root, f"PolicyId {policy_id!r} must start with B2C_1A_", attr="PolicyId")
    version = root.get("PolicySchemaVersion", "")
    if version and version != "0.3.0.0":
        yield Finding(root, f"PolicySchemaVersion must be 0.3.0.0, not {version!r}", attr="PolicySchemaVersion")


@rule("INH005", "File or tenant size limits", Severity.ERROR, Scope.SET, "service-limits")
def size_limits(policy_set: PolicySet) -> Iterator[Finding]:
    """A policy file is larger than 1024 KB, or the set holds more than 200 policies (warning).

    "Maximum policy file size | 1024 KB"; "Number of policies per Azure AD B2C tenant (user flows
    + custom policies) | 200". Either stops the next deployment.

    Bad: one 1.3 MB Base file with every localization inlined.

    Fixed: move localized strings into a Localization file between Base and Extensions.

    The policy count is per tenant as the files declare it (`TenantId`); a placeholder tenant
    (`yourtenant.onmicrosoft.com`, `{Settings:Tenant}`) is not counted. A samples collection
    (many independent sets under one placeholder tenant such as `yourtenant.onmicrosoft.com`) is
    never deployed to one tenant: lint each sample folder on its own, or switch the rule off for
    the samples in `pyproject.toml` (the file-size check then goes too)::

        [tool.b2c-toolkit.lint.per-path-ignores]
        "samples/**" = ["INH005", "INH008"]

    Source: service limits "Azure AD B2C configuration limits".
    """
    for f in policy_set.files:
        if f.size > MAX_FILE_BYTES:
            yield Finding(f.root, f"file is {f.size // 1024} KB; B2C refuses policy files over 1024 KB")
    tenants: dict[str, list[PolicyFile]] = {}
    for f in policy_set.files:
        if not placeholder_in(f.tenant):  # a placeholder is no tenant (SET001)
            tenants.setdefault(key(f.tenant), []).append(f)
    for files in tenants.values():
        if len(files) > MAX_POLICIES:
            yield Finding(
                files[-1].root,
                f"{len(files)} policies target tenant {files[-1].tenant!r}; a tenant holds at most {MAX_POLICIES}",
                severity=Severity.WARNING,
            )


@rule(
    "INH006",
    "UserJourney or SubJourney overridden in place",
    Severity.WARNING,
    Scope.CHAIN,
    "custom-policy-overview#best-practices",
    per_content=True,
)
def journey_overridden(policy: Effective) -> Iterator[Finding]:
    """The same `UserJourney/@Id` (or `SubJourney/@Id`) is declared in more than one file of a chain.

    Best practice: "copy the entire user journey from the base policy to the extension policy.
    Provide a unique user journey ID". Policies are cached for up to 30 minutes, so changing a
    live journey in place races the cache; publish a new journey Id and repoint
    `DefaultUserJourney` instead.

    Bad: Extensions redeclares `<UserJourney Id="SignUpOrSignIn">` from Base, changing step 4.

    Fixed::

        <UserJourney Id="SignUpOrSignIn-v2"> ... all steps ... </UserJourney>
        <DefaultUserJourney ReferenceId="SignUpOrSignIn-v2" />

    Source: custom policy overview "Best practices"; best practices "Deploy custom policy".
    """
    for journey in [*policy.user_journeys.values(), *policy.sub_journeys.values()]:
        if len(journey.decls) > 1:
            first = policy.file_of(journey.decls[0])
            for decl in journey.decls[1:]:
                yield Finding(
                    decl,
                    f"{journey.tag} {journey.id!r} is already declared in {first.display}; copy it under a new Id instead of overriding it in place",
                )
