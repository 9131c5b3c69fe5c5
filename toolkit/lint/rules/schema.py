"""Rules that catch what the B2C service would reject on upload: the official schema, and
declarations that clash across the set or inside one file."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from toolkit.lint.model import PolicySet, key
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import placeholder_in
from toolkit.lint.schema import violations, written

#: attributes whose typed values are often deploy-time placeholders (left to SET001)
PLACEHOLDER_ATTRIBUTES = {"TenantId", "TenantObjectId", "InstrumentationKey", "DeploymentMode"}
#: `{Settings:X}`, `{{ x }}`, `#{x}#`, `$(x)`, `yourtenant`, `<key>`, `-- key here --`, `...`
_PLACEHOLDER = re.compile(r"[{}<>…]|\$\(|#\{|\.\.\.|\byour|\s|--", re.IGNORECASE)

#: element paths whose Id must be unique within one file
UNIQUE_IN_FILE = (
    "ClaimsProviders/ClaimsProvider/TechnicalProfiles/TechnicalProfile",
    "BuildingBlocks/ClaimsSchema/ClaimType",
    "BuildingBlocks/ClaimsTransformations/ClaimsTransformation",
    "BuildingBlocks/ContentDefinitions/ContentDefinition",
    "BuildingBlocks/DisplayControls/DisplayControl",
    "BuildingBlocks/Localization/LocalizedResources",
    "UserJourneys/UserJourney",
    "SubJourneys/SubJourney",
)


@rule("XSD001", "Schema violation", Severity.ERROR, Scope.FILE, "custom-policy-overview")
def schema_violation(f: PolicyFile) -> Iterator[Finding]:
    """The file does not validate against the official `TrustFrameworkPolicy_0.3.0.0.xsd`.

    The service validates every upload against this schema and answers one opaque string; this
    rule says where and what, at the line. The schema is Microsoft's and is not shipped: pass
    `--schema FILE`, set `schema = "..."` in the configuration, or keep the starter pack's copy
    beside the policies (it is found in the linted folders or their parents). Without one the rule
    is skipped, with a note. Its `^…$` pattern anchors, which libxml2 would take literally, are
    corrected in memory. Deploy-time placeholders in `TenantId`, `TenantObjectId`,
    `InstrumentationKey` and `DeploymentMode` are left to the placeholder check.

    Bad::

        <TrustFrameworkPolicy ...>
          <UserJourneys>...</UserJourneys>
          <ClaimsProviders>...</ClaimsProviders>   <!-- ClaimsProviders must come first -->

    Fixed: elements in the schema's order (BasePolicy, BuildingBlocks, ClaimsProviders,
    UserJourneys, SubJourneys, RelyingParty), no stray text, no unknown elements.

    Source: custom policy overview; troubleshoot "Upload policies and policy validation".
    """
    if f.schema is None:
        return
    for v in violations(f.schema, f.root):
        if is_placeholder(v.attribute, v.value) or any(is_placeholder(v.attribute, w) for w in written(f.root, v.line, v.attribute)):
            continue
        yield Finding(f.element_at(v.line), v.message, attr=v.attribute)


def is_placeholder(attribute: str | None, value: str | None) -> bool:
    """A typed value holding a deploy-time placeholder: not a schema problem (see SET001)."""
    if value is None:
        return False
    return bool(placeholder_in(value)) or (attribute in PLACEHOLDER_ATTRIBUTES and bool(_PLACEHOLDER.search(value)))


@rule("INH008", "PolicyId declared twice in the set", Severity.ERROR, Scope.SET, "custom-policy-overview")
def duplicate_policy_id(policy_set: PolicySet) -> Iterator[Finding]:
    """Two files of the linted set declare the same `PolicyId` for the same tenant.

    They would be uploaded to the same policy: the second upload silently replaces the first, and
    which one users get depends on the order of the pipeline.

    Bad: `SignUpOrSignin.xml` and `SignUpOrSignin-v2.xml` both say `PolicyId="B2C_1A_signup_signin"`.

    Fixed: a new PolicyId for the new version (`B2C_1A_signup_signin_v2`), or one file.

    It counts per tenant as the files declare it (`TenantId`); a placeholder tenant
    (`yourtenant.onmicrosoft.com`, `{Settings:Tenant}`) is no tenant and is not counted: lint
    the rendered files (`--settings`) to check them. A samples collection (many
    independent sets, each a copy of the stock PolicyIds, all under one placeholder tenant such
    as `yourtenant.onmicrosoft.com`) is never uploaded to one tenant as a whole: lint each sample
    folder on its own, or switch the rule off for the samples in `pyproject.toml`::

        [tool.b2c-toolkit.lint.per-path-ignores]
        "samples/**" = ["INH008", "INH005"]

    Source: TrustFrameworkPolicy "PolicyId"; best practices "Deploy custom policy".
    """
    seen: dict[tuple[str, str], PolicyFile] = {}
    for f in sorted(policy_set.files, key=lambda f: f.display):
        if not f.policy_id or placeholder_in(f.tenant):
            continue  # a placeholder is no tenant: nothing is uploaded until it is rendered (SET001)
        first = seen.setdefault((key(f.tenant), key(f.policy_id)), f)
        if first is not f:
            yield Finding(
                f.root,
                f"PolicyId {f.policy_id} (tenant {f.tenant}) is also declared by {first.display}; one upload replaces the other",
                attr="PolicyId",
            )


METADATA, ITEM = q("Metadata"), q("Item")


@rule("INH009", "Id declared twice in one file", Severity.ERROR, Scope.FILE, "custom-policy-overview")
def duplicate_id_in_file(f: PolicyFile) -> Iterator[Finding]:
    """One file declares two technical profiles, claim types, claims transformations, content
    definitions, display controls, localized resources, user journeys or sub-journeys with the
    same Id, or one `Metadata` sets the same key twice.

    The upload is rejected. (Redeclaring an Id in a *child* file is the documented way to
    override; inside one file it is a mistake, often a copy-paste.) For a duplicate metadata key
    the service says that a key repeats but not where; the official schema's uniqueness
    constraint on keys selects nothing, so schema validation does not find it either.

    Bad::

        <TechnicalProfile Id="REST-GetLoyalty">...</TechnicalProfile>
        <TechnicalProfile Id="REST-GetLoyalty">...</TechnicalProfile>
        <Item Key="SendClaimsIn">Body</Item> ... <Item Key="SendClaimsIn">QueryString</Item>

    Fixed: one declaration, or two Ids; one item per key.

    Source: custom policy overview "Inheritance model"; troubleshoot "Upload policies and policy validation".
    """
    for path in UNIQUE_IN_FILE:
        seen: dict[str, etree._Element] = {}
        for el in f.root.iterfind(q(path)):
            element_id = el.get("Id", "")
            first = seen.setdefault(element_id.casefold(), el)
            if first is not el and element_id:
                kind = etree.QName(el).localname
                yield Finding(el, f"{kind} Id {element_id!r} is already declared on line {first.sourceline} of this file", attr="Id")
    for metadata in f.root.iter(METADATA):
        items: dict[str, etree._Element] = {}
        for item in metadata.iterfind(ITEM):
            first = items.setdefault(item.get("Key", ""), item)
            if first is not item:
                yield Finding(
                    item, f"Metadata key {item.get('Key')!r} is already set on line {first.sourceline} of this Metadata", attr="Key"
                )
