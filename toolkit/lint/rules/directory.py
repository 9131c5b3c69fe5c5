"""Rules on directory (Azure AD) reads and writes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective, Element
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
        for step, step_exchanges in zip(steps, journey.exchanges, strict=True):
            if _stops_for_returning_users(step):
                continue
            for exchange in step_exchanges:
                tp = tps.get(exchange.get("TechnicalProfileReferenceId", ""))
                if tp is None:
                    continue
                if is_directory_write(tp):
                    yield Finding(
                        exchange,
                        f"{journey.id!r} writes to the directory through {tp.id!r} on every sign-in; add a precondition",
                        attr="TechnicalProfileReferenceId",
                    )
                if tp.kind != "SelfAsserted" or creates_users(tp, tps) or writes_on_purpose(tp.id):
                    continue  # a sign-up page writes only for new users; a reset or edit page when asked
                for vtp in tp.validation_profiles:
                    if is_directory_write(tps.get(vtp.get("ReferenceId", ""))) and not _stops_for_returning_users(vtp):
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


def _stops_for_returning_users(el: Element) -> bool:
    """True when a step's (or validation profile's) preconditions test a claim that tells a
    returning user from a new one or a changed value; a test of an unrelated claim (the
    authentication source, the e-mail) still runs the write on every sign-in."""
    for precondition in el.iterfind(q("Preconditions/Precondition")):
        claim = precondition.findtext(q("Value")) or ""  # the first Value names the claim
        # ClaimsExist: the write waits for a claim this sign-in produced (a QR code, a new id), or
        # is skipped when one exists; a ClaimEquals guards only on a claim about the user's state
        if precondition.get("Type") == "ClaimsExist" or _RETURNING.search(claim):
            return True
    return False
