"""Rules on single sign-on and session behaviour: keep users signed in through an outage."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from toolkit.lint.loader import q
from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: what each kind of profile should use instead of the implicit DefaultSSOSessionProvider
SUGGESTED_PROVIDER = {
    "REST": "NoopSSOSessionProvider (SM-Noop)",
    "ClaimsTransformation": "NoopSSOSessionProvider (SM-Noop)",
    "IdP": "ExternalLoginSSOSessionProvider (SM-SocialLogin)",
    "JwtIssuer": "OAuthSSOSessionProvider (SM-jwt-issuer)",
}
BEHAVIOUR_ORDER = (
    "SingleSignOn",
    "SessionExpiryType",
    "SessionExpiryInSeconds",
    "JourneyInsights",
    "ContentDefinitionParameters",
    "JourneyFraming",
    "ScriptExecution",
)


@rule(
    "SSO001",
    "No session provider referenced",
    Severity.INFO,
    Scope.CHAIN,
    "custom-policy-reference-sso#referencing-a-session-provider",
    per_journeys=True,
)
def no_session_provider(policy: Effective) -> Iterator[Finding]:
    """A REST, claims-transformation, federated identity provider or token issuer profile run by
    an orchestration step has no `UseTechnicalProfileForSessionManagement` (after merging).

    "When a technical profile doesn't reference any session management provider, the
    DefaultSSOSessionProvider session provider is applied, which may cause unexpected behavior."
    A REST call then is skipped on SSO and its claims replayed from the cookie; `SM-Noop` is meant
    to "Fetch updated data from a Restful service each time the policy runs".

    Bad::

        <TechnicalProfile Id="REST-GetLoyalty"> ... </TechnicalProfile>

    Fixed::

        <TechnicalProfile Id="REST-GetLoyalty"> ...
          <UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />
        </TechnicalProfile>

    Source: SSO session providers "Referencing a session provider", "NoopSSOSessionProvider";
    JWT issuer "Session management".
    """
    candidates: dict[str, tuple[TechnicalProfile, str]] = {}
    for _, _, _, tp in policy.step_profiles():
        if tp.kind in SUGGESTED_PROVIDER:
            candidates[tp.id] = (tp, tp.kind)
    for tp in policy.issuers:
        candidates[tp.id] = (tp, "JwtIssuer")
    for tp, kind in candidates.values():
        if tp.session is None:
            yield Finding(
                tp.definition,
                f"{kind} profile {tp.id!r} has no session provider, so DefaultSSOSessionProvider applies; use {SUGGESTED_PROVIDER[kind]}",
            )


@rule("SSO002", "SSO scope narrower than Tenant", Severity.INFO, Scope.CHAIN, "session-behavior")
def narrow_sso_scope(policy: Effective) -> Iterator[Finding]:
    """The relying party's `SingleSignOn/@Scope` is `Suppressed`, `Policy` or `Application`.

    "Configure SSO to be tenant-wide (default)… Tenant-wide configuration provides the most
    resiliency for fresh authentication": a user signed in to one app is not sent through the
    whole flow again by the next. `Suppressed` "forces the user to run through the entire user
    flow upon every execution of the policy", multiplying requests against the tenant limit.

    Bad::

        <SingleSignOn Scope="Suppressed" />

    Fixed::

        <SingleSignOn Scope="Tenant" KeepAliveInDays="30" />

    Source: developer best practices "Configure SSO"; session behavior; RelyingParty "SingleSignOn".
    """
    rp = policy.relying_party
    if rp is None:
        return
    for el in rp.iterfind(q("UserJourneyBehaviors/SingleSignOn")):
        scope = el.get("Scope", "")
        if scope.casefold() in {"suppressed", "policy", "application"}:
            yield Finding(el, f"SingleSignOn Scope is {scope}; Tenant scope is the most resilient", attr="Scope")


def _int(el: etree._Element | None, attr: str | None = None) -> int | None:
    if el is None:
        return None
    try:
        return int((el.get(attr) if attr else el.text) or "")
    except ValueError:
        return None


@rule("SSO003", "Session values out of range", Severity.ERROR, Scope.CHAIN, "relyingparty#userjourneybehaviors")
def session_out_of_range(policy: Effective) -> Iterator[Finding]:
    """`SessionExpiryInSeconds` outside 900..86400, `KeepAliveInDays` above 90, a
    `SessionExpiryType` other than `Rolling`/`Absolute`, or `UserJourneyBehaviors` children out of
    schema order.

    "The default is 86,400 seconds (24 hours). The minimum is 900 seconds (15 minutes). The
    maximum is 86,400 seconds." KeepAliveInDays: "The minimum is 1 day. The maximum is 90 days."
    Out-of-range values fail the upload or cut sessions short, sending users back to B2C.

    Bad::

        <SessionExpiryType>Absolute</SessionExpiryType>
        <SessionExpiryInSeconds>300</SessionExpiryInSeconds>

    Fixed::

        <SessionExpiryType>Rolling</SessionExpiryType>
        <SessionExpiryInSeconds>86400</SessionExpiryInSeconds>

    Source: RelyingParty "UserJourneyBehaviors", "SingleSignOn"; session behavior.
    """
    rp = policy.relying_party
    if rp is None:
        return
    for behaviours in rp.iterfind(q("UserJourneyBehaviors")):
        expiry = behaviours.find(q("SessionExpiryInSeconds"))
        seconds = _int(expiry)
        if expiry is not None and (seconds is None or not 900 <= seconds <= 86400):
            yield Finding(expiry, f"SessionExpiryInSeconds {(expiry.text or '').strip()!r} is outside 900..86400")
        kind = behaviours.find(q("SessionExpiryType"))
        if kind is not None and (kind.text or "").strip() not in {"Rolling", "Absolute"}:
            yield Finding(kind, f"SessionExpiryType {(kind.text or '').strip()!r} must be Rolling or Absolute")
        sso = behaviours.find(q("SingleSignOn"))
        days = _int(sso, "KeepAliveInDays")
        if sso is not None and sso.get("KeepAliveInDays") is not None and (days is None or not 0 <= days <= 90):
            yield Finding(
                sso,
                f"KeepAliveInDays {sso.get('KeepAliveInDays')!r} is outside 1..90 (0 disables keep me signed in)",
                attr="KeepAliveInDays",
            )
        names = [etree.QName(c).localname for c in behaviours if isinstance(c.tag, str)]
        known = [n for n in names if n in BEHAVIOUR_ORDER]
        if known != sorted(known, key=BEHAVIOUR_ORDER.index):
            yield Finding(behaviours, f"UserJourneyBehaviors children must follow the order {', '.join(BEHAVIOUR_ORDER)}")
