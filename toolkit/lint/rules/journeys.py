"""Rules on user journeys and sub-journeys: wiring that the upload or the run would reject."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from lxml import etree

from toolkit.lint.model import Effective, IdTable, Journey, TechnicalProfile, order_of
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import input_type

SELECTION_STEPS = {"ClaimsProviderSelection", "CombinedSignInAndSignUp"}


def _all_journeys(policy: Effective) -> list[Journey]:
    return [*policy.user_journeys.values(), *policy.sub_journeys.values()]


@rule(
    "JRN001",
    "Orchestration steps not numbered 1..N",
    Severity.ERROR,
    Scope.CHAIN,
    "troubleshoot",
    per_content=True,
    whole_chain=True,
    partial_chain="gaps only: a duplicate Order within one file is still reported",
)
def step_numbering(policy: Effective) -> Iterator[Finding]:
    """A journey's `OrchestrationStep/@Order` values are not exactly 1..N: a duplicate, a gap, or
    a value that is not a number (steps merge by Order across the chain).

    The upload fails with "There is a duplicate key sequence"; the fix is to "renumber the steps
    sequentially without skipping any integers from 1 to N".

    On a chain whose base is missing (INH001) the gaps are not judged (the missing file may hold
    the other steps), but a duplicate Order within one `OrchestrationSteps` element is still
    reported: the schema's key on Order makes that file fail on its own, whatever its base holds.

    Bad::

        <OrchestrationStep Order="1" .../> <OrchestrationStep Order="3" .../>

    Fixed::

        <OrchestrationStep Order="1" .../> <OrchestrationStep Order="2" .../>

    `--fix` renumbers a journey with gaps, keeping the order of its numbers, when no other file of
    the set declares it.

    Source: troubleshoot "There is a duplicate key sequence '{number}'".
    """
    for journey in _all_journeys(policy):
        for decl in journey.decls:
            seen: Counter[int] = Counter()
            for step in decl.iterfind(q("OrchestrationSteps/OrchestrationStep")):
                order = order_of(step)
                if order is None:
                    yield Finding(step, f"{journey.tag} {journey.id!r}: Order {step.get('Order')!r} is not a number", attr="Order")
                    continue
                seen[order] += 1
                if seen[order] == 2:
                    yield Finding(step, f"{journey.tag} {journey.id!r}: duplicate step Order {order}", attr="Order")
        if not policy.chain.complete:
            continue  # the missing base may hold the steps between
        orders = [order_of(s) for s in journey.steps]
        expected = list(range(1, len(orders) + 1))
        if orders != expected:
            missing = sorted(set(range(1, max(o or 0 for o in orders) + 1)) - set(orders))
            yield Finding(
                journey.definition, f"{journey.tag} {journey.id!r}: steps must be numbered 1..N; missing {', '.join(map(str, missing))}"
            )


@rule("JRN002", "SendClaims step invalid", Severity.ERROR, Scope.CHAIN, "userjourneys", per_content=True, whole_chain=True)
def send_claims(policy: Effective) -> Iterator[Finding]:
    """A user journey (or `Transfer` sub-journey) has no `SendClaims` step, or a `SendClaims` step
    that names no token issuer; warns on more than one `SendClaims` step or steps after it.

    A `SendClaims` step guarded by a precondition is an early exit (the OAuth2 error technical
    profile Microsoft documents returns an error this way), not a second token step.

    "A user must reach the last orchestration step in the user journey to acquire a token."
    Errors AADB2C90040 (no SendClaims) and AADB2C90108 (no issuer): no user gets a token. The 2019
    error table also listed AADB2C90049 (several) and AADB2C90050 (steps after it); deployed
    Microsoft samples carry both, so those are reported as warnings.

    Bad::

        <OrchestrationStep Order="5" Type="SendClaims" />

    Fixed::

        <OrchestrationStep Order="5" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />

    Source: error codes; custom policy overview; user journeys "OrchestrationSteps".
    """
    for journey in _all_journeys(policy):
        if journey.tag == "SubJourney" and journey.journey_type != "Transfer":
            continue
        steps = journey.steps
        sends = [s for s in steps if s.get("Type") == "SendClaims"]
        transfers = any(
            policy.sub_journeys.get(c.get("SubJourneyReferenceId", "")) is not None
            and policy.sub_journeys[c.get("SubJourneyReferenceId", "")].journey_type == "Transfer"
            for s in steps
            for c in s.iterfind(q("JourneyList/Candidate"))
        )
        if not sends:
            if journey.tag == "UserJourney" and not transfers:  # a Transfer sub-journey sends the claims
                yield Finding(journey.definition, f"UserJourney {journey.id!r} has no SendClaims step, so no token is issued")
            continue
        # Older services rejected these (AADB2C90049/90050); deployed Microsoft samples still
        # carry them, so they are warnings: the extra steps are fragile, not fatal. A SendClaims
        # step behind a precondition is an early exit (Microsoft's OAuth2 error pattern), not one.
        exits = [s for s in sends if s.find(q("Preconditions")) is None] or sends[-1:]
        for extra in exits[1:]:
            yield Finding(extra, f"{journey.tag} {journey.id!r} has more than one SendClaims step", severity=Severity.WARNING)
        last = steps.index(exits[0])
        if last != len(steps) - 1:
            yield Finding(
                steps[last + 1],
                f"{journey.tag} {journey.id!r} has steps after its SendClaims step; they may never run",
                severity=Severity.WARNING,
            )
        default = journey.definition.get("DefaultCpimIssuerTechnicalProfileReferenceId")
        for step in sends:
            if not step.get("CpimIssuerTechnicalProfileReferenceId") and not default:
                yield Finding(step, f"SendClaims step of {journey.id!r} names no CpimIssuerTechnicalProfileReferenceId")


@rule(
    "JRN003",
    "Claims exchange wiring errors",
    Severity.ERROR,
    Scope.CHAIN,
    "userjourneys#claims-provider-selection",
    per_content=True,
    whole_chain=True,
)
def exchange_wiring(policy: Effective) -> Iterator[Finding]:
    """Selection steps and claims exchanges that do not fit together.

    Reported: a `ClaimsExchange` step with several exchanges not right after a selection step; a
    `ClaimsProviderSelection` with both or neither of `TargetClaimsExchangeId` and
    `ValidationClaimsExchangeId`; a target not found in the next step (or a validation exchange
    not in the current one); a selection step with targets followed by a step that is not a
    `ClaimsExchange`; a duplicate `ClaimsExchange/@Id` in one journey. "If any step fails, the
    transaction fails."

    Bad::

        <ClaimsProviderSelection TargetClaimsExchangeId="FacebookExchange" />
        <!-- next step has no ClaimsExchange Id="FacebookExchange" -->

    Fixed: the next step declares `<ClaimsExchange Id="FacebookExchange" TechnicalProfileReferenceId="Facebook-OAUTH" />`.

    Source: troubleshoot (several headings); user journeys "Claims provider selection".
    """
    for journey in _all_journeys(policy):
        steps = journey.steps
        ids: Counter[str] = Counter()
        for i, step in enumerate(steps):
            kind = step.get("Type", "")
            here = journey.exchanges[i]
            nxt = steps[i + 1] if i + 1 < len(steps) else None
            prev_kind = steps[i - 1].get("Type", "") if i else ""
            for ex in here:
                ids[ex.get("Id", "")] += 1
                if ids[ex.get("Id", "")] == 2:
                    yield Finding(ex, f"{journey.id!r}: duplicate ClaimsExchange Id {ex.get('Id')!r}", attr="Id")
            if kind == "ClaimsExchange" and len(here) > 1 and prev_kind not in SELECTION_STEPS:
                yield Finding(
                    step, f"{journey.id!r} step {step.get('Order')}: several ClaimsExchanges are only allowed right after a selection step"
                )
            if kind not in SELECTION_STEPS:
                continue
            next_ids = {ex.get("Id") for ex in journey.exchanges[i + 1]} if nxt is not None else set()
            here_ids = {ex.get("Id") for ex in here}
            has_target = False
            for sel in journey.selections[i]:
                target, validation = sel.get("TargetClaimsExchangeId"), sel.get("ValidationClaimsExchangeId")
                if bool(target) == bool(validation):
                    yield Finding(sel, "ClaimsProviderSelection needs exactly one of TargetClaimsExchangeId and ValidationClaimsExchangeId")
                elif target:
                    has_target = True
                    if target not in next_ids:
                        yield Finding(
                            sel,
                            f"TargetClaimsExchangeId {target!r} is not a ClaimsExchange of the next step",
                            attr="TargetClaimsExchangeId",
                        )
                elif validation not in here_ids:
                    yield Finding(
                        sel,
                        f"ValidationClaimsExchangeId {validation!r} is not a ClaimsExchange of this step",
                        attr="ValidationClaimsExchangeId",
                    )
            if has_target and (nxt is None or nxt.get("Type") != "ClaimsExchange"):
                yield Finding(step, f"{journey.id!r} step {step.get('Order')}: a selection step must be followed by a ClaimsExchange step")


def _step_blocks(policy: Effective) -> Iterator[tuple[str, list[etree._Element], set[str]]]:
    """Each step's preconditions, with the claims that always exist by then (see `_always_set`)."""
    tps = policy.technical_profiles
    for journey in _all_journeys(policy):
        always: set[str] = set()
        for step, step_exchanges in zip(journey.steps, journey.exchanges, strict=True):
            conditional = False
            for block in step.iterfind(q("Preconditions")):
                conditional = True
                yield f"{journey.id!r} step {step.get('Order')}", list(block), always
            if not conditional and step_exchanges:
                always = always | _always_set(policy, [tps.get(ex.get("TechnicalProfileReferenceId", "")) for ex in step_exchanges])


def _always_set(policy: Effective, profiles: list[TechnicalProfile | None]) -> set[str]:
    """The claims a step that always runs sets whichever of its exchanges runs: an output claim
    with a `DefaultValue` in each (a profile outputs its defaults whatever it returns)."""
    found: set[str] | None = None
    for tp in profiles:
        if tp is None:
            return set()
        outputs = _defaults_declared(policy, tp)
        found = outputs if found is None else found & outputs
    return found or set()


def _defaults_declared(policy: Effective, tp: TechnicalProfile) -> set[str]:
    """The claims any declaration of a profile (or of one it includes) outputs with a
    `DefaultValue`: read once per profile and merged content (steps share profiles)."""
    return policy.merged.once(
        ("defaults-declared", id(tp)),
        lambda: {
            c.get("ClaimTypeReferenceId", "")
            for own in tp.lineage
            for decl in own.decls
            for c in decl.iterfind(q("OutputClaims/OutputClaim"))
            if c.get("DefaultValue") is not None
        },
    )


def _validation_blocks(policy: Effective) -> Iterator[tuple[str, list[etree._Element], set[str]]]:
    for tp in policy.profiles_in_use:
        for vtp in tp.validation_profiles:
            for block in vtp.iterfind(q("Preconditions")):
                yield f"validation profile {vtp.get('ReferenceId')!r} of {tp.id!r}", list(block), set()


#: a literal written like a claim's Id, never like a value: camelCase, snake_case or dotted
#: (`objectId`, `id_token_hint`); a plain word such as `email` is a value too (an MFA method)
_IDENTIFIER = re.compile(r"[a-z][A-Z]|_|\.")
#: claims every sign-in path sets before a later step tests them: the starter pack's own
#: `authenticationSource` test (each sign-in profile outputs it with a default value)
ALWAYS_SET = {"authenticationsource"}


def _enumerated(claim: etree._Element | None, literal: str) -> bool:
    """True when `literal` is one of the claim type's enumeration values: the claim is a choice
    the user or a profile always makes before it is compared."""
    if claim is None:
        return False
    return any(item.get("Value") == literal for item in claim.iterfind(q("Restriction/Enumeration")))


def _equals_without_exists(
    blocks: Iterator[tuple[str, list[etree._Element], set[str]]], claims: IdTable[etree._Element], defaulted: set[str], complete: bool
) -> Iterator[Finding]:
    for where, block, always in blocks:
        equals = [p for p in block if p.get("Type") == "ClaimEquals"]
        if not equals:
            continue
        exists = {(p.findtext(q("Value")) or "").strip() for p in block if p.get("Type") == "ClaimsExist"}
        for p in equals:
            values = p.findall(q("Value"))
            texts = [(v.text or "").strip() for v in values]
            claim = texts[0] if texts else ""
            literal = texts[1] if len(texts) > 1 else ""
            # Only "act unless it equals" mis-branches on a missing claim: with ExecuteActionsIf
            # true a missing claim leaves the step to run, as a different value does
            only_if_equal = p.get("ExecuteActionsIf", "").strip().casefold() == "false"
            if (
                complete  # a missing base may set the claim, with a default
                and only_if_equal
                and claim not in exists
                and claim not in always
                and claim not in defaulted
                and claim.casefold() not in ALWAYS_SET
                and not _enumerated(claims.get(claim), literal)
            ):
                yield Finding(
                    p,
                    f"{where}: ClaimEquals on {claim!r} (ExecuteActionsIf false) without ClaimsExist; a missing claim makes the "
                    f"precondition silently ignored, so what it guards runs as if {claim!r} were {literal!r}",
                )
            if literal in claims and _IDENTIFIER.search(literal):
                message = f"{where}: ClaimEquals compares {claim!r} with the text {literal!r}, a claim's Id: the second value is a literal, never a claim"
                yield Finding(values[1], message, severity=Severity.WARNING)


@rule(
    "JRN004",
    "ClaimEquals precondition without ClaimsExist",
    Severity.INFO,
    Scope.CHAIN,
    "userjourneys#preconditions",
    per_journeys=True,
    whole_chain=True,
    partial_chain="missing claims only: a literal that names a claim is still reported",
)
def claim_equals_without_exists(policy: Effective) -> Iterator[Finding]:
    """A `Preconditions` block tests `ClaimEquals` with `ExecuteActionsIf="false"` (act unless
    the claim equals the value: the step, or the validation profile, is meant to run only when
    it does) on a claim without a `ClaimsExist` test on the same claim; warns when the value
    compared with is a claim type's Id.

    "If the claim is null or uninitialized, the precondition is ignored… As a best practice,
    check both that the claim exists, and equals to a value." With `ExecuteActionsIf="false"`,
    a missing claim runs the step as if the claim held the value: an MFA method nobody chose
    sends an SMS, a write meant for one kind of account runs for all. With
    `ExecuteActionsIf="true"` a missing claim leaves the step to run, as a different value
    does, which is what such a test means: not reported (a `ClaimsExist` that skips would
    change the branch). The second `Value` is a literal: `<Value>email</Value><Value>signInName</Value>`
    compares with the text "signInName", never with that claim, so the branch it guards is taken
    almost never (warned, whatever `ExecuteActionsIf` says, only when the text is written like an
    Id, `signInName` or `id_token_hint`: a plain word such as `email` is also a value, an MFA
    method).

    Not reported: the starter pack's `authenticationSource` test (every sign-in profile sets
    it), a comparison with one of the claim type's enumeration values, and a claim that exists
    by then: an earlier step without preconditions outputs it with a `DefaultValue` whichever
    of its exchanges runs, or profiles in use output it with a `DefaultValue` (a flag each path
    sets, such as `newUser`, whose ClaimEquals reads it). On a chain whose base is missing only
    the literal is judged: the base may set the claim.

    Bad: the phone step is meant only for users who chose the phone::

        <Precondition Type="ClaimEquals" ExecuteActionsIf="false">
          <Value>mfaMethod</Value><Value>phone</Value><Action>SkipThisOrchestrationStep</Action></Precondition>

    Fixed: add before it, as the starter pack's LinkedIn scenario does::

        <Precondition Type="ClaimsExist" ExecuteActionsIf="false">
          <Value>mfaMethod</Value><Action>SkipThisOrchestrationStep</Action></Precondition>

    Source: user journeys "Preconditions".
    """
    claims = policy.claim_types
    complete = policy.chain.complete
    defaulted = policy.merged.once("JRN004-defaults", lambda: _defaulted(policy))
    steps = policy.merged.once(
        ("JRN004", complete), lambda: list(_equals_without_exists(_step_blocks(policy), claims, defaulted, complete))
    )
    yield from steps
    yield from _equals_without_exists(_validation_blocks(policy), claims, defaulted, complete)


_PROFILE_OUTPUTS = "ClaimsProviders/ClaimsProvider/TechnicalProfiles/TechnicalProfile/OutputClaims/OutputClaim"


def _defaulted(policy: Effective) -> set[str]:
    """Claims that technical profiles output with a `DefaultValue`: flags the journey's paths
    set (each sign-in profile its own `newUser`, `enableMFA`), whose ClaimEquals is their
    reading (a relying party's defaults apply to the token only, and are left out)."""
    found: set[str] = set()
    for f in policy.merged.files:
        if "JRN004-defaults" not in f.cache:
            f.cache["JRN004-defaults"] = {
                c.get("ClaimTypeReferenceId", "") for c in f.root.iterfind(q(_PROFILE_OUTPUTS)) if c.get("DefaultValue") is not None
            }
        found |= f.cache["JRN004-defaults"]
    return found


@rule("JRN005", "Sub-journey misuse", Severity.WARNING, Scope.CHAIN, "subjourneys", per_content=True, whole_chain=True)
def sub_journey_misuse(policy: Effective) -> Iterator[Finding]:
    """A sub-journey invokes another sub-journey, or a `Transfer` sub-journey has no `SendClaims`.

    "A sub journey is called only from a user journey, it shouldn't call another sub journey."
    A Transfer sub-journey never returns: "The sub journey must have a SendClaims step".

    Bad::

        <SubJourney Id="MFA" Type="Transfer"> ... no SendClaims ... </SubJourney>

    Fixed: end it with `<OrchestrationStep Order="N" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />`,
    or make it `Type="Call"`.

    Source: sub journeys "User journey branching".
    """
    for journey in policy.sub_journeys.values():
        for step in journey.steps:
            if step.get("Type") == "InvokeSubJourney":
                yield Finding(step, f"SubJourney {journey.id!r} invokes another sub-journey")
        if journey.journey_type == "Transfer" and not any(s.get("Type") == "SendClaims" for s in journey.steps):
            yield Finding(journey.definition, f"Transfer SubJourney {journey.id!r} has no SendClaims step")


@rule("JRN006", "Relying party without DefaultUserJourney", Severity.ERROR, Scope.FILE, "relyingparty")
def no_default_journey(f: PolicyFile) -> Iterator[Finding]:
    """A `RelyingParty` element has no `DefaultUserJourney`.

    "The DefaultUserJourney element specifies a reference to the identifier of the user journey
    that is usually defined in the Base or Extensions policy" and is required: the upload fails.
    Without it the linter cannot tell which journey the relying party runs, so every rule that
    follows its journey finds nothing: the file looks clean while it is broken.

    Bad::

        <RelyingParty><TechnicalProfile Id="PolicyProfile">...</TechnicalProfile></RelyingParty>

    Fixed::

        <RelyingParty><DefaultUserJourney ReferenceId="SignUpOrSignIn" />
          <TechnicalProfile Id="PolicyProfile">...</TechnicalProfile></RelyingParty>

    Source: RelyingParty "DefaultUserJourney".
    """
    for rp in f.root.iterfind(q("RelyingParty")):
        if rp.find(q("DefaultUserJourney")) is None:
            yield Finding(rp, "RelyingParty has no DefaultUserJourney: the upload fails, and no journey can be checked")


#: a claim-type input that the user can edit on a page (a default there is only a pre-filled field)
_READ_ONLY_INPUTS = {"", "readonly", "paragraph"}


def _session_provider(policy: Effective, tp: TechnicalProfile) -> TechnicalProfile | None:
    session = tp.session
    return policy.technical_profiles.get(session.get("ReferenceId", "")) if session is not None else None


def _defaults(policy: Effective, tp: TechnicalProfile) -> set[str]:
    """Casefolded claims a profile outputs with a literal `DefaultValue` whatever it returns. A
    claim resolver (`{OAUTH-KV:x}`) may resolve to nothing, and a page only pre-fills an editable
    field with its default (the user may clear it) unless `AlwaysUseDefaultValue` is set."""
    found = set()
    for claim in tp.output_claims:
        value, name = claim.get("DefaultValue") or "", claim.get("ClaimTypeReferenceId", "")
        if not value.strip() or "{" in value:
            continue
        if tp.kind == "SelfAsserted" and claim.get("AlwaysUseDefaultValue", "").casefold() != "true":
            shown = {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.display_claims}
            editable = name.casefold() in shown if shown else (input_type(policy, name) or "") not in _READ_ONLY_INPUTS
            if editable:
                continue
        found.add(name.casefold())
    return found


def _set_every_time(policy: Effective, tp: TechnicalProfile) -> set[str]:
    """The claims a profile run by a step that always runs leaves in the claim bag on every visit.
    A session provider other than `NoopSSOSessionProvider` skips the profile on single sign-on
    and adds only what it stores itself; of those, only its own outputs with a default are
    certain (what it persists depends on the visit that stored it). Once per profile and merged
    content: the same profiles run in many journeys."""
    return policy.merged.once(("set-every-time", id(tp)), lambda: _find_set_every_time(policy, tp))


def _find_set_every_time(policy: Effective, tp: TechnicalProfile) -> set[str]:
    own = _defaults(policy, tp)
    if not own:
        return own  # nothing certain, whatever its session provider
    provider = _session_provider(policy, tp)
    if provider is not None and "NoopSSOSessionProvider" in (provider.protocol.get("Handler", "") if provider.protocol is not None else ""):
        return own
    return own & _defaults(policy, provider) if provider is not None else set()


def _nulled(policy: Effective) -> set[str]:
    """Casefolded claims a `NullClaim` transformation can remove from the claim bag."""
    return {
        c.get("ClaimTypeReferenceId", "").casefold()
        for ct in policy.claims_transformations.values()
        if ct.get("TransformationMethod", "").casefold() == "nullclaim"
        for c in ct.iterfind(q("OutputClaims/OutputClaim"))
    }


def _dead_guards(policy: Effective, journey: Journey, nulled: set[str]) -> Iterator[Finding]:
    tps = policy.technical_profiles
    always: dict[str, tuple[str, str]] = {}  # claim → (Order, profile) of the step that sets it
    previous: list[etree._Element] = []  # the selections of the step before
    for step, step_exchanges, conditions, selections in zip(
        journey.steps, journey.exchanges, journey.preconditions, journey.selections, strict=True
    ):
        for p in conditions:
            if not always or p.get("Type") != "ClaimsExist":
                continue
            claims = [(v.text or "").strip() for v in p.iterfind(q("Value"))]
            if not claims or not all(c.casefold() in always for c in claims):
                continue
            where = f"{journey.tag} {journey.id!r} step {step.get('Order')}"
            order, tp_id = always[claims[0].casefold()]
            because = f"ClaimsExist on {claims[0]!r} is always true: step {order} ({tp_id}) always runs and outputs it with a DefaultValue"
            skips = p.findtext(q("Action")) == "SkipThisOrchestrationStep"
            if p.get("ExecuteActionsIf", "").casefold() == "true" and skips:
                yield Finding(p, f"{where}: {because}, so this step never runs")
            elif p.get("ExecuteActionsIf", "").casefold() == "false":
                yield Finding(p, f"{where}: {because}, so this precondition never applies", severity=Severity.INFO)
        if not conditions and step.get("Type") == "ClaimsExchange" and step_exchanges and not _local_and_choice(previous):
            profiles = [tps.get(ex.get("TechnicalProfileReferenceId", "")) for ex in step_exchanges]
            if all(tp is not None for tp in profiles):
                sets = [_set_every_time(policy, tp) for tp in profiles if tp is not None]
                for claim in set.intersection(*sets) - nulled:  # whichever exchange the user chose runs
                    always.setdefault(claim, (step.get("Order", ""), step_exchanges[0].get("TechnicalProfileReferenceId", "")))
        previous = selections


def _local_and_choice(selections: list[etree._Element]) -> bool:
    """A selection that offers both a local sign-in (in its step) and a choice run next: the next
    step runs only for the choice."""
    return any(sel.get("ValidationClaimsExchangeId") for sel in selections) and any(sel.get("TargetClaimsExchangeId") for sel in selections)


@rule(
    "JRN007",
    "Precondition on a claim that always exists",
    Severity.WARNING,
    Scope.CHAIN,
    "userjourneys#preconditions",
    per_content=True,
    whole_chain=True,
)
def guard_always_true(policy: Effective) -> Iterator[Finding]:
    """A `ClaimsExist` precondition tests a claim that always exists by then: an earlier step that
    always runs (no preconditions, single sign-on off for it with `SM-Noop`) outputs it with a
    literal `DefaultValue`. With `ExecuteActionsIf="true"` and `SkipThisOrchestrationStep` the
    step never runs (warning); with `ExecuteActionsIf="false"` the guard never applies (info).

    A default on a technical profile's output claim creates the claim when that profile runs,
    "as long as you set the DefaultValue attribute", whatever the profile returns. Only that
    makes a claim always exist: a `ClaimType` has no default, a relying party's output claim
    default applies to the token only, an input claim's default is the profile's input, a claim
    resolver (`{OAUTH-KV:x}`) may resolve to nothing, an editable field on a page may be
    cleared, and a profile with a session provider other than `SM-Noop` is skipped on single
    sign-on ("the persisted claims are added to the claims bag", nothing else; a claim that
    provider also outputs with a default still counts). Not judged: a step right after a
    selection step that offers both a local sign-in and other choices (it runs only for those),
    claims a `NullClaim` transformation can remove, and sub-journeys (their caller's claims are
    unknown).

    Bad: step 1 runs `ClaimsTransformation-Defaults` (`SM-Noop`), which outputs
    `<OutputClaim ClaimTypeReferenceId="isMigrated" DefaultValue="false" />`; step 3::

        <Precondition Type="ClaimsExist" ExecuteActionsIf="true">
          <Value>isMigrated</Value><Action>SkipThisOrchestrationStep</Action></Precondition>

    Fixed: test the value, not the presence::

        <Precondition Type="ClaimEquals" ExecuteActionsIf="true">
          <Value>isMigrated</Value><Value>true</Value><Action>SkipThisOrchestrationStep</Action></Precondition>

    Source: user journeys "Preconditions"; OpenID Connect technical profile "Output claims"
    (DefaultValue); SSO session providers "Persisted claims", "NoopSSOSessionProvider".
    """
    nulled = _nulled(policy)
    for journey in policy.user_journeys.values():
        yield from _dead_guards(policy, journey, nulled)
