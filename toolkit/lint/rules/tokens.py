"""Rules on tokens: lifetimes long enough to ride out an outage, within documented limits; the
tokens a policy accepts (id_token_hint) bound to it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: metadata key → (documented minimum, maximum, default) in seconds
LIFETIMES = {
    "token_lifetime_secs": (300, 86400, 3600),
    "id_token_lifetime_secs": (300, 86400, 3600),
    "refresh_token_lifetime_secs": (86400, 7776000, 1209600),
    "rolling_refresh_token_lifetime_secs": (86400, 31536000, 7776000),
}


def _seconds(tp: TechnicalProfile, meta_key: str) -> int | None:
    value = tp.meta(meta_key)
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


@rule("TOK001", "JWT lifetimes outside documented range", Severity.ERROR, Scope.CHAIN, "configure-tokens", per_journeys=True)
def lifetime_out_of_range(policy: Effective) -> Iterator[Finding]:
    """A token issuer sets a lifetime outside the documented range: access and ID tokens
    300..86400 s, refresh tokens 86400..7776000 s, the rolling window 86400..31536000 s.

    "The minimum (inclusive) is 300 seconds… The maximum (inclusive) is 86,400"; refresh
    "maximum … 7,776,000 seconds (90 days)"; rolling "maximum … 31,536,000 seconds (365 days)".

    Bad::

        <Item Key="token_lifetime_secs">120</Item>

    Fixed::

        <Item Key="token_lifetime_secs">3600</Item>

    Source: JWT issuer technical profile "Metadata"; configure tokens.
    """
    for tp in policy.issuers:
        for meta_key, (low, high, _) in LIFETIMES.items():
            item = tp.item(meta_key)
            value = _seconds(tp, meta_key)
            if item is not None and (value is None or not low <= value <= high):
                yield Finding(item, f"{meta_key} {(item.text or '').strip()!r} is outside {low}..{high} seconds")


@rule(
    "TOK002",
    "Refresh lifetime longer than sliding window",
    Severity.ERROR,
    Scope.CHAIN,
    "configure-tokens#token-lifetime-behavior",
    per_journeys=True,
)
def refresh_beyond_window(policy: Effective) -> Iterator[Finding]:
    """`rolling_refresh_token_lifetime_secs` is shorter than `refresh_token_lifetime_secs` while
    `allow_infinite_rolling_refresh_token` is not `true` (absent keys take their defaults,
    1209600 and 7776000).

    The sliding-window lifetime "must be greater than or equal to the Refresh token lifetime
    value".

    Bad::

        <Item Key="refresh_token_lifetime_secs">1209600</Item>
        <Item Key="rolling_refresh_token_lifetime_secs">86400</Item>

    Fixed::

        <Item Key="refresh_token_lifetime_secs">1209600</Item>
        <Item Key="rolling_refresh_token_lifetime_secs">7776000</Item>

    Source: configure tokens "Token lifetime behavior".
    """
    for tp in policy.issuers:
        if tp.meta_is("allow_infinite_rolling_refresh_token", "true"):
            continue
        refresh = _seconds(tp, "refresh_token_lifetime_secs") or LIFETIMES["refresh_token_lifetime_secs"][2]
        rolling = _seconds(tp, "rolling_refresh_token_lifetime_secs") or LIFETIMES["rolling_refresh_token_lifetime_secs"][2]
        if rolling < refresh:
            rolling_item = tp.item("rolling_refresh_token_lifetime_secs")
            where = tp.where("refresh_token_lifetime_secs") if rolling_item is None else rolling_item
            yield Finding(
                where, f"rolling refresh window ({rolling} s) is shorter than the refresh token lifetime ({refresh} s) in {tp.id!r}"
            )


#: what an issuer, or every journey that uses it, is called when it signs links, not sessions
_LINKS = re.compile(r"invit|magic|(?:email|sign_?in|login|access)_?link|one_?time|redeem", re.IGNORECASE)


def signs_links(policy: Effective, issuer: TechnicalProfile) -> bool:
    """True for a token issuer that only signs links (invitations, magic links): its name says
    so, or every journey in use that names it does."""
    if _LINKS.search(issuer.id):
        return True
    journeys = [j for j in policy.journeys_in_use if issuer.id in policy.issuer_ids(j)]
    return bool(journeys) and all(_LINKS.search(j.id) for j in journeys)


@rule("TOK003", "Token lifetimes below defaults", Severity.INFO, Scope.CHAIN, "service-limits#best-practices", per_journeys=True)
def lifetime_below_default(policy: Effective) -> Iterator[Finding]:
    """A token issuer sets a lifetime below B2C's default: access/ID tokens 3600 s, refresh
    1209600 s, rolling window 7776000 s.

    Not reported for an issuer that only signs links (invitations, magic links: its name or the
    journeys that use it say so), whose short lifetime is the point.

    Shorter tokens mean more `/token` and `/authorize` traffic against the 200 requests/s tenant
    limit, and less time for signed-in users to keep working while B2C is unavailable. Service
    limits best practice: "Increasing access and refresh token lifetimes".

    Bad::

        <Item Key="token_lifetime_secs">900</Item>

    Fixed::

        <Item Key="token_lifetime_secs">3600</Item>

    Source: service limits "Best practices"; developer best practices "Token lifetimes".
    """
    for tp in policy.issuers:
        if signs_links(policy, tp):
            continue  # an invitation or magic link is meant to expire soon
        for meta_key, (low, _high, default) in LIFETIMES.items():
            item = tp.item(meta_key)
            value = _seconds(tp, meta_key)
            if item is not None and value is not None and low <= value < default:
                yield Finding(
                    item, f"{meta_key} {value} is below the default {default}: more token traffic and less tolerance of an outage"
                )


@rule(
    "TOK004",
    "id_token_hint accepted without audience or issuer",
    Severity.WARNING,
    Scope.CHAIN,
    "id-token-hint#metadata",
    per_journeys=True,
)
def hint_not_bound(policy: Effective) -> Iterator[Finding]:
    """An id_token_hint profile (read by a `GetClaims` step: invitations, magic links, signed
    password-reset links) has no `IdTokenAudience`, or, when it checks the signature with a
    shared key (`client_secret`), no `issuer` either.

    B2C then accepts any unexpired token that key signed: a token the same application minted
    for another policy, another purpose or another user flow (an invitation replayed as a
    password-reset link), or, when `METADATA` points at an identity provider's configuration,
    any token that provider issued for any application. The audience (and, with a shared key,
    the issuer) is what ties a link to this policy. For a shared key both are documented as
    required; with `METADATA` the issuer comes from the configuration document and the audience
    is left to you.

    Bad::

        <TechnicalProfile Id="IdTokenHint_ExtractClaims">
          <Protocol Name="None" />
          <Metadata><Item Key="METADATA">https://links.contoso.com/.well-known/openid-configuration</Item></Metadata>

    Fixed::

        <Item Key="IdTokenAudience">b2c-invitation</Item>
        <Item Key="issuer">https://links.contoso.com/</Item>

    Source: ID token hint technical profile "Metadata", "Token format" (aud and iss are
    validated against these values).
    """
    seen: set[str] = set()
    for journey in policy.journeys_in_use:
        for step in journey.steps:
            tp = policy.technical_profiles.get(step.get("CpimIssuerTechnicalProfileReferenceId", ""))
            if step.get("Type") != "GetClaims" or tp is None or tp.id in seen:
                continue
            seen.add(tp.id)
            shared_key = "client_secret" in tp.crypto_keys and tp.item("METADATA") is None
            if not shared_key and tp.item("METADATA") is None:
                continue  # no key the chain shows (a missing base): nothing to judge
            missing = [key for key in ("IdTokenAudience", "issuer") if not tp.meta(key) and (key == "IdTokenAudience" or shared_key)]
            if missing:
                key = "its shared key (client_secret)" if shared_key else "the keys of its METADATA"
                yield Finding(
                    tp.definition,
                    f"id_token_hint profile {tp.id!r} sets no {' or '.join(missing)}: any token signed with {key} passes as a link, "
                    "whatever it was issued for",
                )
