"""Rules on federated identity providers: a fallback, HTTPS endpoints, secrets in policy keys."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective, Element
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import internal_host, placeholder_in

ENDPOINT_KEYS = ("METADATA", "authorization_endpoint", "end_session_endpoint", "AccessTokenEndpoint", "ClaimsEndpoint", "PartnerEntity")
SECRET_KEYS = {"client_secret", "basicauthenticationpassword", "bearerauthenticationtoken", "issuer_secret", "clientcertificate"}
#: key names that end like a secret (not messages or UI settings, which mention passwords)
_SECRETISH = re.compile(r"(secret|password|api_?key)$", re.IGNORECASE)
_SECRET_ENDINGS = ("secret", "password", "apikey", "api_key")
_PLACEHOLDER = re.compile(r"\{|\}|\$\(|#\{")


@rule(
    "IDP001",
    "Single federated IdP with no fallback",
    Severity.INFO,
    Scope.CHAIN,
    "https://learn.microsoft.com/entra/architecture/resilient-end-user-experience",
    per_journeys=True,
    whole_chain=True,
)
def single_idp(policy: Effective) -> Iterator[Finding]:
    """The journey's sign-in choices, over all its selection steps, are exactly one federated
    identity provider, with no local account or other alternative (a step that offers several
    providers, or a later step that offers another, is a fallback).

    "Make sure to have a fallback plan in case the external provider becomes unavailable"; "build
    alternate authentication paths". When that one provider is down, nobody can sign in.

    Bad: one `ClaimsProviderSelection TargetClaimsExchangeId="ContosoOIDC"` and nothing else.

    Fixed: add local accounts (`ValidationClaimsExchangeId="LocalAccountSigninEmailExchange"`) or
    a second provider.

    Source: resilient end-user experience "Choose multiple IDPs".
    """
    for journey in policy.journeys_in_use:
        steps = journey.steps
        first: Element | None = None
        idps: set[str] = set()
        other = False  # a local account or any choice that is not a federated provider
        for i, selections in enumerate(journey.selections):
            if not selections or i + 1 >= len(steps):
                continue
            first = first if first is not None else selections[0]
            nxt = {
                ex.get("Id"): policy.technical_profiles.get(ex.get("TechnicalProfileReferenceId", "")) for ex in journey.exchanges[i + 1]
            }
            for selection in selections:
                target = nxt.get(selection.get("TargetClaimsExchangeId")) if selection.get("TargetClaimsExchangeId") else None
                if target is not None and target.kind == "IdP":
                    idps.add(target.id)
                else:
                    other = True
        if first is not None and len(idps) == 1 and not other:
            yield Finding(first, f"{journey.id!r} offers only {next(iter(idps))}: no way to sign in when it is down")


@rule("IDP002", "IdP endpoint not HTTPS", Severity.ERROR, Scope.CHAIN, "https-cipher-tls-requirements", per_journeys=True)
def idp_endpoint_not_https(policy: Effective) -> Iterator[Finding]:
    """A federated identity provider's metadata, authorization, token, claims or end-session
    endpoint is not `https`, or its host cannot be public (`localhost`, a loopback, private,
    link-local or reserved IP address: a development IdP left in).

    Endpoints "must be published to a publicly-accessible HTTPS URI" with TLS 1.2: the OpenID
    Connect discovery endpoint, JWKS, token endpoint and SAML metadata are all in scope.

    Bad::

        <Item Key="METADATA">http://idp.contoso.com/.well-known/openid-configuration</Item>
        <Item Key="METADATA">https://localhost:5001/.well-known/openid-configuration</Item>

    Fixed::

        <Item Key="METADATA">https://idp.contoso.com/.well-known/openid-configuration</Item>

    Source: HTTPS cipher and TLS requirements "Endpoints in scope"; OpenID Connect technical profile "Metadata".
    """
    for tp in policy.profiles_in_use:
        if tp.kind != "IdP":
            continue
        for meta_key in ENDPOINT_KEYS:
            value = tp.meta(meta_key) or ""
            if placeholder_in(value):
                continue  # not a URL yet: SET001's business
            if value.casefold().startswith("http://"):
                yield Finding(tp.where(meta_key), f"{tp.id}: {meta_key} is not https")
            elif value.casefold().startswith("https://") and (host := internal_host(value)) is not None:
                yield Finding(tp.where(meta_key), f"{tp.id}: {meta_key} host {host} is not public: B2C cannot reach it")


@rule("IDP003", "Secret placed in Metadata", Severity.ERROR, Scope.CHAIN, "technicalprofiles#cryptographic-keys", per_content=True)
def secret_in_metadata(policy: Effective) -> Iterator[Finding]:
    """A technical profile's `Metadata` holds a secret: a key such as `client_secret`,
    `BasicAuthenticationPassword` or `BearerAuthenticationToken` (names that belong in
    `CryptographicKeys`), or a secret-like key with a literal value.

    Secrets belong in policy keys (`CryptographicKeys/Key/@StorageReferenceId`), so they can be
    rotated before they expire and never sit in source control.

    Bad::

        <Item Key="client_secret">s3cr3t-value</Item>

    Fixed::

        <CryptographicKeys><Key Id="client_secret" StorageReferenceId="B2C_1A_ContosoSecret" /></CryptographicKeys>

    Source: technical profiles "Cryptographic keys"; OpenID Connect technical profile; developer best practices "Secrets".
    """
    for tp in policy.technical_profiles.values():
        for item in tp.metadata_written:
            name = item.get("Key", "")
            lowered = name.casefold()
            # the key first (a few string tests): the value is read only for a secret's name
            if lowered not in SECRET_KEYS and not (lowered.endswith(_SECRET_ENDINGS) and _SECRETISH.search(name)):
                continue
            value = (item.text or "").strip()
            if not value or _PLACEHOLDER.search(value):
                continue
            wording = name.startswith(("UserMessage", "setting.")) or "message" in lowered
            if lowered in SECRET_KEYS or not wording:
                yield Finding(item, f"{tp.id}: metadata {name!r} holds a secret; use a policy key in CryptographicKeys")
