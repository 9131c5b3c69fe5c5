"""What several rule modules ask of a value, a file or a profile. A rule module takes what it
shares with another from here, never from another rule module."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from lxml.etree import _Element

from toolkit.lint.model import Effective, IdTable, Journey, TechnicalProfile
from toolkit.lint.parse import PolicyFile, q
from toolkit.lint.registry import Finding

# ---- values -----------------------------------------------------------------------------------

#: a value that is a placeholder, in parsed text (see `placeholder_in`)
_TEXT_PLACEHOLDER = re.compile(
    r"@[A-Za-z_][\w.-]{0,80}@|\{\{|#\{|\$\(|\b__[A-Za-z]\w{0,80}?__\b|\{Settings:|\{[A-Za-z]\w*[- ][\w -]{0,60}\}"
    r"|<[^<>]{1,80}>|\.\.\.|\u2026|\byour|\b0{8}-0{4}-0{4}-0{4}-0{12}\b|IdentityExperienceFrameworkAppId|--\s[^-]{3,60}\s--",
    re.IGNORECASE,
)

#: a substring every placeholder form holds (lower case)
_HINTS = ("@", "{", "$(", "__", "<", "...", "\u2026", "your", "00000000-0000", "identityexperienceframeworkappid", "-- ")


@lru_cache(maxsize=4096)  # the same URLs and tenants are asked about once per relying party
def placeholder_in(value: str) -> str | None:
    """The placeholder a value holds (`@x@`, `{{x}}`, `#{x}#`, `$(x)`, `__x__`, `{Settings:x}`,
    `{tenant-name}`, `<x>`, `...`, `your…`, a GUID of zeros), or None. A placeholder is not a
    value: rules on URLs and hosts leave it to SET001."""
    lowered = value.casefold()
    if not any(hint in lowered for hint in _HINTS):
        return None  # most values: a few substring tests instead of the regex
    m = _TEXT_PLACEHOLDER.search(value)
    return m.group(0) if m else None


@lru_cache(maxsize=4096)  # parsing a name as an address raises three exceptions: once per URL
def internal_host(url: str) -> str | None:
    """The host of an https `url` when it cannot be a public endpoint (`localhost`, a loopback,
    private, link-local or reserved address), else None: B2C refuses restricted IP ranges."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # an unbalanced [ in the host: not a URL B2C would call either way
        return None
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):  # always loopback (RFC 6761)
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: where it resolves is the DNS's business
    return host if not address.is_global or address.is_multicast else None


def unreachable(url: str) -> tuple[Literal["scheme", "host"], str] | None:
    """Why B2C cannot fetch an absolute `url` it is told to: `("scheme", scheme)` when the URL is
    not `https`, `("host", host)` when its host cannot be public (`internal_host`), else None.
    B2C calls and loads only publicly accessible HTTPS endpoints (REST APIs, page content)."""
    if not url.casefold().startswith("https://"):
        return "scheme", url.split(":", 1)[0]
    host = internal_host(url)
    return None if host is None else ("host", host)


# ---- files ------------------------------------------------------------------------------------

#: folder names of a non-production environment, where development settings are expected
_DEVELOPMENT_FOLDERS = {"dev", "development", "develop", "local", "test", "testing", "sandbox"}


def in_development_folder(f: PolicyFile) -> bool:
    """True when a file sits in a folder named for a non-production environment (a repository
    that keeps each environment's policies in its own folder), or was rendered with the settings
    of one (`"Production": false`, or an environment named Development or Test)."""
    return f.development or any(part.casefold() in _DEVELOPMENT_FOLDERS for part in os.path.normpath(f.display).split(os.sep)[:-1])


def setting_at(f: PolicyFile, el: _Element, attr: str | None = None) -> str | None:
    """The setting (its token: `{Settings:X}`, an IefPolicies `{X}`) that rendered the value of
    `el` (its text, or its attribute `attr`), when one setting did."""
    if not f.settings_lines:
        return None
    end = el.sourceline or 0
    start = f.locate(el)[0] if end else 0
    value = (el.get(attr) if attr else el.text) or ""
    names = {name for line in range(start, end + 1) for name, rendered in f.settings_lines.get(line, ()) if rendered and rendered in value}
    return names.pop() if len(names) == 1 else None


def once_per_setting(found: Iterable[Finding], file_of: Callable[[_Element], PolicyFile]) -> Iterator[Finding]:
    """The findings, those on values that one setting rendered reported once per setting: at the
    first, with how many other places it rendered the same finding (one setting used in 17
    content definitions is one mistake)."""
    firsts: dict[str, list[Finding]] = {}
    out: list[Finding | str] = []
    for finding in found:
        name = setting_at(file_of(finding.element), finding.element, finding.attr)
        if name is None:
            out.append(finding)
        elif name not in firsts:
            firsts[name] = [finding]
            out.append(name)
        else:
            firsts[name].append(finding)
    for item in out:
        if not isinstance(item, str):
            yield item
            continue
        first, *more = firsts[item]
        said = f" (from {item}" + (f", and {len(more)} more place{'s' if len(more) > 1 else ''} it is used)" if more else ")")
        yield first._replace(message=first.message + said)


# ---- technical profiles -----------------------------------------------------------------------


def is_directory_write(tp: TechnicalProfile | None) -> bool:
    """True for a directory (Azure AD) profile whose `Operation` is `Write`."""
    return tp is not None and tp.kind == "AAD" and tp.meta_is("Operation", "write")


def creates_users(tp: TechnicalProfile, tps: IdTable[TechnicalProfile]) -> bool:
    """A sign-up page: a validation write that refuses existing users."""
    for vtp in tp.validation_profiles:
        target = tps.get(vtp.get("ReferenceId", ""))
        if is_directory_write(target) and target.meta_is("RaiseErrorIfClaimsPrincipalAlreadyExists", "true"):
            return True
    return False


# ---- journeys ---------------------------------------------------------------------------------

#: profile kinds that show the user something or sign them in (an anonymous visitor's door)
INTERACTIVE = frozenset({"SelfAsserted", "PhoneFactor", "IdP", "OTP"})


def is_id_token_hint(tp: TechnicalProfile | None) -> bool:
    """An id_token_hint profile: it reads a token the relying party passes, checked against an
    audience, an issuer or a metadata document, and shows nothing."""
    return tp is not None and tp.kind == "" and any(tp.item(k) is not None for k in ("IdTokenAudience", "issuer", "METADATA"))


def by_signed_link(policy: Effective, journey: Journey) -> bool:
    """A journey entered only through a signed link (an invitation, a password-reset or magic
    link): a `GetClaims` step reads an id_token_hint before any step shows a page or signs in.
    An anonymous visitor without the link gets no further."""
    return policy.merged.once(("by-link", id(journey)), lambda: _by_signed_link(policy, journey))


def _by_signed_link(policy: Effective, journey: Journey) -> bool:
    tps = policy.technical_profiles
    for step, step_exchanges in zip(journey.steps, journey.exchanges, strict=True):
        if step.get("Type") == "GetClaims" and is_id_token_hint(tps.get(step.get("CpimIssuerTechnicalProfileReferenceId", ""))):
            return True
        if step.find(q("ClaimsProviderSelections")) is not None:
            return False
        if any((tp := tps.get(ex.get("TechnicalProfileReferenceId", ""))) is None or tp.kind in INTERACTIVE for ex in step_exchanges):
            return False
    return False


def open_profiles(policy: Effective) -> set[str]:
    """Ids of the profiles that journeys an anonymous visitor can enter run as steps (every
    journey in use but those entered only by a signed link, and the sub-journeys they call)."""
    return policy.merged.once(("open-profiles", policy.journey_refs), lambda: _open_profiles(policy))


def _open_profiles(policy: Effective) -> set[str]:
    journeys = policy.journeys_in_use
    linked = {id(j) for j in journeys if j.tag == "UserJourney" and by_signed_link(policy, j)}
    if not linked:
        return {tp.id for _, _, _, tp in policy.step_profiles()}
    todo = [j for j in journeys if j.tag == "UserJourney" and id(j) not in linked]
    if not policy.journey_refs:
        todo += [j for j in journeys if j.tag == "SubJourney"]
    seen: dict[int, Journey] = {}
    while todo:
        journey = todo.pop()
        if id(journey) in seen:
            continue
        seen[id(journey)] = journey
        for step in journey.steps:
            for cand in step.iterfind(q("JourneyList/Candidate")):
                if (sub := policy.sub_journeys.get(cand.get("SubJourneyReferenceId", ""))) is not None:
                    todo.append(sub)
    return {tp.id for journey, _, _, tp in policy.step_profiles() if id(journey) in seen}


def has_pages(policy: Effective, journey: Journey) -> bool:
    """True unless every step of the journey is known to show the user nothing (a
    client-credentials journey); a profile that lives in a missing base may be a page."""
    if any(step.get("Type") in ("CombinedSignInAndSignUp", "ClaimsProviderSelection") for step in journey.steps):
        return True
    for step_exchanges in journey.exchanges:
        for exchange in step_exchanges:
            tp = policy.technical_profiles.get(exchange.get("TechnicalProfileReferenceId", ""))
            if tp is None or tp.kind in ("SelfAsserted", "IdP", "PhoneFactor"):
                return True
    return False


def unseen_profiles(policy: Effective) -> set[str]:
    """Ids of the profiles only journeys without a user run (as steps, or as their token
    issuer): a client-credentials or token-exchange journey, where no message is shown and no
    browser session kept. A profile a page validates with is seen: the page is shown."""
    return policy.merged.once(("unseen-profiles", policy.journey_refs), lambda: _unseen_profiles(policy))


def _unseen_profiles(policy: Effective) -> set[str]:
    unseen: set[str] = set()
    seen: set[str] = set()
    for journey in policy.journeys_in_use:
        ids = {tp.id for j, _, _, tp in policy.step_profiles() if j is journey} | policy.issuer_ids(journey)
        # a sub-journey runs for the journey that calls it, and may show what that one does not
        calls = journey.tag == "SubJourney" or any(step.get("Type") == "InvokeSubJourney" for step in journey.steps)
        (seen if calls or has_pages(policy, journey) else unseen).update(ids)
    return unseen - seen


# ---- pages ------------------------------------------------------------------------------------

#: UserInputType values that show a claim without letting the user change it
NOT_EDITABLE = frozenset({"readonly", "paragraph"})


def input_type(policy: Effective, claim: str) -> str | None:
    """The `UserInputType` of a claim (casefolded), "" when its ClaimType has none, None when the
    chain declares no such ClaimType (its base is missing). Read once per claim and merged
    content: pages and lookups ask for the same claims again and again."""
    return policy.merged.once(("input-type", claim.casefold()), lambda: _input_type(policy, claim))


def _input_type(policy: Effective, claim: str) -> str | None:
    claim_type = policy.claim_types.get(claim)
    if claim_type is None:
        return None
    return (claim_type.findtext(q("UserInputType")) or "").strip().casefold()


def shown_claims(policy: Effective, tp: TechnicalProfile) -> dict[str, _Element]:
    """The claims a self-asserted page shows, by casefolded id, each with the element that shows
    it: its display claims and those of its display controls when it has any (then the other
    output claims are hidden), else the output claims whose ClaimType has a `UserInputType`.
    Found once per page and merged content (read, never changed, by the rules that ask)."""
    return policy.merged.once(("shown-claims", id(tp)), lambda: _shown_claims(policy, tp))


def _shown_claims(policy: Effective, tp: TechnicalProfile) -> dict[str, _Element]:
    shown: dict[str, _Element] = {}
    display = tp.display_claims
    for el in display:
        if claim := el.get("ClaimTypeReferenceId"):
            shown[claim.casefold()] = el
        control = policy.display_controls.get(el.get("DisplayControlReferenceId") or "")
        if control is not None:
            for inner in control.iterfind(q("DisplayClaims/DisplayClaim")):
                if claim := inner.get("ClaimTypeReferenceId"):
                    shown.setdefault(claim.casefold(), inner)
    if not display:
        for el in tp.output_claims:
            claim = el.get("ClaimTypeReferenceId", "")
            if input_type(policy, claim):
                shown[claim.casefold()] = el
    return shown


def typed_claims(policy: Effective, tp: TechnicalProfile) -> set[str]:
    """Casefolded ids of the claims a visitor can type or choose on a page (shown, and neither
    `Readonly` nor `Paragraph`); a claim whose ClaimType the chain does not declare is not counted.
    Found once per page and merged content (read, never changed, by the rules that ask)."""
    return policy.merged.once(("typed-claims", id(tp)), lambda: _typed_claims(policy, tp))


def _typed_claims(policy: Effective, tp: TechnicalProfile) -> set[str]:
    return {claim for claim in shown_claims(policy, tp) if (kind := input_type(policy, claim)) and kind not in NOT_EDITABLE}
