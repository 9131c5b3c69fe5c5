"""Rules on second factors and bot protection: an alternative to the phone, sane OTP settings,
verified emails, CAPTCHA where bots knock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective, Element, Journey, TechnicalProfile
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import (
    by_signed_link,
    creates_users,
    input_type,
    is_directory_write,
    open_profiles,
    shown_claims,
    typed_claims,
)


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
    if not phones:
        return  # most journeys send no SMS: the alternatives are looked for only when one does
    alternatives = [tp for tp in profiles if tp.kind == "OTP" or _is_totp(tp) or tp.verifies_email]
    if not alternatives:
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
    per_content=True,
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
        for selections, exchanges in zip(journey.selections, journey.exchanges, strict=True):
            validation_ids = {s.get("ValidationClaimsExchangeId") for s in selections}
            for exchange in exchanges:
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
#: the federated identities of Microsoft's account-linking samples: a page that writes them
#: follows a federated sign-in (a local sign-up may read them back, so only what is sent counts)
_FEDERATED_IDENTITIES = {"useridentities", "useridentity"}
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
                claim = el.get("ClaimTypeReferenceId", "").casefold()
                if claim in _FEDERATED_CLAIMS or (claim in _FEDERATED_IDENTITIES and el.tag != q("OutputClaim")):
                    return True
    return False


def _bot_check(tp: TechnicalProfile | None) -> bool:
    """True for a REST profile that is the fraud or bot check itself."""
    if tp is None or tp.kind != "REST":
        return False
    name = tp.definition.findtext(q("DisplayName")) or ""
    return bool(_BOT_CHECK.search(f"{tp.id} {name} {tp.meta('ServiceUrl') or ''}"))


def _bot_checked(policy: Effective, tp: TechnicalProfile, validations: list[TechnicalProfile | None]) -> bool:
    """True when a page's validation or display-control action is the fraud or bot check itself."""
    return any(map(_bot_check, validations)) or any(map(_bot_check, _control_calls(policy, tp)))


def _has_captcha(policy: Effective, tp: TechnicalProfile) -> bool:
    return tp.meta_is("setting.enableCaptchaChallenge", "true") and policy.shows_control(tp, "CaptchaControl")


@rule("BOT001", "Bot-exposed step without CAPTCHA", Severity.INFO, Scope.CHAIN, "add-captcha", per_journeys=True)
def no_captcha(policy: Effective) -> Iterator[Finding]:
    """A sign-up page (a validation profile creates directory users), sign-in page or
    phone-factor profile has no CAPTCHA (`setting.enableCaptchaChallenge` plus a `CaptchaControl`
    display control). A warning when the page also calls a REST API before the user is
    authenticated (a REST validation profile that runs before the credential check).

    A warning too for any page shown before the visitor is signed in (a sign-up, sign-in or
    password-reset page, a magic-link request) that sends a code or a message through a REST
    API of its own to an address typed on it: a display control whose `SendCode` action calls
    REST (SendGrid, a mailer of your own) instead of Microsoft's sender, or a sending REST
    validation profile that reads the typed address (its Id, display name or URL says it sends
    mail, SMS, a code or a link, or names SendGrid, Twilio, SMTP; or it follows a
    one-time-password `GenerateCode`). Anyone can then make your API mail or text any address,
    as often as they like: mail bombing, SMS pumping, your sender's reputation and bill.

    Not reported: a page shown after a federated sign-in (it reads or writes the federated
    identity: `alternativeSecurityId`, or `userIdentities` in the account-linking samples); a page whose REST validation or display-control action
    is itself the fraud or bot check (its Id, display name or host says fraud, bot, captcha,
    risk, assess, DFP, threat); a page shown only in journeys entered by a signed link (a
    `GetClaims` step reads an `id_token_hint` before any page: invitations, password-reset and
    magic links; an anonymous visitor has no link); a code sent by Microsoft's own email or SMS
    sender (`AadSsprProtocolProvider`, `AzureMfaProtocolProvider`, phone factor), which B2C
    throttles, or to an address that is shown read-only.

    "When possible, remove API calls from the preauthenticated path. If you can't, then enable
    protections… For example, use… CAPTCHA". CAPTCHA is in public preview and needs current page
    layouts (selfasserted ≥ 2.1.33, unifiedssp ≥ 2.1.21, multifactor ≥ 1.2.19).

    Bad: `LocalAccountSignUpWithLogonEmail` without CAPTCHA, validating with a REST profile; a
    password-reset page whose verification control sends its code through `REST-SendGrid`.

    Fixed::

        <Item Key="setting.enableCaptchaChallenge">true</Item>
        ... <DisplayClaim DisplayControlReferenceId="captchaControlChallengeCode" />

    Source: resilient external processes "Manage external systems using APIs"; developer best
    practices "Protection from bots"; add CAPTCHA; custom email verification (SendGrid, Mailjet).
    """
    sign_in = _sign_in_profiles(policy)
    reachable = open_profiles(policy)
    senders = _mail_senders(policy)
    for tp in policy.profiles_in_use:
        if tp.kind not in ("SelfAsserted", "PhoneFactor"):
            continue  # neither a page nor a phone: nothing a bot fills in (a sender is a page)
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
        sender = senders.get(tp.id)
        exposed = (
            (tp.kind == "SelfAsserted" and (signs_up or tp.id.casefold() in sign_in)) or tp.kind == "PhoneFactor" or sender is not None
        )
        if not exposed or _has_captcha(policy, tp) or _bot_checked(policy, tp, validations):
            continue
        if sender is None and _after_federation(tp, validations):
            continue  # (a page that sends was found shown before any sign-in, federated or not)
        if sender:
            yield Finding(
                tp.definition,
                f"{tp.id} is open to bots without a CAPTCHA and sends a code through {sender} to any address typed on it (mail bombing)",
                severity=Severity.WARNING,
            )
            continue
        calls_rest = _rest_before_authentication(validations)
        severity = Severity.WARNING if calls_rest else None
        extra = " and calls a REST API before the user is authenticated" if calls_rest else ""
        yield Finding(tp.definition, f"{tp.id} is open to bots without a CAPTCHA{extra}", severity=severity)


@rule("BOT002", "Anonymous lookup shown on a page", Severity.WARNING, Scope.CHAIN, "add-captcha", per_journeys=True, whole_chain=True)
def anonymous_lookup_shown(policy: Effective) -> Iterator[Finding]:
    """A page shown before the visitor is signed in displays claims that a REST API looked up
    from what the visitor typed: the lookup's input claims include a claim typed on a page of
    the journey, and a later page (or the same page, for a display-control action) shows one of
    its output claims, read-only or pre-filled, before any step signs the visitor in or proves
    they hold the address (a credential check, a federated sign-in, a verified email or phone).

    Whoever knows a few facts about someone (an email address, a member number, a birth date)
    sees what the API returns about them, and a script can walk through a list of addresses to
    find which have accounts and harvest what each shows: account enumeration and a personal-data
    leak, not a failed sign-in. Look the data up after the user is signed in, or show only what
    they typed.

    Not reported: a lookup keyed by a secret (a password, a one-time or invitation code, a
    token), which only its holder can make, or only by a choice from a list (a country, a
    language: terms of use for the country picked identify nobody); what the API returns
    unchanged from what was typed;
    a page whose CAPTCHA or fraud check guards the typing page; a journey entered by a signed
    link (an `id_token_hint` read before any page); a page after a sign-in step. The journeys'
    preconditions are not evaluated: every step before the first that signs the visitor in
    counts. Not run on a chain whose base is missing (a profile it holds may sign the visitor in).

    Bad: page 1 asks for a member number; `REST-FindMember` returns `displayName` and
    `maskedPhone`; page 2 shows "Welcome back, {displayName}" and the phone, before the password.

    Fixed: ask for the password (or send a code) on page 1 and call `REST-FindMember` after
    `login-NonInteractive`; show nothing the visitor did not type until then.

    Source: resilient external processes "Manage external systems using APIs" (API calls on the
    pre-authenticated path); developer best practices "Protection from bots"; add CAPTCHA.
    """
    reported: set[tuple[str, str]] = set()
    for journey in _open_journeys(policy):
        typed: set[str] = set()
        looked: dict[str, tuple[TechnicalProfile, TechnicalProfile | None]] = {}  # claim → (API, page it was typed on)
        for _, profiles in _before_sign_in(policy, journey):
            # a step's profiles are alternatives: what one types or looks up, only later steps see
            step_typed: set[str] = set()
            step_looked: dict[str, tuple[TechnicalProfile, TechnicalProfile | None]] = {}
            for tp in profiles:
                if tp.kind == "REST":
                    step_looked.update(dict.fromkeys(_looked_up(policy, tp, typed), (tp, None)))
                if tp.kind != "SelfAsserted":
                    continue
                shown = shown_claims(policy, tp)
                here = typed | typed_claims(policy, tp)
                step_typed |= here
                validations = [policy.technical_profiles.get(v.get("ReferenceId", "")) for v in tp.validation_profiles]
                found = [(claim, *looked[claim]) for claim in shown if claim in looked]
                if not (_has_captcha(policy, tp) or _bot_checked(policy, tp, validations)):
                    # a display-control action shows what it looks up on the same page
                    for api in _control_calls(policy, tp):
                        found += [(claim, api, tp) for claim in _looked_up(policy, api, here) if claim in shown]
                    for v in validations:
                        if v is None or v.kind == "IdP":
                            break  # after the credential check the visitor is signed in
                        if v.kind == "REST":
                            step_looked.update(dict.fromkeys(_looked_up(policy, v, here), (v, tp)))
                for claim, api, page in found:
                    if (tp.id, api.id) in reported:
                        continue
                    reported.add((tp.id, api.id))
                    names = sorted({shown[c].get("ClaimTypeReferenceId", c) for c, a, _ in found if a is api})
                    where = f"on {page.id}" if page is not None else "earlier in the journey"
                    yield Finding(
                        shown[claim],
                        f"{tp.id} shows {', '.join(names)} that {api.id} looked up from what an anonymous visitor typed {where}: "
                        "anyone who types someone's details sees their data (account enumeration)",
                    )
            typed |= step_typed
            looked.update(step_looked)


#: Microsoft's own code senders: email verification and SMS, throttled by B2C
_MICROSOFT_SENDERS = ("AadSsprProtocolProvider", "AzureMfaProtocolProvider", "PhoneFactorProtocolProvider")
#: a REST profile that sends a message (by its Id, display name or URL)
_SENDS = re.compile(
    r"send.?(?:e?mail|sms|otp|code|link|magic|invit|message|notif|verif)|sendgrid|smtp|\bsms|twilio|mailjet|mailgun|magic.?link",
    re.IGNORECASE,
)
#: UserInputTypes a visitor types a fact into (a selection from a list identifies nobody)
_FREE_TEXT = frozenset({"textbox", "emailbox", "datetimedropdown"})
#: a claim that holds an address a message can be sent to
_ADDRESS = re.compile(r"mail|phone|mobile|msisdn", re.IGNORECASE)
#: a claim that is a secret: a lookup keyed by it is made by its holder only
_SECRET = re.compile(r"password|secret|token|otp|verificationcode|passcode|accesscode|invit|redeem|activation", re.IGNORECASE)


def _open_journeys(policy: Effective) -> list[Journey]:
    """The user journeys an anonymous visitor can start: every one in use but those entered only by a signed link."""
    return [j for j in policy.journeys_in_use if j.tag == "UserJourney" and not by_signed_link(policy, j)]


def _steps(policy: Effective, journey: Journey, seen: set[int]) -> Iterator[tuple[Element, list[TechnicalProfile | None]]]:
    """Each step of a journey with its profiles; an invoked sub-journey's steps in place of the
    step that invokes it."""
    for step, step_exchanges in zip(journey.steps, journey.exchanges, strict=True):
        if step.get("Type") == "InvokeSubJourney":
            for cand in step.iterfind(q("JourneyList/Candidate")):
                sub = policy.sub_journeys.get(cand.get("SubJourneyReferenceId", ""))
                if sub is not None and id(sub) not in seen:
                    seen.add(id(sub))
                    yield from _steps(policy, sub, seen)
            continue
        yield step, [policy.technical_profiles.get(ex.get("TechnicalProfileReferenceId", "")) for ex in step_exchanges]


def _signs_in(policy: Effective, tp: TechnicalProfile | None) -> bool:
    """True when a step's profile signs the visitor in or proves they hold an address: a
    federated or phone sign-in, a one-time code, a page that checks a password, verifies an
    email or creates the account. A profile whose protocol the chain does not hold counts (it
    may)."""
    if tp is None or tp.protocol is None or tp.kind in ("IdP", "PhoneFactor", "OTP") or _microsoft_sender(tp):
        return True
    if tp.kind != "SelfAsserted":
        return False
    if tp.verifies_email or policy.shows_control(tp, "VerificationControl"):
        return True
    for v in tp.validation_profiles:
        target = policy.technical_profiles.get(v.get("ReferenceId", ""))
        if target is None or target.protocol is None or target.kind in ("IdP", "OTP", "PhoneFactor") or _microsoft_sender(target):
            return True
        if is_directory_write(target) and target.meta_is("RaiseErrorIfClaimsPrincipalAlreadyExists", "true"):
            return True
    return False


def _before_sign_in(policy: Effective, journey: Journey) -> list[tuple[Element, list[TechnicalProfile]]]:
    """The steps of a journey that run before the visitor is signed in, with their profiles.
    A selection step's own sign-in page is shown anonymously, and so are the choices it offers
    (a sign-up page, a password reset) in the next step; after a step whose every choice signs
    the visitor in, nothing is anonymous any more."""
    return policy.merged.once(("before-sign-in", id(journey)), lambda: _walk_before_sign_in(policy, journey))


def _walk_before_sign_in(policy: Effective, journey: Journey) -> list[tuple[Element, list[TechnicalProfile]]]:
    found: list[tuple[Element, list[TechnicalProfile]]] = []
    for step, profiles in _steps(policy, journey, set()):
        if step.get("Type") == "GetClaims":
            break  # a token the relying party passed identifies the visitor
        found.append((step, [tp for tp in profiles if tp is not None]))
        selections = list(step.iterfind(q("ClaimsProviderSelections/ClaimsProviderSelection")))
        if selections:
            offers = any(sel.get("TargetClaimsExchangeId") for sel in selections) or any(
                tp is not None and tp.item("SignUpTarget") is not None for tp in profiles
            )
            if offers or not profiles or not all(_signs_in(policy, tp) for tp in profiles):
                continue  # the choices run in the next step
            break
        if profiles and all(_signs_in(policy, tp) for tp in profiles):
            break
    return found


def _mail_senders(policy: Effective) -> dict[str, str]:
    """Pages shown before the visitor is signed in that send a code or a message through a REST
    API to an address typed on them, by page id: the id of the API."""
    return policy.merged.once(("mail-senders", policy.journey_refs), lambda: _find_senders(policy))


def _find_senders(policy: Effective) -> dict[str, str]:
    found: dict[str, str] = {}
    for journey in _open_journeys(policy):
        for _, profiles in _before_sign_in(policy, journey):
            for tp in profiles:
                if tp.kind == "SelfAsserted" and tp.id not in found and (sender := _sender(policy, tp)):
                    found[tp.id] = sender
    return found


def _sender(policy: Effective, tp: TechnicalProfile) -> str | None:
    """The REST profile a page sends a code or message through to an address typed on it."""
    tps = policy.technical_profiles
    typed = typed_claims(policy, tp)
    for el in tp.display_claims:
        control = policy.display_controls.get(el.get("DisplayControlReferenceId") or "")
        if control is None or not any(
            (c.get("ClaimTypeReferenceId") or "").casefold() in typed and c.get("ControlClaimType") != "VerificationCode"
            for c in control.iterfind(q("DisplayClaims/DisplayClaim"))
        ):
            continue  # no control, or its address is shown read-only
        for action in control.iterfind(q("Actions/Action")):
            if action.get("Id", "").casefold() != "sendcode":
                continue
            profiles: list[TechnicalProfile | None] = [
                tps.get(ref.get("TechnicalProfileReferenceId", "")) for ref in action.iter(q("ValidationClaimsExchangeTechnicalProfile"))
            ]
            if any(p is None or _microsoft_sender(p) for p in profiles):
                continue  # Microsoft sends the code (or a profile the chain lacks may)
            apis = [p for p in profiles if p is not None and p.kind == "REST"]
            if apis:
                return apis[-1].id
    generated = False
    for v in tp.validation_profiles:
        target: TechnicalProfile | None = tps.get(v.get("ReferenceId", ""))
        if target is None or target.kind == "IdP":
            break  # after the credential check the visitor is signed in
        if target.kind == "OTP" and target.meta_is("Operation", "GenerateCode"):
            generated = True
        if target.kind != "REST":
            continue
        name = f"{target.id} {target.definition.findtext(q('DisplayName')) or ''} {target.meta('ServiceUrl') or ''}"
        addresses = {c.get("ClaimTypeReferenceId", "").casefold() for c in target.input_claims} & typed
        if (generated or _SENDS.search(name)) and any(_ADDRESS.search(a) for a in addresses):
            return target.id
    return None


def _microsoft_sender(tp: TechnicalProfile) -> bool:
    protocol = tp.protocol
    handler = protocol.get("Handler", "") if protocol is not None else ""
    return any(name in handler for name in _MICROSOFT_SENDERS)


def _control_calls(policy: Effective, tp: TechnicalProfile) -> list[TechnicalProfile]:
    """The REST profiles a page's display controls call (their actions)."""
    calls = []
    for el in tp.display_claims:
        control = policy.display_controls.get(el.get("DisplayControlReferenceId") or "")
        if control is None:
            continue
        for ref in control.iter(q("ValidationClaimsExchangeTechnicalProfile")):
            api = policy.technical_profiles.get(ref.get("TechnicalProfileReferenceId", ""))
            if api is not None and api.kind == "REST":
                calls.append(api)
    return calls


def _looked_up(policy: Effective, api: TechnicalProfile, typed: set[str]) -> list[str]:
    """Casefolded ids of the claims a REST profile returns from a lookup keyed by what the visitor
    typed: none when it reads no typed claim, or reads a secret (a credential or code check)."""
    inputs = {c.get("ClaimTypeReferenceId", "").casefold() for c in api.input_claims}
    if not any(input_type(policy, c) in _FREE_TEXT for c in inputs & typed):
        return []  # keyed by nothing typed, or only by a choice from a list (a country, a language)
    if any(_SECRET.search(c) or input_type(policy, c) == "password" for c in inputs):
        return []
    outputs = (c.get("ClaimTypeReferenceId", "").casefold() for c in api.output_claims)
    return [c for c in outputs if c and c not in inputs and c not in typed]


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


@rule("MFA006", "Password grant (ROPC) journey", Severity.INFO, Scope.CHAIN, "add-ropc-policy", per_journeys=True)
def password_grant(policy: Effective) -> Iterator[Finding]:
    """A journey signs users in with the resource owner password credentials grant (ROPC): an
    orchestration step runs an OpenID Connect profile whose `grant_type` input claim is
    `password` (`login-NonInteractive`, `ResourceOwnerPasswordCredentials-OAUTH2`), with no page
    before it: the application collects the user name and password and posts them to `/token`.

    "ROPC doesn't work when there's any interruption to the authentication flow that needs user
    interaction", so no second factor, CAPTCHA or consent can ever run in it: each request is one
    password guess that only the tenant's smart lockout slows down, and a password sprayed from
    a list meets no other check. Microsoft: "We recommend that you don't use the ROPC flow."
    Reported as information: a first-party app on a trusted device may have no alternative.

    Not reported: the same profile as a validation profile of a sign-in page (the usual
    credential check), or as a step after a page that asks for the password.

    Bad::

        <OrchestrationStep Order="1" Type="ClaimsExchange">
          <ClaimsExchanges><ClaimsExchange Id="ResourceOwnerFlow" TechnicalProfileReferenceId="ResourceOwnerPasswordCredentials-OAUTH2" /></ClaimsExchanges>
        </OrchestrationStep>

    Fixed: the authorization code flow with PKCE (a browser or system web view), where the
    sign-in page can ask for a second factor and show a CAPTCHA.

    Source: resource owner password credentials flow ("We recommend that you don't use the ROPC
    flow", limitations); developer best practices "Protection from bots".
    """
    for journey in policy.journeys_in_use:
        paged = False
        for step_exchanges in journey.exchanges:
            for exchange in step_exchanges:
                tp = policy.technical_profiles.get(exchange.get("TechnicalProfileReferenceId", ""))
                if tp is not None and tp.kind == "IdP" and not paged and _password_grant(tp):
                    yield Finding(
                        exchange,
                        f"{journey.tag} {journey.id!r} signs users in with the password grant (ROPC) through {tp.id!r}: "
                        "no second factor or CAPTCHA can run, and each request is a password guess",
                        attr="TechnicalProfileReferenceId",
                    )
            paged = paged or any(
                (tp := policy.technical_profiles.get(ex.get("TechnicalProfileReferenceId", ""))) is None or tp.kind == "SelfAsserted"
                for ex in step_exchanges
            )


def _password_grant(tp: TechnicalProfile) -> bool:
    """True for an OpenID Connect profile that posts the password grant (ROPC)."""
    protocol = tp.protocol
    if protocol is None or protocol.get("Name", "").casefold() != "openidconnect":
        return False
    return any(
        c.get("ClaimTypeReferenceId", "").casefold() == "grant_type" and (c.get("DefaultValue") or "").strip().casefold() == "password"
        for c in tp.input_claims
    )
