"""Rules on directory (Azure AD) reads and writes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from toolkit.lint.model import Effective, Element, TechnicalProfile
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import creates_users, is_directory_write

SIGN_IN_STEPS = {"CombinedSignInAndSignUp", "ClaimsProviderSelection"}


@rule(
    "AAD001",
    "Unconditional directory write on sign-in",
    Severity.WARNING,
    Scope.CHAIN,
    "https://learn.microsoft.com/entra/architecture/resilience-b2c-developer-best-practices",
    per_journeys=True,
    whole_chain=True,
)
def write_on_sign_in(policy: Effective) -> Iterator[Finding]:
    """A directory write (`Operation` `Write`) runs on every sign-in: from an orchestration step of
    a journey that signs users in, or as a validation profile of a page of such a journey, with
    no precondition that skips it for a returning user.

    What counts: a journey that signs users in (a selection step) and whose name does not say it
    writes on purpose (profile edit, registration or sign-up only, account linking and unlinking,
    consent, password reset or change, deletion, invitation, migration: `writes_on_purpose`). A
    precondition silences it when it waits for or skips on a claim's existence (`ClaimsExist`),
    or compares a claim that tells a returning user apart (a new user, a value that changed, a
    migration or consent flag); a comparison of an unrelated claim (`authenticationSource`,
    `identityProvider`) still writes on every sign-in of that kind. A sign-up page (its
    write refuses existing users) writes for new users only, and a page named for a write
    (password reset, profile edit, registration) only when the user asks for it.

    "Avoid executing a write on sign-in without a precondition (if clause)… A custom policy that
    creates or updates a user on every sign-in, can hit an application level PUT or POST rate
    limit." Writes are the first thing the directory throttles at peak.

    Bad::

        <OrchestrationStep Order="3" Type="ClaimsExchange">
          <ClaimsExchanges><ClaimsExchange Id="AADUserWrite" TechnicalProfileReferenceId="AAD-UserWriteProfileUsingObjectId" /></ClaimsExchanges>
        </OrchestrationStep>

    Fixed::

        <OrchestrationStep Order="3" Type="ClaimsExchange">
          <Preconditions>
            <Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>requiresMigration</Value><Action>SkipThisOrchestrationStep</Action></Precondition>
          </Preconditions>
          <ClaimsExchanges>...</ClaimsExchanges>
        </OrchestrationStep>

    Source: developer best practices "How to optimize directory reads and writes"; custom policy
    overview "Best practices"; Azure AD technical profile "Metadata".
    """
    tps = policy.technical_profiles
    for journey in policy.journeys_in_use:
        steps = journey.steps
        if not any(s.get("Type") in SIGN_IN_STEPS for s in steps) or writes_on_purpose(journey.id):
            continue
        for step_exchanges, preconditions in zip(journey.exchanges, journey.preconditions, strict=True):
            stops: bool | None = None  # read only for a step that writes (most steps do not)
            for exchange in step_exchanges:
                tp = tps.get(exchange.get("TechnicalProfileReferenceId", ""))
                if tp is None or not (is_directory_write(tp) or tp.kind == "SelfAsserted"):
                    continue
                if stops is None:
                    stops = _stops_for_returning_users(preconditions)
                if stops:
                    break
                if is_directory_write(tp):
                    yield Finding(
                        exchange,
                        f"{journey.id!r} writes to the directory through {tp.id!r} on every sign-in; add a precondition",
                        attr="TechnicalProfileReferenceId",
                    )
                if tp.kind != "SelfAsserted" or creates_users(tp, tps) or writes_on_purpose(tp.id):
                    continue  # a sign-up page writes only for new users; a reset or edit page when asked
                for vtp in tp.validation_profiles:
                    if is_directory_write(tps.get(vtp.get("ReferenceId", ""))) and not _stops_for_returning_users(
                        vtp.iterfind(q("Preconditions/Precondition"))
                    ):
                        yield Finding(
                            vtp,
                            f"page {tp.id!r} writes to the directory through {vtp.get('ReferenceId')!r} on every sign-in; add a precondition",
                            attr="ReferenceId",
                        )


#: journey ids whose purpose is to write: a profile edit, a registration, account (un)linking,
#: consent, a password or credential change, a deletion, an invitation redeemed
_WRITING_PURPOSE = re.compile(r"edit|updat|link|consent|delet|remov|reset|chang|regist|invit|redeem|migrat|enrol|mfa_?set|setup", re.I)
_SIGN_UP = re.compile(r"sign_?up", re.I)
_SIGN_IN = re.compile(r"sign_?in|log_?in", re.I)


def writes_on_purpose(journey_id: str) -> bool:
    """True when a journey's name says that writing is what it is for (read by several rules)."""
    return bool(_WRITING_PURPOSE.search(journey_id)) or bool(_SIGN_UP.search(journey_id) and not _SIGN_IN.search(journey_id))


#: claims a precondition tests to skip a step for a returning user: the user exists, is new, or
#: a value changed, must be migrated or needs consent
_RETURNING = re.compile(
    r"new|exist|objectid|migrat|updat|chang|dirty|first|need|requir|consent|accept|version|expir|stale|sync|skip|missing|complete|challenge",
    re.I,
)


def _stops_for_returning_users(preconditions: Iterable[Element]) -> bool:
    """True when a step's (or validation profile's) preconditions test a claim that tells a
    returning user from a new one or a changed value; a test of an unrelated claim (the
    authentication source, the e-mail) still runs the write on every sign-in."""
    for precondition in preconditions:
        claim = precondition.findtext(q("Value")) or ""  # the first Value names the claim
        # ClaimsExist: the write waits for a claim this sign-in produced (a QR code, a new id), or
        # is skipped when one exists; a ClaimEquals guards only on a claim about the user's state
        if precondition.get("Type") == "ClaimsExist" or _RETURNING.search(claim):
            return True
    return False


@rule(
    "AAD002",
    "REST call that can fail after the account is created",
    Severity.WARNING,
    Scope.CHAIN,
    "validation-technical-profile",
    per_journeys=True,
    whole_chain=True,
)
def rest_after_account_created(policy: Effective) -> Iterator[Finding]:
    """A directory write that creates the account (`Operation` `Write` with
    `RaiseErrorIfClaimsPrincipalAlreadyExists` `true`, as `AAD-UserWriteUsingLogonEmail`) is
    followed by a REST call whose failure is not contained.

    In the same validation chain: a REST validation profile after the write, without
    `ContinueOnError="true"` (and the write without `ContinueOnSuccess="false"`, which would
    stop the chain there). When the API fails, the page shows its error, but the account already
    exists, and submitting the page again fails with AADB2C90001 "This user already exists": the
    user is stuck on a sign-up page that cannot succeed, and whatever the API was to do (create
    the customer record, send the welcome mail) never happens.

    Later in the journey: a step that calls a REST profile directly and runs only for a new
    account (a `ClaimsExist` precondition skips it unless a claim only the write sets, such as
    `newUser`, exists). Its failure ends the journey with an error after the account was created,
    and the retry signs the user in without calling the API again.

    Call the API before the write (validate first, create last), contain it (`ContinueOnError`
    and a reduced experience), or let a later sign-in finish the job (run the step for every
    user whose record is incomplete, not only for `newUser`).

    Not reported: a write that updates an existing account (a retry writes again); a REST
    validation profile with `ContinueOnError="true"`, or skipped once the write has run (a
    `ClaimsExist` precondition on a claim the write returns); a journey step that runs for
    returning users too (a retry calls it again).

    Bad::

        <ValidationTechnicalProfile ReferenceId="AAD-UserWriteUsingLogonEmail" />
        <ValidationTechnicalProfile ReferenceId="REST-CreateCustomer" />

    Fixed::

        <ValidationTechnicalProfile ReferenceId="REST-CreateCustomer" />
        <ValidationTechnicalProfile ReferenceId="AAD-UserWriteUsingLogonEmail" />

    Source: validation technical profile "ContinueOnError", "ContinueOnSuccess"; Azure AD
    technical profile "RaiseErrorIfClaimsPrincipalAlreadyExists"; error codes (AADB2C90001);
    API connectors overview (a REST step's failure ends the journey).
    """
    tps = policy.technical_profiles
    if not any(_creates_account(tp) for tp in policy.profiles_of_kind("AAD")):
        return  # nothing in these journeys creates an account
    for tp in policy.profiles_in_use:
        writer: TechnicalProfile | None = None
        for vtp in tp.validation_profiles:
            target: TechnicalProfile | None = tps.get(vtp.get("ReferenceId", ""))
            if target is None:
                continue
            if writer is None:
                if _creates_account(target) and vtp.get("ContinueOnSuccess", "").strip().casefold() != "false":
                    writer = target
                continue
            contained = vtp.get("ContinueOnError", "").strip().casefold() == "true"
            if target.kind == "REST" and not contained and not _skipped_once_written(vtp, writer):
                yield Finding(
                    vtp,
                    f"page {tp.id!r} calls {target.id!r} after {writer.id!r} created the account, and its failure is not contained: "
                    "the account exists, and submitting the page again fails with 'user already exists'",
                    attr="ReferenceId",
                )
    for journey in policy.journeys_in_use:
        writers: list[TechnicalProfile] = []  # the writes that created the account in earlier steps
        only_new: set[str] | None = None  # read when a REST step after a creation waits for a claim
        for step_exchanges, preconditions in zip(journey.exchanges, journey.preconditions, strict=True):
            profiles = [tps.get(ex.get("TechnicalProfileReferenceId", "")) for ex in step_exchanges]
            rest = [(ex, tp) for ex, tp in zip(step_exchanges, profiles, strict=True) if tp is not None and tp.kind == "REST"]
            # the writes' outputs first: the journey's other outputs are read only for a step gated on one
            if writers and rest and _runs_only_when_set(preconditions, {c for w in writers for c in _outputs(w)}):
                if only_new is None:
                    only_new = _set_only_by_account_creation(policy, journey.exchanges)
                gate = _runs_only_when_set(preconditions, only_new)
                setters = [w.id for w in writers if gate and gate.casefold() in _outputs(w)]
                for exchange, tp in rest if setters else ():
                    yield Finding(
                        exchange,
                        f"{journey.tag} {journey.id!r} calls {tp.id!r} only for a new account ({gate} is set by "
                        f"{' or '.join(map(repr, dict.fromkeys(setters)))}), and its failure ends the journey: the account exists, "
                        "and the retry signs in without calling it again",
                        attr="TechnicalProfileReferenceId",
                    )
            writers.extend(w for w in (_account_creator(policy, tp) for tp in profiles) if w is not None)


def _outputs(tp: TechnicalProfile) -> set[str]:
    """Casefolded ids of a profile's output claims."""
    return {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.output_claims}


def _creates_account(tp: TechnicalProfile | None) -> bool:
    """A directory write that refuses an existing account: it creates one."""
    return is_directory_write(tp) and tp is not None and tp.meta_is("RaiseErrorIfClaimsPrincipalAlreadyExists", "true")


def _account_creator(policy: Effective, tp: TechnicalProfile | None) -> TechnicalProfile | None:
    """The write that creates the account, when a step's profile is one or validates with one."""
    if tp is None or _creates_account(tp):
        return tp
    for vtp in tp.validation_profiles:
        target = policy.technical_profiles.get(vtp.get("ReferenceId", ""))
        if _creates_account(target):
            return target  # type: ignore[no-any-return]
    return None


def _skipped_once_written(vtp: Element, writer: TechnicalProfile) -> bool:
    """True when a validation profile is skipped once the write has run: a `ClaimsExist`
    precondition skips it when a claim the write returns exists."""
    returned = _outputs(writer)
    for precondition in vtp.iterfind(q("Preconditions/Precondition")):
        claim = (precondition.findtext(q("Value")) or "").strip().casefold()
        if (
            precondition.get("Type") == "ClaimsExist"
            and precondition.get("ExecuteActionsIf", "").casefold() == "true"
            and claim in returned
        ):
            return True
    return False


def _set_only_by_account_creation(policy: Effective, exchanges: list[list[Element]]) -> set[str]:
    """Casefolded ids of the claims that, in a journey, only the writes that create the account
    return (`newUser`): the pages those writes validate aside, no other profile the journey runs
    (a step or its validation profiles) outputs them."""
    created: set[str] = set()
    others: set[str] = set()
    for step_exchanges in exchanges:
        for exchange in step_exchanges:
            tp = policy.technical_profiles.get(exchange.get("TechnicalProfileReferenceId", ""))
            if tp is None:
                continue
            validations = [policy.technical_profiles.get(v.get("ReferenceId", "")) for v in tp.validation_profiles]
            validates_creation = any(_creates_account(v) for v in validations)
            for profile in [tp, *validations]:
                if profile is None:
                    continue
                outputs = {c.get("ClaimTypeReferenceId", "").casefold() for c in profile.output_claims}
                if _creates_account(profile):
                    created |= outputs
                elif not (profile is tp and validates_creation):
                    others |= outputs
    return created - others


def _runs_only_when_set(preconditions: list[Element], claims: set[str]) -> str | None:
    """The claim of `claims` whose absence skips a step (`ClaimsExist`, `ExecuteActionsIf` false),
    if any, by the step's preconditions."""
    for precondition in preconditions:
        claim = (precondition.findtext(q("Value")) or "").strip()
        if (
            precondition.get("Type") == "ClaimsExist"
            and precondition.get("ExecuteActionsIf", "").casefold() == "false"
            and claim.casefold() in claims
        ):
            return claim
    return None
