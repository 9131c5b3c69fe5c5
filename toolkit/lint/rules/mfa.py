"""Rules on second factors and bot protection: an alternative to the phone, sane OTP settings,
verified emails, CAPTCHA where bots knock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import by_signed_link, creates_users, open_profiles


def _is_totp(tp: TechnicalProfile) -> bool:
    return any(word in tp.id.casefold() for word in ("totp", "authenticator", "authy"))


@rule(
    "MFA001",
    "Phone is the only second factor",
    Severity.INFO,
    Scope.CHAIN,
    "https://learn.microsoft.com/entra/architecture/resilient-end-user-experience",
    per_journeys=True,
    whole_chain=True,
)
def phone_only(policy: Effective) -> Iterator[Finding]:
    """The journey reaches a phone-factor profile and no alternative factor (one-time password by
    email, email verification, an authenticator app).

    "Make sure to consider an alternative service provider. The local Telco or phone service
    provider may experience disruptions". Offer email OTP or the Authenticator app ("TOTP is the
    recommended MFA method"), by user choice or as a dynamic switch.

    Bad: the only MFA step is `PhoneFactor-Verify`.

    Fixed: a `ClaimsProviderSelection` between `PhoneFactor-Verify` and an email OTP or TOTP profile.

    Source: resilient end-user experience "How to choose an alternate MFA"; security architecture.
    """
    profiles = policy.profiles_in_use
    phones = [tp for tp in profiles if tp.kind == "PhoneFactor"]
    alternatives = [tp for tp in profiles if tp.kind == "OTP" or _is_totp(tp) or tp.verifies_email]
    if phones and not alternatives:
        yield Finding(
            phones[0].definition,
            f"the journey's only second factor is the phone ({phones[0].id}); offer email OTP or an authenticator app as well",
        )


@rule("MFA002", "No phone country allow-list in the RP file", Severity.WARNING, Scope.CHAIN, "phone-based-mfa")
def no_country_list(policy: Effective) -> Iterator[Finding]:
    """A phone-factor profile is reachable, but the relying-party file itself has no `countryList`
    localized string.

    The allow-list protects against fraudulent telephony (IRSF) that can "exhaust the allowed
    sign-up attempts"; "Add this code to the relying party policy… You must not define these
    elements only in parent policies".

    Bad: `countryList` only in TrustFrameworkLocalization.xml.

    Fixed (in the RP file's BuildingBlocks)::

        <LocalizedString ElementType="UxElement" StringId="countryList">{"DEFAULT":"Country/Region","US":"United States"}</LocalizedString>

    Source: phone-based MFA "Mitigate fraudulent sign-ups for custom policy"; service limits.
    """
    if not policy.is_relying_party:
        return
    phones = [tp for tp in policy.profiles_in_use if tp.kind == "PhoneFactor"]
    leaf = policy.chain.leaf
    strings = leaf.root.iterfind(q("BuildingBlocks/Localization/LocalizedResources/LocalizedStrings/LocalizedString"))
    if phones and not any(s.get("StringId") == "countryList" for s in strings):
        rp = policy.relying_party
        assert rp is not None
        yield Finding(rp, f"{phones[0].id} sends SMS, but this relying-party file sets no countryList allow-list")


def _class_size(character_set: str) -> int:
    body = character_set.strip().lstrip("^").rstrip("$").rstrip("+*").strip("[]")
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return len(chars)


@rule(
    "MFA003",
    "OTP generation settings out of range",
    Severity.ERROR,
    Scope.CHAIN,
    "one-time-password-technical-profile#metadata",
    per_journeys=True,
)
def otp_out_of_range(policy: Effective) -> Iterator[Finding]:
    """A one-time-password profile generating codes sets `CodeExpirationInSeconds` outside 60..1200,
    or a `CharacterSet` with fewer than 10 distinct characters.

    "Minimum: 60; Maximum: 1200; Default: 600"; "The character set must include a minimum of 10
    different characters".

    Bad::

        <Item Key="CodeExpirationInSeconds">30</Item>
        <Item Key="CharacterSet">0-5</Item>

    Fixed::

        <Item Key="CodeExpirationInSeconds">600</Item>
        <Item Key="CharacterSet">0-9</Item>

    Source: one-time password technical profile "Metadata".
    """
    for tp in policy.technical_profiles.values():
        if tp.kind != "OTP" or not tp.meta_is("Operation", "GenerateCode"):
            continue
        expiry = tp.meta("CodeExpirationInSeconds")
        if expiry is not None and (not expiry.isdecimal() or not 60 <= int(expiry) <= 1200):
            yield Finding(tp.where("CodeExpirationInSeconds"), f"{tp.id}: CodeExpirationInSeconds {expiry!r} is outside 60..1200")
        charset = tp.meta("CharacterSet")
        if charset is not None and _class_size(charset) < 10:
            yield Finding(tp.where("CharacterSet"), f"{tp.id}: CharacterSet {charset!r} has fewer than 10 distinct characters")


@rule("MFA004", "Email verification disabled", Severity.WARNING, Scope.CHAIN, "disable-email-verification", per_journeys=True)
def email_verification_disabled(policy: Effective) -> Iterator[Finding]:
    """A sign-up page creates the account with an email address nobody verified: a self-asserted
    profile whose validation write creates users (it refuses existing ones) sets
    `EnforceEmailVerification` to `false`, and no earlier step of the journey verified the email
    (a page with a `Verified.Email` claim, a verification display control, or a one-time code).

    Not reported: a page that creates no account (a TOTP discovery page, a profile edit), a
    page after an earlier step verified the email, which is how a split sign-up is written, and
    a journey entered through a link sent to the address (an invitation, an activation).
    "Disabling email verification in the sign-up process may lead to spam"; "Not recommended for
    production environments."

    Bad::

        <Item Key="EnforceEmailVerification">false</Item>

    Fixed: remove the item (verification is on by default), or verify the email another way.

    Source: disable email verification; custom policy developer notes.
    """
    tps = policy.technical_profiles
    for journey in policy.journeys_in_use:
        if _BY_LINK.search(journey.id) or by_signed_link(policy, journey):
            continue  # entered through a link sent to the address: following it verified the email
        verified = False
        for step_exchanges in journey.exchanges:
            profiles = [tps.get(ex.get("TechnicalProfileReferenceId", "")) for ex in step_exchanges]
            for tp in profiles:
                if (
                    tp is not None
                    and not verified
                    and tp.kind == "SelfAsserted"
                    and tp.meta_is("EnforceEmailVerification", "false")
                    and creates_users(tp, tps)
                ):
                    yield Finding(
                        tp.where("EnforceEmailVerification"), f"{tp.id} creates the account with an email address nobody verified"
                    )
            verified = verified or any(tp is not None and _verifies(policy, tp) for tp in profiles)


def _verifies(policy: Effective, tp: TechnicalProfile) -> bool:
    """True when a profile verifies an email address or a one-time code."""
    return tp.verifies_email or tp.kind == "OTP" or policy.shows_control(tp, "VerificationControl")


def _sign_in_profiles(policy: Effective) -> set[str]:
    ids = set()
    for journey in policy.journeys_in_use:
        for step in journey.steps:
            validation_ids = {
                s.get("ValidationClaimsExchangeId") for s in step.iterfind(q("ClaimsProviderSelections/ClaimsProviderSelection"))
            }
            for exchange in step.iterfind(q("ClaimsExchanges/ClaimsExchange")):
                if exchange.get("Id") in validation_ids:
                    ids.add(exchange.get("TechnicalProfileReferenceId", "").casefold())
    return ids


def _rest_before_authentication(validations: list[TechnicalProfile | None]) -> bool:
    """True when a REST validation profile runs before the credentials are checked (validation
    profiles run in order, and a failed credential check stops the rest)."""
    for tp in validations:
        if tp is None:
            continue
        if tp.kind == "IdP":  # login-NonInteractive: the credential check
            return False
        if tp.kind == "REST":
            return True
    return False


#: claims that only exist once a federated identity provider has signed the user in
_FEDERATED_CLAIMS = {"alternativesecurityid", "alternativesecurityids", "issueruserid", "identityprovider"}
#: a REST validation profile that is itself the bot or fraud check (by its Id or its host)
_BOT_CHECK = re.compile(
    r"fraud|bot(?!tom)|captcha|risk|turnstile|arkose|protect|\bdfp|assess|biocatch|threat|abuse|human|trust.?score", re.IGNORECASE
)


def _after_federation(tp: TechnicalProfile, validations: list[TechnicalProfile | None]) -> bool:
    """True for a page shown after a federated sign-in (it reads or writes the federated
    identity): a bot has to get through the identity provider first."""
    for profile in [tp, *(v for v in validations if v is not None)]:
        for decl in profile.decls:
            for el in decl.iter(q("InputClaim"), q("PersistedClaim"), q("OutputClaim")):
                if el.get("ClaimTypeReferenceId", "").casefold() in _FEDERATED_CLAIMS:
                    return True
    return False


def _bot_check(tp: TechnicalProfile | None) -> bool:
    """True for a REST profile that is the fraud or bot check itself."""
    if tp is None or tp.kind != "REST":
        return False
    name = tp.definition.findtext(q("DisplayName")) or ""
    return bool(_BOT_CHECK.search(f"{tp.id} {name} {tp.meta('ServiceUrl') or ''}"))


def _has_captcha(policy: Effective, tp: TechnicalProfile) -> bool:
    return tp.meta_is("setting.enableCaptchaChallenge", "true") and policy.shows_control(tp, "CaptchaControl")


@rule("BOT001", "Bot-exposed step without CAPTCHA", Severity.INFO, Scope.CHAIN, "add-captcha", per_journeys=True)
def no_captcha(policy: Effective) -> Iterator[Finding]:
    """A sign-up page (a validation profile creates directory users), sign-in page or
    phone-factor profile has no CAPTCHA (`setting.enableCaptchaChallenge` plus a `CaptchaControl`
    display control). A warning when the page also calls a REST API before the user is
    authenticated (a REST validation profile that runs before the credential check).

    Not reported: a page shown after a federated sign-in (it reads or writes the federated
    identity, `alternativeSecurityId`); a page whose REST validation is itself the fraud or bot
    check (its Id, display name or host says fraud, bot, captcha, risk, assess, DFP, threat); a
    page shown only in journeys entered by a signed link (a `GetClaims` step reads an
    `id_token_hint` before any page: invitations, password-reset and magic links; an anonymous
    visitor has no link).

    "When possible, remove API calls from the preauthenticated path. If you can't, then enable
    protections… For example, use… CAPTCHA". CAPTCHA is in public preview and needs current page
    layouts (selfasserted ≥ 2.1.33, unifiedssp ≥ 2.1.21, multifactor ≥ 1.2.19).

    Bad: `LocalAccountSignUpWithLogonEmail` without CAPTCHA, validating with a REST profile.

    Fixed::

        <Item Key="setting.enableCaptchaChallenge">true</Item>
        ... <DisplayClaim DisplayControlReferenceId="captchaControlChallengeCode" />

    Source: resilient external processes "Manage external systems using APIs"; developer best
    practices "Protection from bots"; add CAPTCHA.
    """
    sign_in = _sign_in_profiles(policy)
    reachable = open_profiles(policy)
    for tp in policy.profiles_in_use:
        if tp.id not in reachable:
            continue  # shown only in journeys entered by a signed link (id_token_hint)
        validations = [policy.technical_profiles.get(v.get("ReferenceId", "")) for v in tp.validation_profiles]
        # a write that refuses existing users creates them: a sign-up (profile and password writes don't)
        signs_up = any(
            v is not None
            and v.kind == "AAD"
            and v.meta_is("Operation", "Write")
            and v.meta_is("RaiseErrorIfClaimsPrincipalAlreadyExists", "true")
            for v in validations
        )
        exposed = (tp.kind == "SelfAsserted" and (signs_up or tp.id.casefold() in sign_in)) or tp.kind == "PhoneFactor"
        if not exposed or _has_captcha(policy, tp) or _after_federation(tp, validations) or any(map(_bot_check, validations)):
            continue
        calls_rest = _rest_before_authentication(validations)
        severity = Severity.WARNING if calls_rest else None
        extra = " and calls a REST API before the user is authenticated" if calls_rest else ""
        yield Finding(tp.definition, f"{tp.id} is open to bots without a CAPTCHA{extra}", severity=severity)


#: journeys a user enters through a link sent to their address (an invitation, an activation)
_BY_LINK = re.compile(r"invit|activat|redeem|magic", re.IGNORECASE)
#: claims that hold the phone number a second factor is sent to
PHONE_CLAIMS = re.compile(r"phone|mobile", re.IGNORECASE)
#: a literal phone number: an optional +, then at least 7 digits with spaces, dashes, dots or brackets
_PHONE_NUMBER = re.compile(r"^\+?[\d\s().-]{7,20}$")


@rule("MFA005", "Hard-coded default MFA phone number", Severity.WARNING, Scope.FILE, "phone-factor-technical-profile")
def default_phone_number(f: PolicyFile) -> Iterator[Finding]:
    """A phone-number claim gets a literal phone number as its `DefaultValue` (in an input or
    output claim) or a claims-transformation input parameter.

    A user with no phone on file then receives codes at that number, which belongs to someone
    else (often the developer's): their second factor is a stranger's phone, and every such
    sign-in sends an SMS to one number, which per-number and per-region SMS limits throttle.

    Bad::

        <InputClaim ClaimTypeReferenceId="strongAuthenticationPhoneNumber" DefaultValue="+15555550123" />

    Fixed: no default; ask the user to enrol a phone (`PhoneFactor` with `ManualPhoneNumberEntryAllowed`).

    Source: phone factor technical profile "Input claims"; phone-based MFA "Mitigate fraudulent sign-ups".
    """
    if b"DefaultValue" not in f.data:
        return
    for el in f.root.iter(q("InputClaim"), q("OutputClaim")):
        value = el.get("DefaultValue")
        if not value or value[0] not in "+0123456789(":
            continue  # most claims have no default, or a claim resolver
        if PHONE_CLAIMS.search(el.get("ClaimTypeReferenceId", "")) and _PHONE_NUMBER.match(value) and sum(c.isdigit() for c in value) >= 7:
            yield Finding(el, f"{el.get('ClaimTypeReferenceId')} defaults to the phone number {value!r}", attr="DefaultValue")
