"""Rules on single sign-on and session behaviour: keep users signed in through an outage."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from toolkit.lint.model import Effective, IdTable, Journey, TechnicalProfile
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import by_signed_link, unseen_profiles

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

    Not reported on a profile only journeys without a user run (a client-credentials journey
    and its token issuer: no browser, no session to keep or replay).

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
    unseen = unseen_profiles(policy)
    for tp, kind in candidates.values():
        if tp.session is None and tp.id not in unseen:
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


def _no_sso(policy: Effective, tp: TechnicalProfile) -> bool:
    """True when a profile's session provider is `NoopSSOSessionProvider`: it runs every time."""
    session = tp.session
    provider = policy.technical_profiles.get(session.get("ReferenceId", "")) if session is not None else None
    return provider is not None and "NoopSSOSessionProvider" in (
        provider.protocol.get("Handler", "") if provider.protocol is not None else ""
    )


#: selection steps: their options sign the user in, in the same step (local) or the next (target)
SELECTION_STEPS = {"ClaimsProviderSelection", "CombinedSignInAndSignUp"}
#: journeys that ask for the credential again on purpose
_REAUTHENTICATION = re.compile(r"re-?auth|step-?up|force-?(?:login|sign)", re.IGNORECASE)
#: a call that ends a session at the identity provider
_LOGOUT = re.compile(r"log-?out|sign-?out|end-?session", re.IGNORECASE)


def _checks_credentials(tp: TechnicalProfile) -> bool:
    """A profile that checks a password it is given (resource owner password credentials, as
    `login-NonInteractive` does): no page, no redirect, nothing for a session to skip."""
    inputs = {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.input_claims} | {
        (c.get("PartnerClaimType") or "").casefold() for c in tp.input_claims
    }
    return bool(inputs & {"password", "grant_type"}) or tp.meta("grant_type") is not None


def _signs_in(policy: Effective, tp: TechnicalProfile) -> bool:
    """A sign-in page (a self-asserted page whose validation profile checks the password) or a
    federated identity provider the browser is sent to."""
    if tp.kind == "IdP":
        return not _checks_credentials(tp)
    tps = policy.technical_profiles
    return tp.kind == "SelfAsserted" and any(
        (v := tps.get(ref.get("ReferenceId", ""))) is not None and v.kind == "IdP" for ref in tp.validation_profiles
    )


def _main_sign_in(policy: Effective, journey: Journey) -> list[TechnicalProfile]:
    """The profiles of a journey's first sign-in: the options of its first selection step (the
    local sign-in page it shows, the sign-in pages and identity providers the next step runs),
    or, in a journey without one, the sign-in pages and identity providers of the first step
    that runs any. Later sign-ins (account linking, a second factor) are not the main path."""
    tps = policy.technical_profiles
    for i, (step, step_exchanges) in enumerate(zip(journey.steps, journey.exchanges, strict=True)):
        if step.get("Type") in SELECTION_STEPS:
            selections = journey.selections[i]
            local = {sel.get("ValidationClaimsExchangeId") for sel in selections} - {None}
            targets = {sel.get("TargetClaimsExchangeId") for sel in selections} - {None}
            found = [
                tp
                for ex in step_exchanges
                if ex.get("Id") in local and (tp := tps.get(ex.get("TechnicalProfileReferenceId", ""))) is not None
            ]
            chosen = journey.exchanges[i + 1] if i + 1 < len(journey.exchanges) else []
            found += [
                tp
                for ex in chosen
                if ex.get("Id") in targets
                and (tp := tps.get(ex.get("TechnicalProfileReferenceId", ""))) is not None
                and _signs_in(policy, tp)
            ]
            return [tp for tp in found if tp.kind in ("SelfAsserted", "IdP")]
        found = [
            tp for ex in step_exchanges if (tp := tps.get(ex.get("TechnicalProfileReferenceId", ""))) is not None and _signs_in(policy, tp)
        ]
        if found:
            return found
    return []


def _no_session_kept(policy: Effective) -> bool:
    """True when the whole chain declares session providers and all are `NoopSSOSessionProvider`
    (a missing base may declare the others)."""
    if not policy.chain.complete:
        return False
    handlers = [
        tp.protocol.get("Handler", "") for tp in policy.technical_profiles.values() if tp.kind == "Session" and tp.protocol is not None
    ]
    return bool(handlers) and all("NoopSSOSessionProvider" in h for h in handlers)


def _ends_provider_session(tp: TechnicalProfile) -> bool:
    """A REST call to an identity provider's logout (or end-session) endpoint."""
    if tp.kind != "REST":
        return False
    name = tp.definition.findtext(q("DisplayName")) or ""
    return bool(_LOGOUT.search(f"{tp.id} {name} {tp.meta('ServiceUrl') or ''}"))


def _asks_again_on_purpose(policy: Effective, journey: Journey) -> bool:
    """A journey that signs the user in afresh by design: it deletes the account or changes a
    credential (see SSO005), is named for re-authentication, is entered by a signed link, or
    ends the identity provider's session itself."""
    if _REAUTHENTICATION.search(journey.id) or by_signed_link(policy, journey):
        return True
    tps = policy.technical_profiles
    for step_exchanges in journey.exchanges:
        for ex in step_exchanges:
            tp = tps.get(ex.get("TechnicalProfileReferenceId", ""))
            if tp is None:
                continue
            if _ends_provider_session(tp):
                return True
            targets = [tp, *(t for v in tp.validation_profiles if (t := tps.get(v.get("ReferenceId", ""))) is not None)]
            if any(_sensitive(t) for t in targets):
                return True
    return False


@rule("SSO004", "SSO off on the main sign-in page", Severity.WARNING, Scope.CHAIN, "custom-policy-reference-sso", per_journeys=True)
def sign_in_without_sso(policy: Effective) -> Iterator[Finding]:
    """The profile that signs users in on a journey's main path uses `NoopSSOSessionProvider`
    (`SM-Noop`): the local sign-in page of its first selection step (the
    `ValidationClaimsExchangeId` of a `CombinedSignInAndSignUp` step), a sign-in page or a
    federated identity provider that step offers (run by the next step), or, in a journey
    without a selection step, the first step that runs a sign-in page (a self-asserted page
    whose validation profile checks the password) or an identity provider. The provider may
    come through `IncludeTechnicalProfile` or from a file that overrides the base: the merged
    profile is judged.

    Every visit then asks for the password again, or sends the user back to the identity
    provider: no single sign-on between applications, and each re-prompt is a page and a
    credential check against the tenant's 200 requests/s, so an outage or a spike hits every
    signed-in user (with a federated provider, its outage signs everyone out). The starter pack
    uses `SM-AAD` on the sign-in page and `SM-SocialLogin` on identity providers; `SM-Noop` is
    meant for REST and claims-transformation profiles.

    Not reported: later sign-ins of a journey (linking another account, a second factor), a
    profile that checks a password it is given (`login-NonInteractive`, resource owner password
    credentials: no page to skip), and journeys that ask again on purpose: they delete the
    account or change a credential (SSO005 asks for exactly that), are named for
    re-authentication (`ReAuth`, `StepUp`, `ForceLogin`), are entered by a signed link, or end
    the identity provider's session themselves (a REST step whose Id, display name or URL says
    logout, sign-out or end session). Nor a policy whose whole chain declares no session
    provider but `NoopSSOSessionProvider`: nothing in it keeps a sign-in, so signing in afresh
    every time is its design, not a sign-in page left on `SM-Noop`.

    Bad::

        <TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email">
          <UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>

    Fixed::

        <UseTechnicalProfileForSessionManagement ReferenceId="SM-AAD" />

    (and `SM-SocialLogin`, an `ExternalLoginSSOSessionProvider`, on a federated provider).

    Source: SSO session providers "NoopSSOSessionProvider", "DefaultSSOSessionProvider",
    "ExternalLoginSSOSessionProvider"; developer best practices "Configure SSO".
    """
    for journey in policy.journeys_in_use:
        if journey.tag != "UserJourney":
            continue
        # the sign-in's session provider first: the rest is read only for a sign-in on SM-Noop
        noop = [tp for tp in _main_sign_in(policy, journey) if _no_sso(policy, tp)]
        if not noop or _asks_again_on_purpose(policy, journey) or _no_session_kept(policy):
            continue
        for tp in noop:
            session = tp.session
            where = session if session is not None else tp.definition
            if tp.kind == "IdP":
                message = f"identity provider {tp.id!r} on the main sign-in path uses NoopSSOSessionProvider: every visit goes back to it"
            else:
                message = f"sign-in page {tp.id!r} uses NoopSSOSessionProvider: every visit asks for the password again"
            yield Finding(where, message)


#: journeys a user reaches through a link sent to them
_BY_LINK = re.compile(r"invit|activat|redeem|magic", re.IGNORECASE)
#: claims whose write changes how the user signs in
CREDENTIAL_CLAIMS = {
    "password", "newpassword", "strongauthenticationphonenumber", "strongauthenticationemailaddress",
    "signinnames.emailaddress", "signinnames.username", "signinnames.phonenumber",
}  # fmt: skip


def _sensitive(tp: TechnicalProfile) -> str | None:
    """What a directory profile does that needs a fresh sign-in: delete the account, or change a credential."""
    if tp.kind != "AAD":
        return None
    operation = (tp.meta("Operation") or "").casefold()
    if operation in ("deleteclaimsprincipal", "deleteclaims"):
        return "deletes the account"
    if operation == "write" and not tp.meta_is("RaiseErrorIfClaimsPrincipalAlreadyExists", "true"):  # not a new account
        written = {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.persisted_claims}
        if changed := sorted(written & CREDENTIAL_CLAIMS):
            return f"changes {', '.join(changed)}"
    return None


def _checks_credential_typed(tp: TechnicalProfile, tps: IdTable[TechnicalProfile]) -> bool:
    """A page that checks the password typed on it (a credential or migration check among its
    validation profiles, before any write): what it writes is what the user just proved, as a
    seamless migration's sign-in page does."""
    if tp.kind != "SelfAsserted" or "password" not in {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.output_claims}:
        return False
    for v in tp.validation_profiles:
        target = tps.get(v.get("ReferenceId", ""))
        if target is None:
            continue
        if target.kind == "AAD" and _sensitive(target) is not None:
            return False  # a write before any check
        if target.kind == "IdP" or (
            target.kind == "REST" and any(c.get("ClaimTypeReferenceId", "").casefold() == "password" for c in target.input_claims)
        ):
            return True
    return False


def _sign_in_pages(policy: Effective) -> set[str]:
    """Casefolded ids of the pages a selection step signs users in with."""
    ids = set()
    for journey in policy.journeys_in_use:
        chosen: set[str | None] = set()
        for step_exchanges, selections in zip(journey.exchanges, journey.selections, strict=True):
            # the choice a selection step offers runs in the same step (local) or the next (target)
            ids |= {ex.get("TechnicalProfileReferenceId", "").casefold() for ex in step_exchanges if ex.get("Id") in chosen}
            chosen = {sel.get("TargetClaimsExchangeId") for sel in selections}
            local = {sel.get("ValidationClaimsExchangeId") for sel in selections}
            ids |= {ex.get("TechnicalProfileReferenceId", "").casefold() for ex in step_exchanges if ex.get("Id") in local}
    return ids


def _proves_presence(policy: Effective, tp: TechnicalProfile) -> bool:
    """True when a step makes the user prove who they are now, whatever the SSO session: a
    credential check or a code sent to them that runs every time, or an email verification."""
    if tp.verifies_email:
        return True
    validations = [policy.technical_profiles.get(v.get("ReferenceId", "")) for v in tp.validation_profiles]
    if tp.kind in ("PhoneFactor", "OTP") and _no_sso(policy, tp):
        return True
    # A page that checks the password again: skipped on SSO only when the session already ran it,
    # which is the case for the sign-in page itself
    if tp.kind == "SelfAsserted" and any(v is not None and v.kind in ("IdP", "OTP") for v in validations):
        return _no_sso(policy, tp) or tp.id.casefold() not in _sign_in_pages(policy)
    return policy.shows_control(tp, "VerificationControl")


@rule(
    "SSO005",
    "Account deletion or credential change on an SSO session",
    Severity.WARNING,
    Scope.CHAIN,
    "session-behavior",
    per_journeys=True,
)
def sensitive_change_on_sso(policy: Effective) -> Iterator[Finding]:
    """A journey deletes the account or changes a credential (password, MFA phone or email,
    sign-in name) of an existing account, and nothing in it makes the user prove who they are now: every credential
    check in it can be answered from the existing SSO session.

    Anyone at an unlocked, signed-in browser can then delete the account or take it over by
    changing its password or MFA phone. Ask again: a page that checks the current password
    (`login-NonInteractive` as a validation profile) with `SM-Noop`, a phone or email code, or
    `prompt=login` enforced by a step that never uses the session.

    Not reported: a journey entered only by a signed link (an `id_token_hint` read before any
    page: the link is the proof), and a password write run by the page the user just typed that
    password on, after its credential check (a seamless migration's sign-in page).

    Bad: a `DeleteAccount` journey whose only sign-in step uses `SM-AAD`, then
    `AAD-DeleteUser` (`Operation` `DeleteClaimsPrincipal`).

    Fixed: a step that asks for the current password or a one-time code with
    `<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />` before the write.

    Source: session behavior (SSO sessions skip steps); developer best practices "Configure SSO";
    password change sample (asks for the old password).
    """
    tps = policy.technical_profiles
    if not any(_sensitive(tp) for tp in policy.profiles_of_kind("AAD")):
        return  # most relying parties delete nothing and change no credential
    for journey in policy.journeys_in_use:
        if _BY_LINK.search(journey.id) or by_signed_link(policy, journey):
            continue  # the link the user followed (an invitation, an activation) is the proof
        proven = False
        for step_exchanges in journey.exchanges:
            for exchange in step_exchanges:
                tp = tps.get(exchange.get("TechnicalProfileReferenceId", ""))
                if tp is None:
                    continue
                writes = [(exchange, tp)]
                if not _checks_credential_typed(tp, tps):
                    writes += [(v, t) for v in tp.validation_profiles if (t := tps.get(v.get("ReferenceId", ""))) is not None]
                for where, target in writes:
                    what = _sensitive(target)
                    if what is not None and not proven and not _proves_presence(policy, tp):
                        yield Finding(
                            where, f"{journey.id!r} {what} through {target.id!r} with no re-authentication: the SSO session is enough"
                        )
                proven = proven or _proves_presence(policy, tp)
