"""INH007: every Id a merged chain references is declared somewhere in it, and every override
overrides something a base declares."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from toolkit.lint.model import Effective, Element, key
from toolkit.lint.parse import NS, PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: (XPath-like path below any element, attribute, what it must name) for INH007
_REFERENCES = (
    ("ClaimsExchange", "TechnicalProfileReferenceId", "technical_profiles"),
    ("ValidationTechnicalProfile", "ReferenceId", "technical_profiles"),
    ("IncludeTechnicalProfile", "ReferenceId", "technical_profiles"),
    ("UseTechnicalProfileForSessionManagement", "ReferenceId", "technical_profiles"),
    ("ValidationClaimsExchangeTechnicalProfile", "TechnicalProfileReferenceId", "technical_profiles"),
    ("OrchestrationStep", "CpimIssuerTechnicalProfileReferenceId", "technical_profiles"),
    ("UserJourney", "DefaultCpimIssuerTechnicalProfileReferenceId", "technical_profiles"),
    ("Candidate", "SubJourneyReferenceId", "sub_journeys"),
    ("DefaultUserJourney", "ReferenceId", "user_journeys"),
    ("Endpoint", "UserJourneyReferenceId", "user_journeys"),
    ("OrchestrationStep", "ContentDefinitionReferenceId", "content_definitions"),
    ("InputClaimsTransformation", "ReferenceId", "claims_transformations"),
    ("OutputClaimsTransformation", "ReferenceId", "claims_transformations"),
    ("DisplayClaim", "DisplayControlReferenceId", "display_controls"),
    ("LocalizedResourcesReference", "LocalizedResourcesReferenceId", "localized_resources"),
    ("PredicateValidationReference", "Id", "predicate_validations"),
    ("PredicateReference", "Id", "predicates"),
)
_CLAIM_REF_TAGS = ("InputClaim", "OutputClaim", "PersistedClaim", "DisplayClaim")


@rule("INH007", "Dangling reference after merge", Severity.ERROR, Scope.CHAIN, "technicalprofiles#include-technical-profile")
def dangling_reference(policy: Effective) -> Iterator[Finding]:
    """An Id referenced somewhere in the chain is defined nowhere in the file or its ancestors,
    or `IncludeTechnicalProfile` links form a cycle. A chain of includes deeper than 32 levels is
    a warning: the linter merges only the nearest 32 (B2C sets no limit; real policies use one or
    two, and following a generated chain of thousands made linting quadratic).

    Checked: technical profile references (claims exchanges, validation, include, session
    management, display-control actions, token issuers), sub-journeys, user journeys, content
    definitions (attribute and `ContentDefinitionReferenceId` metadata), claims transformations,
    display controls, localized resources, predicates, predicate validations, every
    `ClaimTypeReferenceId` and the claim a precondition tests (a misspelt one makes the
    precondition always false or always true: a step that should be skipped runs on every
    sign-in, or never runs). A missing Id fails the upload or kills the journey at run time
    (AADB2C90021 "The technical profile '{0}' does not exist…", AADB2C90031, AADB2C90277).

    The other direction too: a technical profile with no `Protocol` in its files or the profiles
    it includes, a claim type with no `DataType` or a content definition with no `DataUri` in any
    file (likewise claims transformations, display controls and predicates without their
    required attribute) is an override of an Id no base declares, usually a misspelt one. What it
    carries (`DebugMode` off, a new `ServiceUrl`, your page template) silently applies to
    nothing. Skipped on chains whose base is missing or external, where the Ids may live.

    Bad::

        <ClaimsExchange Id="GetLoyalty" TechnicalProfileReferenceId="REST-GetLoyality" />
        <!-- Extensions: meant to turn DebugMode off in the base's REST-GetLoyalty -->
        <TechnicalProfile Id="REST-GetLoyality"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>

    Fixed::

        <ClaimsExchange Id="GetLoyalty" TechnicalProfileReferenceId="REST-GetLoyalty" />
        <TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>

    Source: technical profiles (ReferenceId "already defined in the policy file or parent policy
    file"); troubleshoot; error codes.
    """
    for el, message, severity in policy.include_problems:
        yield Finding(el, message, attr="ReferenceId", severity=severity)
    if not policy.chain.complete:
        return
    content = policy.merged.files
    yield from policy.merged.once("INH007", lambda: [*_dangling(policy, content), *_overrides_nothing(policy)])
    # A relying-party file that adds no content of its own still references journeys and claims.
    yield from _dangling(policy, [f for f in policy.files if f not in content])


#: (element, attribute) → the table it must name, for INH007
_TARGET = {(tag, attr): table for tag, attr, table in _REFERENCES} | {
    (tag, "ClaimTypeReferenceId"): "claim_types" for tag in _CLAIM_REF_TAGS
}
#: element → its (attribute, table) pairs; the tags are filtered by lxml in C
_BY_TAG: dict[str, list[tuple[str, str]]] = {}
for (_tag, _attr), _table in _TARGET.items():
    _BY_TAG.setdefault(f"{{{NS}}}{_tag}", []).append((_attr, _table))
_ITEM = f"{{{NS}}}Item"
_PRECONDITION = f"{{{NS}}}Precondition"
_VALUE = q("Value")
#: how a reference written as element text is named in messages
_TEXT_NAMES = {_ITEM: "ContentDefinitionReferenceId", _VALUE: "Precondition claim"}


def _references(f: PolicyFile) -> dict[str, dict[str, list[tuple[Element, str | None, str]]]]:
    """Every reference a file makes: table → casefolded id → (element, attribute, id as written).
    Built once per file and shared by every chain the file is in."""
    index = f.cache.get("INH007")
    if index is not None:
        return index  # type: ignore[no-any-return]
    index = {}
    for el in f.root.iter(*_BY_TAG, _ITEM, _PRECONDITION):
        if el.tag == _ITEM:
            text = (el.text or "").strip()
            if el.get("Key") == "ContentDefinitionReferenceId" and text:
                index.setdefault("content_definitions", {}).setdefault(text.casefold(), []).append((el, None, text))
            continue
        if el.tag == _PRECONDITION:  # the first Value names the claim, for both precondition types
            claim = el.find(_VALUE)
            text = (claim.text or "").strip() if claim is not None else ""
            if text:
                index.setdefault("claim_types", {}).setdefault(text.casefold(), []).append((claim, None, text))
            continue
        for attr, table in _BY_TAG[str(el.tag)]:
            value = el.get(attr)
            if value:
                index.setdefault(table, {}).setdefault(value.casefold(), []).append((el, attr, value))
    f.cache["INH007"] = index
    return index


def _dangling(policy: Effective, files: list[PolicyFile]) -> Iterator[Finding]:
    for f in files:
        for table_name, refs in _references(f).items():
            defined = getattr(policy, table_name).keys()  # IdTable keys are casefolded
            for missing in sorted(k for k in refs if k not in defined):
                what = table_name.rstrip("s").replace("_", " ").replace("claim type", "ClaimType")
                for el, attr, ref in refs[missing]:
                    name = attr or _TEXT_NAMES[str(el.tag)]
                    yield Finding(el, f"{name} {ref!r} names no {what} in this file or its bases", attr=attr)


#: overrides of nothing beyond which no did-you-mean is computed (each is a search of all Ids)
MAX_HINTS = 10


def _without_and_with(path: str, required: str) -> tuple[etree.XPath, etree.XPath]:
    """XPaths to the building blocks at `path` that lack `required`, and to the Ids of those that
    have it (run by libxml2: claim types and content definitions run to thousands)."""
    ns = {"t": NS}
    return etree.XPath(f"{path}[not({required})]", namespaces=ns), etree.XPath(f"{path}[{required}]/@Id", namespaces=ns)


#: building blocks by what a definition must hold and an override may leave out
_REQUIRED = tuple(
    (path.rsplit(":", 1)[1], required.rsplit(":", 1)[-1].lstrip("@"), *_without_and_with(path, required))
    for path, required in (
        ("t:BuildingBlocks/t:ClaimsSchema/t:ClaimType", "t:DataType"),
        ("t:BuildingBlocks/t:ContentDefinitions/t:ContentDefinition", "t:DataUri"),
        ("t:BuildingBlocks/t:ClaimsTransformations/t:ClaimsTransformation", "@TransformationMethod"),
        ("t:BuildingBlocks/t:DisplayControls/t:DisplayControl", "@UserInterfaceControlType"),
        ("t:BuildingBlocks/t:Predicates/t:Predicate", "@Method"),
    )
)


def _overrides_nothing(policy: Effective) -> Iterator[Finding]:
    """Declarations that lack what a definition requires, in every file of the chain: overrides
    of an Id no base declares. Technical profiles need a `Protocol` (from their files or the
    profiles they include: a lineage cut short by a cycle, depth or a dangling include is reported
    as such instead); building blocks what `_REQUIRED` lists."""
    profiles = policy.technical_profiles.values()
    orphans = [(tp.definition, tp.id) for tp in profiles if tp.protocol is None and tp.lineage[-1].include_ref() is None]
    if orphans:  # the declared Ids are read only for a did-you-mean
        yield from _orphans("TechnicalProfile", orphans, [tp.id for tp in profiles if tp.protocol is not None], "Protocol")
    for tag, required, without, with_ids in _REQUIRED:
        lacking = [el for f in policy.merged.files for el in without(f.root)]
        if lacking:
            defined = {key(str(i)): str(i) for f in policy.merged.files for i in with_ids(f.root)}
            first: dict[str, Element] = {}
            for el in lacking:
                first.setdefault(key(el.get("Id", "")), el)
            orphans = [(el, el.get("Id", "")) for k, el in first.items() if k not in defined]
            yield from _orphans(tag, orphans, list(defined.values()), required)


def _orphans(tag: str, orphans: list[tuple[Element, str]], declared: list[str], required: str) -> Iterator[Finding]:
    if not orphans:
        return
    import difflib  # only for a misspelt Id: keeps start-up fast

    for i, (el, orphan_id) in enumerate(orphans):
        guess = difflib.get_close_matches(orphan_id, declared, n=1, cutoff=0.75) if i < MAX_HINTS else []
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        message = f"{tag} {orphan_id!r} has no {required} in this file or its bases: it overrides a {tag} no base declares{hint}"
        yield Finding(el, message, attr="Id")
