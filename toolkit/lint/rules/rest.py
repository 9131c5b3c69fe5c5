"""Rules on RESTful technical profiles: contain API failures, keep APIs authenticated."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import (
    has_pages,
    in_development_folder,
    placeholder_in,
    shown_claims,
    typed_claims,
    unreachable,
    unseen_profiles,
)

FAILED_MESSAGE = "DefaultUserMessageIfRequestFailed"
BREAKER_MESSAGES = ("UserMessageIfCircuitOpen", "UserMessageIfRequestTimeout", "UserMessageIfDnsResolutionFailed")
SECRET_PARAMS = {
    "code",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "sig",
    "signature",
    "token",
    "access_token",
    "secret",
    "client_secret",
    "password",
    "subscription-key",
}


def _message_set(policy: Effective, tp: TechnicalProfile, string_id: str) -> bool:
    return tp.item(string_id) is not None or ("ErrorMessage", string_id) in policy.localized_strings


@rule(
    "REST001",
    "No generic REST failure message",
    Severity.WARNING,
    Scope.CHAIN,
    "restful-technical-profile#error-handling",
    per_journeys=True,
)
def no_failure_message(policy: Effective) -> Iterator[Finding]:
    """A REST technical profile in use has no `DefaultUserMessageIfRequestFailed`, in its merged
    metadata or as an `ErrorMessage` localized string.

    Without it the user sees the built-in "Failed to establish connection to restful service end
    point. Restful service URL: {0}": the backend URL, and no guidance. "Enable error handling in
    the technical profile. Ensure users are informed."

    Bad::

        <TechnicalProfile Id="REST-GetLoyalty">
          <Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.RestfulProvider, ..." />
          <Metadata><Item Key="ServiceUrl">https://api.contoso.com/loyalty</Item>...</Metadata>

    Fixed::

        <Item Key="DefaultUserMessageIfRequestFailed">Cannot process your request right now, please try again later.</Item>

    Source: RESTful technical profile "Error handling"; localization string IDs "Restful service
    error messages"; resilient external processes "Handle API errors".
    """
    for tp in policy.profiles_of_kind("REST"):
        if not _message_set(policy, tp, FAILED_MESSAGE):
            yield Finding(
                tp.definition,
                f"REST profile {tp.id!r} has no {FAILED_MESSAGE}: on failure users see the default message with the service URL",
            )


@rule("REST002", "No circuit-breaker messages", Severity.INFO, Scope.CHAIN, "restful-technical-profile#error-handling", per_journeys=True)
def no_breaker_messages(policy: Effective) -> Iterator[Finding]:
    """A REST profile has a generic failure message but none of `UserMessageIfCircuitOpen`,
    `UserMessageIfRequestTimeout` or `UserMessageIfDnsResolutionFailed`.

    Each falls back to the generic message, so a user cannot tell "try again in a minute" (open
    circuit, timeout) from "this is broken". "Use the RESTful API profile to configure error
    messages for various circuit breakers."

    Not reported on a profile only journeys without a user run (a client-credentials journey:
    no page, no one to read a message).

    Bad: only `DefaultUserMessageIfRequestFailed` set.

    Fixed::

        <Item Key="UserMessageIfCircuitOpen">This service is temporarily unavailable. Please try again later.</Item>
        <Item Key="UserMessageIfRequestTimeout">The request timed out. Please try again.</Item>

    Source: RESTful technical profile "Error handling"; resilient external processes.
    """
    unseen = unseen_profiles(policy)
    for tp in policy.profiles_of_kind("REST"):
        if tp.id in unseen:
            continue
        if _message_set(policy, tp, FAILED_MESSAGE) and not any(_message_set(policy, tp, m) for m in BREAKER_MESSAGES):
            yield Finding(tp.definition, f"REST profile {tp.id!r} sets no circuit-breaker message ({', '.join(BREAKER_MESSAGES)})")


@rule("REST003", "Anonymous REST API", Severity.ERROR, Scope.CHAIN, "secure-rest-api", per_journeys=True)
def anonymous_api(policy: Effective) -> Iterator[Finding]:
    """A REST profile in use has `AuthenticationType` `None`.

    "The None value indicates that the REST API is anonymous". An anonymous endpoint reachable
    from the sign-in page is an open door for abuse and denial of service; "ClientCertificate
    (recommended)". A key in the URL is reported as the only protection (anyone who sees the URL
    can call the API; REST007 says where). Not reported when a client secret or API key is sent
    as an input claim (a client-credentials call to a token endpoint authenticates in its body).

    Bad::

        <Item Key="AuthenticationType">None</Item>

    Fixed::

        <Item Key="AuthenticationType">ClientCertificate</Item>
        ...
        <CryptographicKeys><Key Id="ClientCertificate" StorageReferenceId="B2C_1A_RestApiClientCertificate" /></CryptographicKeys>

    Source: RESTful technical profile "Metadata"; secure REST API; resilient external processes.
    """
    for tp in policy.profiles_of_kind("REST"):
        if not tp.meta_is("AuthenticationType", "none") or _sends_secret(tp):
            continue
        if _key_in_url(tp):
            message = f"REST profile {tp.id!r} authenticates only with a key in its URL (AuthenticationType None): anyone with the URL can call it"
        else:
            message = f"REST profile {tp.id!r} calls its API anonymously (AuthenticationType None)"
        yield Finding(tp.where("AuthenticationType"), message)


#: request parameters that carry the caller's own credential (not the user's password)
CALLER_CREDENTIALS = SECRET_PARAMS - {"password", "token", "access_token", "sig", "signature"} | {"client_assertion", "x-functions-key"}


def _key_in_url(tp: TechnicalProfile) -> bool:
    """True when the ServiceUrl's query carries a key (REST007 reports where)."""
    query = urlsplit(tp.meta("ServiceUrl") or "").query
    return any(name.casefold() in CALLER_CREDENTIALS for name, _ in parse_qsl(query, keep_blank_values=True))


def _sends_secret(tp: TechnicalProfile) -> bool:
    """True when a client secret or API key goes as an input claim: a client-credentials call to
    a token endpoint authenticates in its body."""
    names = {(c.get("PartnerClaimType") or c.get("ClaimTypeReferenceId") or "").casefold() for c in tp.input_claims}
    return bool(names & CALLER_CREDENTIALS)


@rule("REST004", "AllowInsecureAuthInProduction enabled", Severity.ERROR, Scope.CHAIN, "secure-rest-api", per_journeys=True)
def insecure_auth_in_production(policy: Effective) -> Iterator[Finding]:
    """A REST profile in use sets `AllowInsecureAuthInProduction` to `true`.

    The key exists only to allow `AuthenticationType` `None` "in production environment". The
    secure REST API guide: "Change the AllowInsecureAuthInProduction to false."

    Bad::

        <Item Key="AllowInsecureAuthInProduction">true</Item>

    Fixed::

        <Item Key="AllowInsecureAuthInProduction">false</Item>

    Only with `AuthenticationType` `None` (or none written): with Bearer, Basic, ApiKeyHeader or
    ClientCertificate the flag changes nothing. In a folder named for a non-production
    environment it is an info (see DEP001). Not reported when a client secret or API key goes as an input claim: a client-credentials call to a token
    endpoint authenticates in its body and needs `AuthenticationType` `None` (see REST003).

    Source: RESTful technical profile "Metadata"; secure REST API.
    """
    for tp in policy.profiles_of_kind("REST"):
        if (
            tp.meta_is("AllowInsecureAuthInProduction", "true")
            and (tp.meta("AuthenticationType") or "none").casefold() == "none"
            and not _sends_secret(tp)
        ):
            where = tp.where("AllowInsecureAuthInProduction")
            severity = Severity.INFO if in_development_folder(policy.file_of(where)) else None
            yield Finding(where, f"REST profile {tp.id!r} allows insecure authentication in production", severity=severity)


@rule("REST005", "REST DebugMode on", Severity.WARNING, Scope.CHAIN, "restful-technical-profile#metadata", per_journeys=True)
def debug_mode(policy: Effective) -> Iterator[Finding]:
    """A REST profile in use sets `DebugMode` to `true`.

    In debug mode the API's `developerMessage`, `moreInfo`, `code` and `requestId` are shown to
    end users. Often switched on in an Extensions file during development and forgotten. In a
    folder named for a non-production environment it is an info (see DEP001).

    Bad::

        <Item Key="DebugMode">true</Item>

    Fixed: remove the item (the default is false).

    Source: RESTful technical profile "Metadata", "Returning validation error message".
    """
    for tp in policy.profiles_of_kind("REST"):
        if tp.meta_is("DebugMode", "true"):
            where = tp.where("DebugMode")
            severity = Severity.INFO if in_development_folder(policy.file_of(where)) else None
            yield Finding(where, f"REST profile {tp.id!r} has DebugMode on: API error details reach users", severity=severity)


@rule(
    "REST006",
    "ServiceUrl not HTTPS, or claims in host",
    Severity.ERROR,
    Scope.CHAIN,
    "api-connectors-overview#development-of-your-rest-api",
    per_journeys=True,
)
def insecure_service_url(policy: Effective) -> Iterator[Finding]:
    """A REST profile's `ServiceUrl` is not `https`, a claim is placed in its host name, or its
    host cannot be public: `localhost` or a loopback, private, link-local or reserved IP address.

    "The REST API service must be published to a publicly accessible HTTPS endpoint" with TLS 1.2;
    "The host name part of the URL cannot contain claims." B2C refuses to call an internal address
    ("The request URI resolves to an IP address which is in a restricted IP range"), so a URL left
    pointing at a developer's machine fails every sign-in that reaches the step. Deploy-time
    placeholders such as `{Settings:ApiHost}` are not claims and are allowed.

    Bad::

        <Item Key="ServiceUrl">http://api.contoso.com/loyalty</Item>
        <Item Key="ServiceUrl">https://{tenant}.contoso.com/loyalty</Item>
        <Item Key="ServiceUrl">https://localhost:7071/api/loyalty</Item>

    Fixed::

        <Item Key="ServiceUrl">https://api.contoso.com/{tenant}/loyalty</Item>

    Source: API connectors overview "Development of your REST API"; HTTPS cipher and TLS requirements.
    """
    for tp in policy.profiles_of_kind("REST"):
        item = tp.item("ServiceUrl")
        written = (item.text or "").strip() if item is not None else ""
        if item is None or not written or written.startswith(("{", "$(", "#{")) or placeholder_in(written):
            continue  # a placeholder, not a URL: SET001's business
        fault, what = unreachable(written) or (None, "")
        if fault == "scheme":
            yield Finding(item, f"REST profile {tp.id!r} ServiceUrl is not an https URL")
        elif "{" in written[len("https://") :].split("/", 1)[0]:
            yield Finding(item, f"REST profile {tp.id!r} ServiceUrl puts a claim in the host name")
        elif fault == "host":
            yield Finding(item, f"REST profile {tp.id!r} ServiceUrl host {what} is not public: B2C refuses restricted IP ranges")


@rule(
    "REST007",
    "Credential embedded in ServiceUrl",
    Severity.WARNING,
    Scope.CHAIN,
    "secure-rest-api#api-key-authentication",
    per_journeys=True,
)
def credential_in_url(policy: Effective) -> Iterator[Finding]:
    """A REST profile's `ServiceUrl` carries a secret-like query parameter (`code=`, `key=`, `sig=`,
    `token=`, …).

    A key in the XML bypasses policy keys, so it cannot be rotated through CI/CD and ends up in
    every copy of the repository; an API key in the query "is not a mechanism that should be used
    alone in production". Send it in a header from a policy key instead. (The doc samples
    themselves use `?code=your-code`: this rule is an inference from the secrets guidance.)

    Bad::

        <Item Key="ServiceUrl">https://fn.azurewebsites.net/api/GetProfile?code=abc123</Item>

    Fixed::

        <Item Key="ServiceUrl">https://fn.azurewebsites.net/api/GetProfile</Item>
        <Item Key="AuthenticationType">ApiKeyHeader</Item>
        <CryptographicKeys><Key Id="x-functions-key" StorageReferenceId="B2C_1A_RestApiKey" /></CryptographicKeys>

    Source: secure REST API "API key authentication"; developer best practices "Secrets".
    """
    for tp in policy.profiles_of_kind("REST"):
        item = tp.item("ServiceUrl")
        if item is None:
            continue
        try:
            query = urlsplit((item.text or "").strip()).query
        except ValueError:
            continue
        names = sorted({name for name, _ in parse_qsl(query, keep_blank_values=True) if name.casefold() in SECRET_PARAMS})
        if names:
            yield Finding(
                item,
                f"REST profile {tp.id!r} ServiceUrl carries a credential in its query ({', '.join(names)}); use a policy key in a header",
            )


#: AuthenticationType → the CryptographicKeys it needs
REQUIRED_KEYS = {
    "basic": ("BasicAuthenticationUsername", "BasicAuthenticationPassword"),
    "clientcertificate": ("ClientCertificate",),
}


@rule(
    "REST008",
    "AuthenticationType and CryptographicKeys mismatch",
    Severity.ERROR,
    Scope.CHAIN,
    "restful-technical-profile#cryptographic-keys",
    per_journeys=True,
)
def auth_keys_mismatch(policy: Effective) -> Iterator[Finding]:
    """A REST profile's `AuthenticationType` lacks the cryptographic keys it needs.

    `Basic` needs keys `BasicAuthenticationUsername` and `BasicAuthenticationPassword`;
    `ClientCertificate` needs `ClientCertificate`; `Bearer` needs `BearerAuthenticationToken`, or
    `UseClaimAsBearerToken` naming an input claim; `ApiKeyHeader` needs exactly one key ("Azure AD
    B2C supports only one HTTP header for authentication"). Otherwise every call fails at run time
    with AADB2C90025.

    Bad::

        <Item Key="AuthenticationType">ClientCertificate</Item>
        <!-- no CryptographicKeys -->

    Fixed::

        <CryptographicKeys><Key Id="ClientCertificate" StorageReferenceId="B2C_1A_RestApiClientCertificate" /></CryptographicKeys>

    Source: RESTful technical profile "Cryptographic keys"; secure REST API; error codes.
    """
    for tp in policy.profiles_of_kind("REST"):
        auth = (tp.meta("AuthenticationType") or "").casefold()
        where = tp.item("AuthenticationType")
        if where is None:
            continue
        keys = tp.crypto_keys
        missing = [k for k in REQUIRED_KEYS.get(auth, ()) if k not in keys]
        if missing:
            yield Finding(
                where, f"REST profile {tp.id!r} uses {tp.meta('AuthenticationType')} authentication but has no key {', '.join(missing)}"
            )
        elif auth == "bearer" and "BearerAuthenticationToken" not in keys:
            claim = tp.meta("UseClaimAsBearerToken")
            inputs = {c.get("ClaimTypeReferenceId") for c in tp.input_claims} | {c.get("PartnerClaimType") for c in tp.input_claims}
            if not claim or claim not in inputs:
                yield Finding(
                    where,
                    f"REST profile {tp.id!r} uses Bearer authentication without a BearerAuthenticationToken key or UseClaimAsBearerToken input claim",
                )
        elif auth == "apikeyheader" and len(keys) != 1:
            yield Finding(where, f"REST profile {tp.id!r} uses ApiKeyHeader with {len(keys)} keys; exactly one header key is supported")


@rule("REST009", "REST failure not contained in the journey", Severity.WARNING, Scope.CHAIN, "api-connectors-overview", per_journeys=True)
def failure_not_contained(policy: Effective) -> Iterator[Finding]:
    """An orchestration step calls a REST profile directly.

    "If you reference a REST API technical profile directly from a user journey, the user is
    redirected back to the relying party application with the relevant error message": one slow
    or failing API ends the sign-in. Each call has a fixed timeout and retry (30 seconds and two
    retries in the API connectors overview; 10 seconds and one retry for custom policies since the
    2025 revision), so an outage costs users 20 to 90 seconds. Run non-essential calls as
    validation profiles with `ContinueOnError="true"` and render a reduced experience. Not
    reported in a journey with no page (a client-credentials or token-exchange journey): there is nothing to
    validate it on, and the call is what the journey is for.

    Bad::

        <OrchestrationStep Order="4" Type="ClaimsExchange">
          <ClaimsExchanges><ClaimsExchange Id="GetLoyalty" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges>
        </OrchestrationStep>

    Fixed::

        <ValidationTechnicalProfiles>
          <ValidationTechnicalProfile ReferenceId="login-NonInteractive" />
          <ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" />
        </ValidationTechnicalProfiles>

    A validation call without `ContinueOnError` blocks its page too, but most such calls are
    what the page is for (a password or code check, a migration): REST010, when selected, lists
    them.

    Source: API connectors overview (custom-policy NOTE, "Handling error messages"); resilient
    external processes; validation technical profile "Example".
    """
    for journey, _, exchange, tp in policy.step_profiles():
        if tp.kind == "REST" and has_pages(policy, journey):  # without a page there is nowhere to validate it
            yield Finding(
                exchange,
                f"{journey.tag} {journey.id!r} calls REST profile {tp.id!r} directly: any API failure ends the journey; call it as a validation profile with ContinueOnError",
                attr="TechnicalProfileReferenceId",
            )


def _blocking_validations(policy: Effective) -> list[str]:
    """REST validation profiles without `ContinueOnError="true"`: each blocks its page when its API fails."""
    found: set[str] = set()
    for tp in policy.profiles_in_use:
        for vtp in tp.validation_profiles:
            target = policy.technical_profiles.get(vtp.get("ReferenceId", ""))
            if target is not None and target.kind == "REST" and vtp.get("ContinueOnError", "").casefold() != "true":
                found.add(target.id)
    return sorted(found)


#: REST APIs a relying party's journeys may depend on before REST010 reports it
REST_BUDGET = 2


@rule(
    "REST010", "Many REST APIs behind one sign-in", Severity.INFO, Scope.CHAIN, "api-connectors-overview", whole_chain=True, inventory=True
)
def many_rest_apis(policy: Effective) -> Iterator[Finding]:
    """The journeys a relying party runs call more than two REST profiles (directly, as
    validation profiles, or from display controls).

    "Reducing the number of authentication calls and number of dependencies in those calls is
    important to your resilience": each API is one more service whose outage, throttling or
    slowness (up to the REST timeout and its retry, per call) can stall or fail a sign-in. This is
    an inventory, not a path count: profiles on alternative branches (sign-up and sign-in) are
    all listed.

    The message names the validation calls without `ContinueOnError="true"`, which block their
    page when their API fails: confirm each is essential to the page.

    Bad: a sign-in that checks fraud, loads loyalty points and writes an audit record through
    three APIs, each of which can hold it up.

    Fixed: one API that does the three jobs, calls moved to where they are needed (behind a
    precondition, on a later page), or the data kept in the directory.

    Source: resilience through infrastructure ("reducing the number of ... dependencies"); API
    connectors overview.
    """
    rp = policy.relying_party
    default = rp.find(q("DefaultUserJourney")) if rp is not None else None
    apis = policy.profiles_of_kind("REST")
    if default is not None and len(apis) > REST_BUDGET:
        names = ", ".join(sorted(tp.id for tp in apis))
        blocking = _blocking_validations(policy)
        said = (
            f"; {len(blocking)} of them validate a page without ContinueOnError, so their failure blocks it ({', '.join(blocking)})"
            if blocking
            else ""
        )
        yield Finding(
            default, f"this policy's journeys call {len(apis)} REST APIs ({names}): any one down or slow can stall or fail a sign-in{said}"
        )


@rule(
    "REST011",
    "Claim an API returns is also typed on its page",
    Severity.WARNING,
    Scope.CHAIN,
    "restful-technical-profile#output-claims",
)
def typed_claim_returned(policy: Effective) -> Iterator[Finding]:
    """A self-asserted page lets the user type a claim that its REST validation profile also
    returns, and the claim goes into the token (the relying party's output claims) or the
    directory (a write's persisted claims).

    The API's value replaces the typed one only when the API sends it. When the API leaves the
    claim out (an empty result, a partial response, a code path that forgets it), or fails with
    `ContinueOnError="true"`, the value the user typed stays, and a claim meant to come from
    your backend (a customer number, a role, a tier) is whatever the user wrote in the form,
    signed into the token: claim injection. Show such a claim read-only (`Readonly` or
    `Paragraph`), or keep it off the page and let only the API set it.

    Not reported: a claim the API also receives as input (it saw the typed value and accepted
    it: a check or a normalisation), a claim whose output has a `DefaultValue` (set even when
    the API leaves it out), a claim shown read-only.

    Bad::

        <OutputClaim ClaimTypeReferenceId="customerId" />   <!-- UserInputType TextBox -->
        <ValidationTechnicalProfile ReferenceId="REST-LookUpCustomer" />  <!-- returns customerId -->

    Fixed: `customerId` off the page's output claims (or its ClaimType `Readonly`), set only by
    `REST-LookUpCustomer`.

    Source: RESTful technical profile "Output claims"; self-asserted technical profile "Output
    claims", "Validation technical profiles"; claims schema "UserInputType".
    """
    rp = policy.relying_party
    if rp is None:
        return
    # the pages that validate with an API first: most have none, and need no claim of theirs read
    pages = [(tp, apis) for tp in policy.profiles_of_kind("SelfAsserted") if (apis := _rest_validations(policy, tp))]
    if not pages:
        return
    token = {c.get("ClaimTypeReferenceId", "").casefold() for c in rp.iterfind(q("TechnicalProfile/OutputClaims/OutputClaim"))}
    stored: set[str] = set()
    for tp in policy.profiles_of_kind("AAD"):
        stored |= {c.get("ClaimTypeReferenceId", "").casefold() for c in tp.persisted_claims}
    for tp, apis in pages:
        typed = typed_claims(policy, tp) & (token | stored)
        if not typed:
            continue
        reported: set[str] = set()
        shown = shown_claims(policy, tp)
        for api in apis:
            inputs = {c.get("ClaimTypeReferenceId", "").casefold() for c in api.input_claims}
            for out in api.output_claims:
                claim = out.get("ClaimTypeReferenceId", "")
                if claim.casefold() in typed - inputs - reported and out.get("DefaultValue") is None:
                    reported.add(claim.casefold())
                    into = "token" if claim.casefold() in token else "directory"
                    yield Finding(
                        shown[claim.casefold()],
                        f"{tp.id} lets the user type {claim}, which its validation profile {api.id} also returns: "
                        f"when the API leaves it out, the typed value goes into the {into}",
                    )


def _rest_validations(policy: Effective, tp: TechnicalProfile) -> list[TechnicalProfile]:
    """The REST profiles a page validates with, in order."""
    found = []
    for v in tp.validation_profiles:
        api = policy.technical_profiles.get(v.get("ReferenceId", ""))
        if api is not None and api.kind == "REST":
            found.append(api)
    return found
