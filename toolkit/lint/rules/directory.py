"""Rules on directory (Azure AD) reads and writes."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.lint.loader import q
from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

SIGN_IN_STEPS = {"CombinedSignInAndSignUp", "ClaimsProviderSelection"}


def _is_write(tp: TechnicalProfile | None) -> bool:
    return tp is not None and tp.kind == "AAD" and tp.meta_is("Operation", "write")


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
    """A directory write (`Operation` `Write`) runs on every sign-in: (a) from an orchestration step
    without preconditions in a journey that signs users in, or (b) as a validation profile without
    preconditions of the sign-in page's profile.

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
        if not any(s.get("Type") in SIGN_IN_STEPS for s in steps):
            continue
        for step, step_exchanges in zip(steps, journey.exchanges, strict=True):
            sign_in_ids = {
                sel.get("ValidationClaimsExchangeId") for sel in step.iterfind(q("ClaimsProviderSelections/ClaimsProviderSelection"))
            } - {None}
            for exchange in step_exchanges:
                tp = tps.get(exchange.get("TechnicalProfileReferenceId", ""))
                if tp is None:
                    continue
                if _is_write(tp) and step.find(q("Preconditions")) is None:
                    yield Finding(
                        exchange,
                        f"{journey.id!r} writes to the directory through {tp.id!r} on every sign-in; add a precondition",
                        attr="TechnicalProfileReferenceId",
                    )
                if exchange.get("Id") in sign_in_ids:
                    for vtp in tp.validation_profiles:
                        if _is_write(tps.get(vtp.get("ReferenceId", ""))) and vtp.find(q("Preconditions")) is None:
                            yield Finding(
                                vtp,
                                f"sign-in profile {tp.id!r} writes to the directory through {vtp.get('ReferenceId')!r} on every sign-in; add a precondition",
                            )
