"""Policy sets, inheritance chains and the effective (merged) policy of each relying party.

B2C stacks the files of a chain root→leaf: "Elements of the same type and name in the RP file
override those elements in the Extensions, and Extensions overrides Base." Files link through
`BasePolicy (TenantId, PolicyId)`, never through file names. See rule-catalog.md §3.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from lxml import etree

from toolkit.lint.memo import memoized
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity

Element = etree._Element
V = TypeVar("V")

#: Handler class names (matched as substrings) to technical profile kinds (rule-catalog.md §0).
HANDLER_KINDS = (
    ("RestfulProvider", "REST"),
    ("AzureActiveDirectoryProvider", "AAD"),
    ("SelfAssertedAttributeProvider", "SelfAsserted"),
    ("PhoneFactorProtocolProvider", "PhoneFactor"),
    ("OneTimePasswordProtocolProvider", "OTP"),
    ("CaptchaProvider", "Captcha"),
    ("ClaimsTransformationProtocolProvider", "ClaimsTransformation"),
    ("AzureApplicationInsightsProvider", "AppInsights"),
    ("SSOSessionProvider", "Session"),
)
IDP_PROTOCOLS = {"openidconnect", "oauth1", "oauth2", "saml2"}


def key(value: str) -> str:
    """Policy and tenant ids compare case-insensitively in B2C."""
    return value.strip().casefold()


class IdTable(dict[str, V]):
    """A table of elements by Id. B2C matches Ids case-insensitively (`surName` finds `surname`)."""

    def __setitem__(self, k: str, v: V) -> None:
        super().__setitem__(k.casefold(), v)

    def __getitem__(self, k: str) -> V:
        return super().__getitem__(k.casefold())

    def __contains__(self, k: object) -> bool:
        return isinstance(k, str) and super().__contains__(k.casefold())

    def get(self, k: str, default: Any = None) -> Any:
        """Case-insensitive `dict.get`."""
        return super().get(k.casefold(), default)

    def setdefault(self, k: str, default: V) -> V:
        """Case-insensitive `dict.setdefault`."""
        return super().setdefault(k.casefold(), default)


class TechnicalProfile:
    """One technical profile merged across the chain, with its `IncludeTechnicalProfile` resolved.

    `decls` are the declarations root→leaf. Values read through this class follow B2C's rules:
    a child file's value overrides a parent's, and the including profile's value overrides the
    included profile's.
    """

    def __init__(self, tp_id: str) -> None:
        self.id = tp_id
        self.decls: list[Element] = []
        #: the profiles this one includes, nearest first, cycles cut (see `Effective`)
        self.included: list[TechnicalProfile] = []
        #: the `IncludeTechnicalProfile` of its leaf-most declaration that has one (set by `Merged`)
        self.include: Element | None = None

    def __repr__(self) -> str:
        return f"TechnicalProfile({self.id!r})"

    @property
    def definition(self) -> Element:
        """The declaration that defines the profile (the first, root-most one)."""
        return self.decls[0]

    @property
    def lineage(self) -> list[TechnicalProfile]:
        """This profile then the ones it includes: the order in which values are looked up."""
        return [self, *self.included]

    def _last(self, path: str) -> Element | None:
        for tp in self.lineage:
            for decl in reversed(tp.decls):
                found = decl.find(q(path))
                if found is not None:
                    return found
        return None

    def include_ref(self) -> Element | None:
        """The `IncludeTechnicalProfile` element of this profile's own declarations."""
        return self.include

    @memoized
    def metadata_written(self) -> list[Element]:
        """Every `Metadata/Item` of the profile's own declarations, root→leaf, overridden ones
        included (what the rules on keys as written read; `metadata` merges them)."""
        return [it for decl in self.decls for it in decl.iterfind(q("Metadata/Item"))]

    @memoized
    def metadata(self) -> dict[str, Element]:
        """Every merged `Metadata/Item` by Key: included values first, own files root→leaf over them."""
        merged: dict[str, Element] = {}
        for tp in reversed(self.lineage):
            for it in tp.metadata_written:
                merged[it.get("Key", "")] = it
        return merged

    def item(self, meta_key: str) -> Element | None:
        """The `Metadata/Item` that sets `meta_key` in the merged profile (last writer wins)."""
        return self.metadata.get(meta_key)

    def where(self, meta_key: str) -> Element:
        """The element to report a metadata problem at: the Item, else the definition."""
        it = self.item(meta_key)
        return self.definition if it is None else it

    def meta(self, meta_key: str) -> str | None:
        """The merged metadata value for `meta_key`, stripped, or None."""
        it = self.item(meta_key)
        return None if it is None else (it.text or "").strip()

    def meta_is(self, meta_key: str, value: str) -> bool:
        """Case-insensitive comparison of a metadata value."""
        return (self.meta(meta_key) or "").casefold() == value.casefold()

    @memoized
    def protocol(self) -> Element | None:
        """The effective `Protocol` element."""
        return self._last("Protocol")

    @memoized
    def kind(self) -> str:
        """REST, AAD, SelfAsserted, PhoneFactor, OTP, Captcha, ClaimsTransformation, AppInsights,
        Session, IdP or "" (unknown)."""
        proto = self.protocol
        if proto is None:
            return ""
        handler = proto.get("Handler", "")
        for needle, kind in HANDLER_KINDS:
            if needle in handler:
                return kind
        if proto.get("Name", "").casefold() in IDP_PROTOCOLS:
            return "IdP"
        return ""

    @memoized
    def session(self) -> Element | None:
        """The effective `UseTechnicalProfileForSessionManagement` element."""
        return self._last("UseTechnicalProfileForSessionManagement")

    def collection(self, path: str, key_attr: str) -> list[Element]:
        """A merged collection (union by `key_attr`, later entries replacing earlier ones)."""
        merged: dict[str, Element] = {}
        for tp in reversed(self.lineage):
            for decl in tp.decls:
                for el in decl.iterfind(q(path)):
                    merged[el.get(key_attr, "")] = el  # a child's entry replaces the parent's, in place
        return list(merged.values())

    @memoized
    def validation_profiles(self) -> list[Element]:
        """Merged `ValidationTechnicalProfiles/ValidationTechnicalProfile`, in order."""
        return self.collection("ValidationTechnicalProfiles/ValidationTechnicalProfile", "ReferenceId")

    @memoized
    def crypto_keys(self) -> dict[str, Element]:
        """Merged `CryptographicKeys/Key` by Id."""
        return {k.get("Id", ""): k for k in self.collection("CryptographicKeys/Key", "Id")}

    @memoized
    def input_claims(self) -> list[Element]:
        """Merged `InputClaims/InputClaim`."""
        return self.collection("InputClaims/InputClaim", "ClaimTypeReferenceId")

    @memoized
    def output_claims(self) -> list[Element]:
        """Merged `OutputClaims/OutputClaim`."""
        return self.collection("OutputClaims/OutputClaim", "ClaimTypeReferenceId")

    @memoized
    def persisted_claims(self) -> list[Element]:
        """Merged `PersistedClaims/PersistedClaim`."""
        return self.collection("PersistedClaims/PersistedClaim", "ClaimTypeReferenceId")

    @memoized
    def verifies_email(self) -> bool:
        """True when the page verifies an email address (an output claim `Verified.Email`)."""
        return any(c.get("PartnerClaimType") == "Verified.Email" for c in self.output_claims)

    @memoized
    def display_claims(self) -> list[Element]:
        """Merged `DisplayClaims/DisplayClaim` (keyed by claim or display control)."""
        merged: dict[str, Element] = {}
        for tp in reversed(self.lineage):
            for decl in tp.decls:
                for el in decl.iterfind(q("DisplayClaims/DisplayClaim")):
                    merged[el.get("ClaimTypeReferenceId") or el.get("DisplayControlReferenceId") or ""] = el
        return list(merged.values())


class Journey:
    """A `UserJourney` or `SubJourney` merged across the chain; steps merge by `Order`."""

    def __init__(self, journey_id: str, tag: str) -> None:
        self.id = journey_id
        self.tag = tag  #: "UserJourney" or "SubJourney"
        self.decls: list[Element] = []

    def __repr__(self) -> str:
        return f"{self.tag}({self.id!r})"

    @property
    def definition(self) -> Element:
        """The last (leaf-most) declaration."""
        return self.decls[-1]

    @memoized
    def steps(self) -> list[Element]:
        """Orchestration steps after merging, in `Order`. Steps with a non-numeric Order are dropped."""
        by_order: dict[int, Element] = {}
        for decl in self.decls:
            for step in decl.iterfind(q("OrchestrationSteps/OrchestrationStep")):
                order = order_of(step)
                if order is not None:
                    by_order[order] = step
        return [by_order[k] for k in sorted(by_order)]

    @memoized
    def exchanges(self) -> list[list[Element]]:
        """The `ClaimsExchange` elements of each step, in the order of `steps` (read by many rules)."""
        return [step.findall(q("ClaimsExchanges/ClaimsExchange")) for step in self.steps]

    @memoized
    def selections(self) -> list[list[Element]]:
        """The `ClaimsProviderSelection` elements of each step, in the order of `steps` (read by many rules)."""
        return [step.findall(q("ClaimsProviderSelections/ClaimsProviderSelection")) for step in self.steps]

    @memoized
    def preconditions(self) -> list[list[Element]]:
        """The `Precondition` elements of each step, in the order of `steps` (read by many rules)."""
        return [step.findall(q("Preconditions/Precondition")) for step in self.steps]

    @property
    def journey_type(self) -> str:
        """For a SubJourney, `Call` or `Transfer`; "" for a UserJourney."""
        return self.definition.get("Type", "") if self.tag == "SubJourney" else ""


def order_of(step: Element) -> int | None:
    """`OrchestrationStep/@Order` as an int, or None when it is not a number."""
    try:
        return int(step.get("Order", ""))
    except ValueError:
        return None


class Chain(NamedTuple):
    """The files from the root policy down to one file, and whether every link was found."""

    files: list[PolicyFile]  #: root → leaf
    complete: bool = True  #: False when a BasePolicy was missing, external or cyclic

    @property
    def leaf(self) -> PolicyFile:
        """The file this chain was built for."""
        return self.files[-1]


#: IncludeTechnicalProfile levels the linter follows. B2C sets no limit, but real policies use one or
#: two (two in the shared corpus), and a generated chain of thousands made linting quadratic: a
#: 500 KB file took minutes.
MAX_INCLUDE_DEPTH = 32

CONTENT_TAGS = {"ClaimsProviders", "UserJourneys", "SubJourneys", "BuildingBlocks"}


def has_content(f: PolicyFile) -> bool:
    """True when a file declares anything that merges (profiles, journeys, building blocks)."""
    return any(etree.QName(child).localname in CONTENT_TAGS for child in f.root.iterchildren(etree.Element))


#: the single-valued building blocks, in the order of `Merged`'s tables
BLOCK_PATHS = (
    "BuildingBlocks/ClaimsSchema/ClaimType",
    "BuildingBlocks/ClaimsTransformations/ClaimsTransformation",
    "BuildingBlocks/ContentDefinitions/ContentDefinition",
    "BuildingBlocks/DisplayControls/DisplayControl",
    "BuildingBlocks/Localization/LocalizedResources",
    "BuildingBlocks/Predicates/Predicate",
    "BuildingBlocks/PredicateValidations/PredicateValidation",
)


class Declared(NamedTuple):
    """What one file declares that merges, in document order (read once per file, kept in its
    cache: a base file is merged into the content of many relying parties)."""

    #: (Id, TechnicalProfile, its first IncludeTechnicalProfile or None)
    profiles: list[tuple[str, Element, Element | None]]
    user_journeys: list[tuple[str, Element]]
    sub_journeys: list[tuple[str, Element]]
    #: for each of `BLOCK_PATHS`: (casefolded Id, element)
    blocks: list[list[tuple[str, Element]]]

    @classmethod
    def of(cls, root: Element) -> Declared:
        """What `root` declares."""
        path = "ClaimsProviders/ClaimsProvider/TechnicalProfiles/TechnicalProfile"
        includes: dict[Element, Element] = {}
        for include in root.iterfind(q(f"{path}/IncludeTechnicalProfile")):
            if (profile := include.getparent()) is not None:
                includes.setdefault(profile, include)  # the first, as `find` gives it
        return cls(
            [(el.get("Id", ""), el, includes.get(el)) for el in root.iterfind(q(path))],
            [(el.get("Id", ""), el) for el in root.iterfind(q("UserJourneys/UserJourney"))],
            [(el.get("Id", ""), el) for el in root.iterfind(q("SubJourneys/SubJourney"))],
            [[(el.get("Id", "").casefold(), el) for el in root.iterfind(q(block))] for block in BLOCK_PATHS],
        )


class Merged:
    """The merged content of a chain: what B2C stacks root→leaf. Relying parties whose files add
    no content of their own share one `Merged`, so its work (and `once` results) is done once."""

    def __init__(self, files: list[PolicyFile]) -> None:
        self.files = files  #: the files that contribute content, root → leaf
        self.technical_profiles: IdTable[TechnicalProfile] = IdTable()
        self.user_journeys: IdTable[Journey] = IdTable()
        self.sub_journeys: IdTable[Journey] = IdTable()
        #: single-valued building blocks by Id, leaf-most declaration
        self.claim_types: IdTable[Element] = IdTable()
        self.claims_transformations: IdTable[Element] = IdTable()
        self.content_definitions: IdTable[Element] = IdTable()
        self.display_controls: IdTable[Element] = IdTable()
        self.localized_resources: IdTable[Element] = IdTable()
        self.predicates: IdTable[Element] = IdTable()
        self.predicate_validations: IdTable[Element] = IdTable()
        #: what resolving IncludeTechnicalProfile found (cycles, chains too deep to follow), for
        #: INH007: (element, message, severity if not the rule's)
        self.include_problems: list[tuple[Element, str, Severity | None]] = []
        self._cache: dict[Any, Any] = {}
        for f in files:
            self._add(f)
        self._resolve_includes()

    def once(self, cache_key: Any, compute: Callable[[], V]) -> V:
        """Compute a value once per merged content (shared by every relying party on it)."""
        if cache_key not in self._cache:
            self._cache[cache_key] = compute()
        result: V = self._cache[cache_key]
        return result

    def _add(self, f: PolicyFile) -> None:
        declared = f.cache.get("declared")
        if declared is None:  # read once per file: a base file is in the content of many relying parties
            declared = f.cache["declared"] = Declared.of(f.root)
        profiles = self.technical_profiles
        for tp_id, el, include in declared.profiles:
            tp = profiles.get(tp_id)
            if tp is None:
                tp = profiles[tp_id] = TechnicalProfile(tp_id)
            tp.decls.append(el)
            if include is not None:
                tp.include = include
        for tag, table, journeys in (
            ("UserJourney", self.user_journeys, declared.user_journeys),
            ("SubJourney", self.sub_journeys, declared.sub_journeys),
        ):
            for j_id, el in journeys:
                table.setdefault(j_id, Journey(j_id, tag)).decls.append(el)
        tables = (
            self.claim_types,
            self.claims_transformations,
            self.content_definitions,
            self.display_controls,
            self.localized_resources,
            self.predicates,
            self.predicate_validations,
        )
        for by_id, elements in zip(tables, declared.blocks, strict=True):
            by_id.update(elements)  # keys casefolded already, as IdTable stores them

    @memoized
    def localized_strings(self) -> set[tuple[str, str]]:
        """(ElementType, StringId) of every LocalizedString in the chain (thousands in a localized
        set: read only when a rule asks)."""
        path = q("BuildingBlocks/Localization/LocalizedResources/LocalizedStrings/LocalizedString")
        return {(el.get("ElementType", ""), el.get("StringId", "")) for f in self.files for el in f.root.iterfind(path)}

    def _resolve_includes(self) -> None:
        too_deep = []
        for tp in self.technical_profiles.values():
            seen = [tp.id]
            current = tp
            while (ref := current.include_ref()) is not None:
                target = self.technical_profiles.get(ref.get("ReferenceId", ""))
                if target is None:
                    break  # dangling: INH007 reports it
                if target.id in seen:
                    self.include_problems.append((ref, f"IncludeTechnicalProfile cycle: {' → '.join([*seen, target.id])}", None))
                    break
                if len(tp.included) == MAX_INCLUDE_DEPTH:
                    too_deep.append(tp)
                    break
                seen.append(target.id)
                tp.included.append(target)
                current = target
        included = {id(tp.included[0]) for tp in self.technical_profiles.values() if tp.included}
        for tp in too_deep:
            ref = tp.include_ref()
            if id(tp) not in included and ref is not None:  # once per chain, at its top
                message = (
                    f"IncludeTechnicalProfile chain of {tp.id!r} is over {MAX_INCLUDE_DEPTH} levels deep; the linter merges "
                    f"only the nearest {MAX_INCLUDE_DEPTH} (B2C sets no limit, but real policies use one or two)"
                )
                self.include_problems.append((ref, message, Severity.WARNING))


class Effective:
    """The effective policy of one leaf file (normally a relying party): its chain merged."""

    def __init__(self, chain: Chain, merged: Merged) -> None:
        self.chain = chain
        self.files = chain.files
        self.merged = merged
        self.name = chain.leaf.policy_id or chain.leaf.display
        self.technical_profiles = merged.technical_profiles
        self.user_journeys = merged.user_journeys
        self.sub_journeys = merged.sub_journeys
        self.claim_types = merged.claim_types
        self.claims_transformations = merged.claims_transformations
        self.content_definitions = merged.content_definitions
        self.display_controls = merged.display_controls
        self.localized_resources = merged.localized_resources
        self.predicates = merged.predicates
        self.predicate_validations = merged.predicate_validations
        self.include_problems = merged.include_problems
        self._owner = {id(f.root): f for f in self.files}

    @property
    def localized_strings(self) -> set[tuple[str, str]]:
        """See `Merged.localized_strings`."""
        return self.merged.localized_strings

    def file_of(self, el: Element) -> PolicyFile:
        """The file of the chain an element was parsed from."""
        return self._owner[id(el.getroottree().getroot())]

    @property
    def relying_party(self) -> Element | None:
        """The leaf-most `RelyingParty` element of the chain."""
        for f in reversed(self.files):
            rp = f.root.find(q("RelyingParty"))
            if rp is not None:
                return rp
        return None

    @property
    def is_relying_party(self) -> bool:
        """True when the chain ends in a relying-party file."""
        return self.relying_party is not None

    # -- reachability -----------------------------------------------------------------------

    @memoized
    def journey_refs(self) -> tuple[str, ...]:
        """What reachability depends on: the journeys the relying party names."""
        rp = self.relying_party
        if rp is None:
            return ()
        refs = [el.get("ReferenceId", "") for el in rp.iterfind(q("DefaultUserJourney"))]
        refs += [el.get("UserJourneyReferenceId", "") for el in rp.iterfind(q("Endpoints/Endpoint"))]
        return ("rp", *refs)

    @property
    def journeys_in_use(self) -> list[Journey]:
        """Journeys an RP runs (see `_journeys_in_use`), shared by RPs with the same journeys."""
        return self.merged.once(("journeys", self.journey_refs), self._journeys_in_use)

    @property
    def profiles_in_use(self) -> list[TechnicalProfile]:
        """Profiles the journeys in use run (see `_profiles_in_use`)."""
        return self.merged.once(("profiles", self.journey_refs), self._profiles_in_use)

    def _journeys_in_use(self) -> list[Journey]:
        """Journeys an RP runs: DefaultUserJourney, endpoint journeys, and the sub-journeys they
        invoke. For a chain without a RelyingParty, every journey of the chain."""
        if not self.journey_refs:
            return [*self.user_journeys.values(), *self.sub_journeys.values()]
        refs = self.journey_refs[1:]
        found: dict[int, Journey] = {}
        todo = [self.user_journeys[r] for r in refs if r in self.user_journeys]
        while todo:
            journey = todo.pop()
            if id(journey) in found:
                continue
            found[id(journey)] = journey
            for step in journey.steps:
                for cand in step.iterfind(q("JourneyList/Candidate")):
                    sub = self.sub_journeys.get(cand.get("SubJourneyReferenceId", ""))
                    if sub is not None:
                        todo.append(sub)
        return list(found.values())

    def step_profiles(self) -> list[tuple[Journey, Element, Element, TechnicalProfile]]:
        """`(journey, step, ClaimsExchange, profile)` for every exchange of the journeys in use."""
        return self.merged.once(("steps", self.journey_refs), lambda: list(self._step_profiles()))

    def _step_profiles(self) -> Iterator[tuple[Journey, Element, Element, TechnicalProfile]]:
        for journey in self.journeys_in_use:
            for step, step_exchanges in zip(journey.steps, journey.exchanges, strict=True):
                for exchange in step_exchanges:
                    tp = self.technical_profiles.get(exchange.get("TechnicalProfileReferenceId", ""))
                    if tp is not None:
                        yield journey, step, exchange, tp

    def issuer_ids(self, journey: Journey) -> set[str]:
        """Ids of the token issuer profiles a journey's SendClaims steps name."""
        default = journey.definition.get("DefaultCpimIssuerTechnicalProfileReferenceId", "")
        return {
            step.get("CpimIssuerTechnicalProfileReferenceId") or default for step in journey.steps if step.get("Type") == "SendClaims"
        } - {""}

    def _profiles_in_use(self) -> list[TechnicalProfile]:
        """Profiles the journeys in use run: from steps, SendClaims, validation profiles and
        display-control actions, recursively. Without a RelyingParty, every profile."""
        if not self.is_relying_party:
            return list(self.technical_profiles.values())
        todo = [tp.id for _, _, _, tp in self.step_profiles()]
        for journey in self.journeys_in_use:
            todo.extend(self.issuer_ids(journey))
        found: dict[str, TechnicalProfile] = {}
        while todo:
            tp = self.technical_profiles.get(todo.pop())
            if tp is None or tp.id in found:
                continue
            found[tp.id] = tp
            todo.extend(v.get("ReferenceId", "") for v in tp.validation_profiles)
            for claim in tp.display_claims:
                control = self.display_controls.get(claim.get("DisplayControlReferenceId", ""))
                if control is not None:
                    todo.extend(
                        el.get("ReferenceId", "") or el.get("TechnicalProfileReferenceId", "")
                        for el in control.iter(q("ValidationClaimsExchangeTechnicalProfile"))
                    )
        return list(found.values())

    def shows_control(self, tp: TechnicalProfile, control_type: str) -> bool:
        """True when a page shows a display control of one type (`VerificationControl`, `CaptchaControl`)."""
        for claim in tp.display_claims:
            control = self.display_controls.get(claim.get("DisplayControlReferenceId", ""))
            if control is not None and control.get("UserInterfaceControlType") == control_type:
                return True
        return False

    def profiles_of_kind(self, kind: str) -> list[TechnicalProfile]:
        """Profiles in use of one kind (see `TechnicalProfile.kind`)."""
        return [tp for tp in self.profiles_in_use if tp.kind == kind]

    @memoized
    def issuers(self) -> list[TechnicalProfile]:
        """The token issuer (JwtIssuer) profiles named by SendClaims steps in use."""
        ids: set[str] = set()
        for journey in self.journeys_in_use:
            ids |= self.issuer_ids(journey)
        return [self.technical_profiles[i] for i in sorted(ids) if i in self.technical_profiles]


class PolicySet:
    """Every policy file found, linked into chains by `BasePolicy`."""

    def __init__(
        self,
        files: list[PolicyFile],
        external_bases: set[str] | None = None,
        preferred: set[str] | None = None,
        unparsed: list[str] | None = None,
    ) -> None:
        self.files = files
        #: reported paths of the policy files that could not be parsed (XML001)
        self.unparsed = unparsed or []
        self.external_bases = external_bases or set()  #: casefolded PolicyIds deployed elsewhere
        #: reported paths of the `--base-path` files: a base found there wins over every other copy
        self.preferred = preferred or set()
        #: (file, BasePolicy element, message) for each broken link (INH001)
        self.broken_links: list[tuple[PolicyFile, Element, str]] = []
        #: (file, BasePolicy element) for each link to a base declared in external-bases
        self.external_links: list[tuple[PolicyFile, Element]] = []
        self._reported: set[tuple[int, str]] = set()
        self._by_id: dict[tuple[str, str], list[PolicyFile]] = {}
        for f in self.files:
            self._by_id.setdefault((key(f.tenant), key(f.policy_id)), []).append(f)
        self._owner = {id(f.root): f for f in self.files}
        #: ids of files left unlinked because their base is declared in several equally near
        #: places, or only in another set (a sibling folder with relying parties of its own)
        self.ambiguous: set[int] = set()
        #: for each of those: how many places declare the base, and the first few of them (one:
        #: the other set's declaration, not borrowed)
        self.candidates: dict[int, tuple[int, list[PolicyFile]]] = {}
        self._rp_folders: set[str] | None = None
        self._folders: dict[tuple[str, str], tuple[dict[str, Place], dict[str, Place] | None]] = {}
        self.parent: dict[int, PolicyFile | None] = {id(f): self._find_parent(f) for f in self.files}
        self.chains: dict[int, Chain] = {}
        for f in self.files:
            self._link(f)

    def owner(self, el: Element) -> PolicyFile:
        """The file an element was parsed from."""
        return self._owner[id(el.getroottree().getroot())]

    def _find_parent(self, f: PolicyFile) -> PolicyFile | None:
        """The file `f` extends. The same (TenantId, PolicyId) may appear in several folders (one
        set per sample). Walking up from the child's folder, the first folder that holds a
        declaration decides: one declaration directly in it (the child's own folder, or a folder
        above it) is the base; else one declaration anywhere below it is, when it sits in a
        folder of bases (a folder holding no relying party, such as `base/` or `shared/`). A
        declaration in a folder with relying parties of its own belongs to another set and is
        not borrowed; nor is one of several equally near declarations, none of them the child's
        own, guessed at. Either way the link is left out, the chain is incomplete and INH001
        names the declarations. A declaration under a `--base-path` is a deliberate link: it
        wins over every other copy, wherever it sits.

        Found by walking up from the child's folder through an index of the folders holding
        each (TenantId, PolicyId), not by comparing the child with every candidate: thousands of
        files declaring one PolicyId made that quadratic."""
        base = f.base
        if base is None:
            return None
        wanted = (key(base[0]), key(base[1]))
        found = self._folders.get(wanted)
        if found is None:
            declared = self._by_id.get(wanted, [])
            preferred = [c for c in declared if c.display in self.preferred]
            found = self._folders[wanted] = (_folder_index(declared), _folder_index(preferred) if preferred else None)
        everywhere, preferred_index = found
        itself = (key(f.tenant), key(f.policy_id)) == wanted  # a file naming its own PolicyId as its base
        parent, candidates = _nearest(f, everywhere, itself, self._holds_relying_party)
        if parent is None and preferred_index is not None:  # --base-path settles what the folders do not
            parent, candidates = _nearest(f, preferred_index, itself and f.display in self.preferred, None)
        if candidates is not None:
            self.ambiguous.add(id(f))
            self.candidates[id(f)] = candidates
        return parent

    def _holds_relying_party(self, folder: str) -> bool:
        """True when a file directly in `folder` is a relying party: the folder is a set of its
        own, not a folder of bases (found once, and only when a base is declared in a sibling)."""
        if self._rp_folders is None:
            self._rp_folders = {f.folder for f in self.files if f.is_relying_party}
        return folder in self._rp_folders

    def _link(self, f: PolicyFile) -> None:
        """Build the chain of `f` and of every file above it not built yet, each file's from its
        parent's: a set of thousands of files linked one after another takes linear time. A path
        that loops is left to `_chain`, file by file."""
        path = [f]
        on_path = {id(f)}
        current = f
        while id(current) not in self.chains and (parent := self.parent[id(current)]) is not None:
            if id(parent) in on_path:
                for g in path:
                    if id(g) not in self.chains:
                        self.chains[id(g)] = self._chain(g)
                return
            if id(parent) in self.chains:
                break
            path.append(parent)
            on_path.add(id(parent))
            current = parent
        for g in reversed(path):
            if id(g) in self.chains:
                continue
            parent = self.parent[id(g)]
            if parent is None:
                self.chains[id(g)] = self._chain(g)  # a root, or a missing base (reported there)
            else:
                above = self.chains[id(parent)]
                self.chains[id(g)] = Chain([*above.files, g], above.complete)

    def _chain(self, f: PolicyFile) -> Chain:
        files = [f]
        on_chain = {id(f)}  # a set: a list's `in` made a generated chain of thousands of files cubic
        complete = True
        current = f
        while current.base is not None:
            parent = self.parent[id(current)]
            tenant, policy_id = current.base
            if parent is None:
                complete = False
                if key(policy_id) in self.external_bases:
                    self._external(current)
                elif id(current) in self.candidates:
                    self._broken(current, self._ambiguous_message(current))
                else:
                    here = [u for u in self.unparsed if os.path.dirname(os.path.abspath(u)) == current.folder]
                    broken = (
                        f"; {len(here)} file(s) beside it could not be parsed (XML001) and may declare it: fix them first" if here else ""
                    )
                    self._broken(
                        current,
                        f"base policy {policy_id} (tenant {tenant}) is not in the linted set; lint it too, "
                        f"pass its folder with --base-path, or declare it in external-bases{broken}",
                    )
                break
            if id(parent) in on_chain:
                complete = False
                loop = " → ".join(p.policy_id for p in [*reversed(files[files.index(parent) :]), parent])
                self._broken(current, f"BasePolicy chain is cyclic: {loop}")
                break
            files.append(parent)
            on_chain.add(id(parent))
            current = parent
        return Chain(list(reversed(files)), complete)

    def _ambiguous_message(self, f: PolicyFile) -> str:
        count, first = self.candidates[id(f)]
        assert f.base is not None
        tenant, policy_id = f.base
        if count == 1:
            other = first[0]
            return (
                f"base policy {policy_id} (tenant {tenant}) is declared only in {other.display}, a sibling folder with relying "
                "parties of its own (another set, not a folder of bases): not borrowed. To link it deliberately, pass "
                f"--base-path {os.path.dirname(other.display) or '.'}, or declare it in external-bases if it is deployed separately"
            )
        shown = ", ".join(c.display for c in first)
        more = f" and {count - len(first)} more" if count > len(first) else ""
        return (
            f"base policy {policy_id} (tenant {tenant}) is declared in {count} places, none of them this file's own folder "
            f"or a folder above it: {shown}{more}; not linked to any of them. Pass the one it extends with --base-path, "
            "or declare it in external-bases if it is deployed separately"
        )

    def _external(self, f: PolicyFile) -> None:
        if (id(f), "external") not in self._reported:
            self._reported.add((id(f), "external"))
            base_el = f.root.find(q("BasePolicy"))
            assert base_el is not None
            self.external_links.append((f, base_el))

    def _broken(self, f: PolicyFile, message: str) -> None:
        if (id(f), message) not in self._reported:
            self._reported.add((id(f), message))
            base_el = f.root.find(q("BasePolicy"))
            assert base_el is not None  # only files with a base are followed
            self.broken_links.append((f, base_el, message))

    @memoized
    def _leaves_through(self) -> dict[int, list[PolicyFile]]:
        through: dict[int, list[PolicyFile]] = {}
        for leaf in self.leaves:
            for f in self.chain(leaf).files:
                through.setdefault(id(f), []).append(leaf)
        return through

    def leaves_through(self, f: PolicyFile) -> list[PolicyFile]:
        """The leaves (normally relying parties) whose chains hold `f`."""
        return self._leaves_through.get(id(f), [])

    def chain(self, f: PolicyFile) -> Chain:
        """The chain from the root policy down to `f`."""
        return self.chains[id(f)]

    @property
    def leaves(self) -> list[PolicyFile]:
        """Files no other file extends: the ends of chains (normally the relying parties)."""
        parents = {id(p) for p in self.parent.values() if p is not None}
        return [f for f in self.files if id(f) not in parents]

    def sets(self) -> dict[int, list[PolicyFile]]:
        """The files of each policy set (files linked by BasePolicy), by the id of their root file."""
        groups: dict[int, list[PolicyFile]] = {}
        for f in self.files:
            groups.setdefault(id(self.chain(f).files[0]), []).append(f)
        return groups

    def upload_order(self) -> tuple[list[list[PolicyFile]], list[str]]:
        """Files grouped by set (files linked by BasePolicy), each group parents first; and the
        cycles that make an order impossible."""
        order = [sorted(group, key=lambda f: (len(self.chain(f).files), f.display)) for group in self.sets().values()]
        order.sort(key=lambda group: group[0].display)
        cycles = [message for _, _, message in self.broken_links if "cyclic" in message]
        return order, sorted(set(cycles))

    def leaf_groups(self) -> list[LeafGroup]:
        """The chain of every leaf, grouped by the files that contribute content: the chains of a
        group share one `Merged` (and every result memoized on it)."""
        groups: dict[tuple[int, ...], LeafGroup] = {}
        for leaf in self.leaves:
            chain = self.chain(leaf)
            content = [f for f in chain.files if has_content(f)]
            groups.setdefault(tuple(id(f) for f in content), LeafGroup(content, [])).chains.append(chain)
        return list(groups.values())

    def effective_policies(self, groups: Iterable[LeafGroup] | None = None) -> Iterator[Effective]:
        """The effective policy of every leaf (or of the leaves of `groups`), merged once per group."""
        for group in self.leaf_groups() if groups is None else groups:
            merged = Merged(group.content)
            for chain in group.chains:
                yield Effective(chain, merged)


class Place:
    """What one folder holds of the files declaring one (TenantId, PolicyId): directly, and in
    it or below it (the first few of each, and how many)."""

    __slots__ = ("below", "count", "direct", "direct_count")

    def __init__(self) -> None:
        self.count = 0
        self.below: list[PolicyFile] = []
        self.direct_count = 0
        self.direct: list[PolicyFile] = []


def _nearest(
    f: PolicyFile, index: dict[str, Place], itself: bool, holds_relying_party: Callable[[str], bool] | None
) -> tuple[PolicyFile | None, tuple[int, list[PolicyFile]] | None]:
    """The base of `f` found in `index` (see `PolicySet._find_parent`), or None and, when several
    equally near files declare it, how many and the first few (or, when the only one is in a
    sibling folder that `holds_relying_party`, 1 and that one). `itself`: `f` is in the index (a
    file naming its own PolicyId as its base). Without `holds_relying_party` (the `--base-path`
    files), a sibling's declaration is always taken."""
    folder = f.folder
    while True:
        if (place := index.get(folder)) is not None:
            count = place.count - itself
            if count > 0:
                if place.direct_count - (itself and folder == f.folder) == 1:
                    return next(c for c in place.direct if c is not f), None
                below = [c for c in place.below if c is not f]
                if count > 1:
                    return None, (count, below)
                if holds_relying_party is not None and holds_relying_party(below[0].folder):
                    return None, (1, below)  # another set's base, not a folder of bases
                return below[0], None
        up = os.path.dirname(folder)
        if up == folder:
            return None, None
        folder = up


#: candidate files kept per folder (enough to name them in INH001)
SHOWN = 3


def _folder_index(files: list[PolicyFile]) -> dict[str, Place]:
    """For each folder holding any of `files`, directly or below: how many, and the first few."""
    index: dict[str, Place] = {}
    for f in files:
        folder = f.folder
        direct = True
        while True:
            place = index.get(folder)
            if place is None:
                place = index[folder] = Place()
            place.count += 1
            if len(place.below) < SHOWN:
                place.below.append(f)
            if direct:
                place.direct_count += 1
                if len(place.direct) < SHOWN:
                    place.direct.append(f)
                direct = False
            up = os.path.dirname(folder)
            if up == folder:
                break
            folder = up
    return index


class LeafGroup(NamedTuple):
    """Leaves whose chains hold the same content (see `PolicySet.leaf_groups`)."""

    content: list[PolicyFile]  #: the files that contribute content, root → leaf
    chains: list[Chain]
