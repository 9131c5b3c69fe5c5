"""Rules on values the service never resolves or silently ignores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from toolkit.lint.model import Effective, TechnicalProfile
from toolkit.lint.parse import COMMENT, PolicyFile, inside
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: deploy-time placeholders that something must replace before upload (claim resolvers such as
#: {Policy:TenantObjectId} or {OIDC:Nonce} are resolved by B2C itself and are not listed), each
#: with the literals it contains (or a short pattern that starts with one): a pattern only runs
#: over a file that holds them, which `in` checks far faster than the regex engine scans (a
#: single byte fastest). The scan runs over the raw bytes: a file with one non-ASCII character
#: decodes to a string twice as wide.
PLACEHOLDERS: tuple[tuple[tuple[bytes, ...] | re.Pattern[bytes], re.Pattern[bytes]], ...] = tuple(
    (literals, re.compile(pattern))
    for literals, pattern in (
        ((b"{Settings:",), rb"\{Settings:[^}]+\}"),  # the VS Code extension and deploy actions
        ((b"{{",), rb"\{\{\s*[\w.-]+\s*\}\}"),  # Jinja/Mustache-style templates
        ((b"#", b"#{"), rb"#\{[\w.-]+\}#"),  # Azure DevOps token replacement
        ((b"$", b"$("), rb"\$\([\w.-]+\)"),  # Azure DevOps variables
        ((b"IdentityExperienceFrameworkAppId",), rb"IdentityExperienceFrameworkAppId\b"),  # the starter pack's app ids
        # "-- App Insights Instrumentation Key --": `--\s[^-]{3,60}\s--`, written to take the run of
        # non-dashes whole and check its last character (every comment's `<!-- ` tries it)
        ((b"-- ",), rb"--\s[^-]{4,61}+(?<=\s)--"),
        ((b"@",), rb"@[A-Za-z_][\w.-]{0,80}@"),  # @authentication_cloud_url@ (gulp/grunt replace)
        ((b"__",), rb"__[A-Za-z][A-Za-z0-9_.]{0,80}?__(?![\w])"),  # __ApiHost__ (Octopus, replacetokens)
        ((b"{",), rb"\{[A-Za-z][\w]*[- ][\w -]{0,60}\}"),  # {tenant-name}, {IdentityExperienceFramwork AppId}
        ((b"&lt;",), rb"&lt;[A-Za-z][\w.:]*[-_ ][\w .:-]{0,60}&gt;"),  # <your-app> (a regex's (?<name>) is left out below)
        # a value cut short: "5f...ee", "..." (an attribute or a metadata item, never prose)
        # (each pattern starts with a literal, which the regex engine finds fast; a lookbehind
        # first made it try every byte of every file)
        ((b"...",), rb'[=>]"?(?<=="|">)(?P<v>[^"<>\s]{0,80}\.\.\.[^"<>\s]{0,80})(?:"|</Item>)'),
        # a GUID of zeros as an application or audience id
        (
            (b"00000000-0000",),
            rb'(?i)Key="[^"]{0,40}(?:client_?id|audience|app_?id|resource)[^"]{0,40}"\s*>\s*(?P<v>0{8}-0{4}-0{4}-0{4}-0{12})',
        ),
        # a documentation GUID anywhere in a value: one digit repeated ("for example:
        # 11111111-1111-1111-1111-111111111111"), 12345678-…, xxxxxxxx-… (never a generated id).
        # A file holds one only where a dash precedes four repeats (one scan, where a literal per
        # digit took 23); the lookbehind follows the first character, which the engine skips to.
        (
            re.compile(rb"-([1-9a-fA-FxX])\1{3}"),
            rb"([1-9a-fA-FxX])(?<![\w-]\1)\1{7}-\1{4}-\1{4}-\1{4}-\1{12}(?![\w-])",
        ),
        ((b"12345678-",), rb"(?<![\w-])12345678-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])"),
    )
)
#: the starter pack's and the samples' stand-ins for an application id, a metadata item's whole
#: value (`facebook_clientid`, `msa_clientid`, `LinkedIn client_id`, `b2c-extensions-app_object_id`),
#: searched in the lower-cased bytes: a real id never spells out what it is (spaces are taken
#: whole, `\s*+`: giving some back never makes a match, and trying it after each `>` took half the time)
NAMED_ID = re.compile(rb">\s*+(?P<v>[a-z][\w.-]{0,60}[_ ](?:client_?id|app_?id|application_?id|object_?id))\s*+</item>")
#: the starter pack's tenant and other "your" names (your_app_client_id, yoursite, your-app.azurewebsites.net),
#: searched in the lower-cased bytes
YOUR_TENANT = re.compile(
    rb"your(?:-?tenant\b|[-_][a-z][\w-]{0,60}|(?:site|app|api|domain|company|storage|account|server|host|service|workspace)[\w-]{0,60})"
)


#: Microsoft's fictitious companies, as names and hosts (`Contoso`, `contoso.com`,
#: `fabrikam.azurewebsites.net`), searched in the lower-cased bytes
SAMPLE_COMPANY = re.compile(rb"(?<![\w-])(?:contoso|fabrikam)(?:[\w.-]*\w)?")


def sample_companies(data: bytes, lowered: bytes, tenant: str) -> list[tuple[int, bytes]]:
    """`(offset, name)` for each of Microsoft's sample company names in a file written for another
    tenant: a policy for Contoso's own tenant (the docs' and this project's examples) is consistent,
    and a template whose tenant is a deploy-time token may be Contoso's. `lowered` is `data.lower()`."""
    if not tenant or any(mark in tenant.lower() for mark in ("contoso", "fabrikam", "{", "$(", "__", "@")):
        return []
    if b"contoso" not in lowered and b"fabrikam" not in lowered:
        return []
    return [(m.start(), data[m.start() : m.end()]) for m in SAMPLE_COMPANY.finditer(lowered)]


def _may_hold(data: bytes, literals: tuple[bytes, ...] | re.Pattern[bytes]) -> bool:
    """True when `data` holds every one of `literals` (or a match of their short pattern)."""
    if isinstance(literals, re.Pattern):
        return literals.search(data) is not None
    return all(literal in data for literal in literals)


def placeholders(data: bytes, lowered: bytes) -> list[tuple[int, bytes]]:
    """`(offset, placeholder)` for every placeholder in a file's bytes, in order. `lowered` is
    `data.lower()` (ASCII only: the offsets stay), lowered once for the searches that ignore case."""
    found = [
        (m.start("v"), m.group("v")) if "v" in pattern.groupindex else (m.start(), m.group(0))
        for literals, pattern in PLACEHOLDERS
        if _may_hold(data, literals)
        for m in pattern.finditer(data)
    ]
    found = [(i, t) for i, t in found if not (t.startswith(b"&lt;") and data[i - 1 : i] == b"?")]  # a regex's (?<name>)
    # the starter pack writes ProxyIdentityExperienceFrameworkAppId too: report the whole name
    found = [(i - 5, b"Proxy" + t) if t.startswith(b"Identity") and data.startswith(b"Proxy", i - 5) else (i, t) for i, t in found]
    if b"id</item>" in lowered:
        found += [(m.start("v"), data[m.start("v") : m.end("v")]) for m in NAMED_ID.finditer(lowered)]
    if b"your" in lowered:
        found += [
            (m.start(), data[m.start() : m.end()]) for m in YOUR_TENANT.finditer(lowered) if not data[m.start() - 1 : m.start()].isalnum()
        ]
    kept: list[tuple[int, bytes]] = []
    for offset, token in sorted(found, key=lambda t: (t[0], -len(t[1]))):
        if kept and offset < kept[-1][0] + len(kept[-1][1]):
            continue  # inside a placeholder already found (`your-app` in `&lt;your-app&gt;`)
        kept.append((offset, token))
    return kept


#: an attribute name and `=` just before an opening quote
_UNQUOTED = re.compile(rb"\s([\w:.-]+)\s*=\s*$")
_ATTRIBUTE = re.compile(rb"([\w:.-]+)\s*=\s*$")


def _attribute_at(data: bytes, offset: int, line_start: int) -> str | None:
    """The attribute whose value holds `offset`, if any: the last quote before it on its line
    (within 4 KB) must follow `Name=`. Found backwards in short windows: a pattern run forwards
    from the line start backtracks quadratically on a long run of name characters, and a search
    back to the start of a long line for each placeholder is quadratic too (hostile files)."""
    if m := _UNQUOTED.search(data, max(line_start, offset - 256), offset):
        return m.group(1).decode()  # TenantId={{TenantId}}: a value written without quotes
    quote = data.rfind(b'"', max(line_start, offset - 4096), offset)
    if quote < 0:
        return None
    m = _ATTRIBUTE.search(data, max(line_start, quote - 256), quote)
    return m.group(1).decode() if m else None


#: RESTful technical profile metadata documented by Microsoft (rule-catalog.md §5): the one list
#: known whole, so any other key on a REST profile is reported
REST_KEYS = (
    "ServiceUrl", "AuthenticationType", "AllowInsecureAuthInProduction", "SendClaimsIn", "ClaimsFormat",
    "ClaimUsedForRequestPayload", "DebugMode", "IncludeClaimResolvingInClaimsHandling", "ResolveJsonPathsInJsonTokens",
    "UseClaimAsBearerToken", "DefaultUserMessageIfRequestFailed", "UserMessageIfCircuitOpen",
    "UserMessageIfDnsResolutionFailed", "UserMessageIfRequestTimeout",
)  # fmt: skip
#: keys any technical profile may carry (claims resolving; enabling a profile on a claim's value)
_COMMON_KEYS = ("IncludeClaimResolvingInClaimsHandling", "ClaimTypeOnWhichToEnable", "ClaimValueOnWhichToEnable")
#: error messages a page takes for its validation profiles (directory, password check, one-time
#: code, Microsoft Entra MFA, claims transformations)
_PAGE_MESSAGES = (
    "UserMessageIfClaimsPrincipalAlreadyExists", "UserMessageIfClaimsPrincipalDoesNotExist", "UserMessageIfInvalidPassword",
    "UserMessageIfOldPasswordUsed", "UserMessageIfSessionDoesNotExist", "UserMessageIfMaxRetryAttempted",
    "UserMessageIfMaxNumberOfCodeGenerated", "UserMessageIfInvalidCode", "UserMessageIfVerificationFailedRetryAllowed",
    "UserMessageIfSessionConflict", "UserMessageIfCouldntSendSms", "UserMessageIfInvalidFormat",
    "UserMessageIfMaxAllowedCodeRetryReached", "UserMessageIfServerError", "UserMessageIfThrottled", "UserMessageIfWrongCodeEntered",
    "UserMessageIfClaimsTransformationBooleanValueIsNotEqual", "UserMessageIfClaimsTransformationStringsAreNotEqual",
)  # fmt: skip
_ISSUER_KEYS = (
    # JWT issuer
    "client_id", "issuer_refresh_token_user_identity_claim_type", "SendTokenResponseBodyWithJsonNumbers", "token_lifetime_secs",
    "id_token_lifetime_secs", "refresh_token_lifetime_secs", "rolling_refresh_token_lifetime_secs",
    "allow_infinite_rolling_refresh_token", "IssuanceClaimPattern", "AuthenticationContextReferenceClaimPattern",
    "RefreshTokenUserJourneyId",
    # SAML issuer
    "IssuerUri", "XmlSignatureAlgorithm", "TokenNotBeforeSkewInSeconds", "TokenLifeTimeInSeconds",
    # id_token_hint
    "METADATA", "IdTokenAudience", "issuer",
)  # fmt: skip
_OIDC_KEYS = (
    "client_id", "IdTokenAudience", "METADATA", "authorization_endpoint", "end_session_endpoint", "issuer", "ProviderName",
    "response_types", "response_mode", "scope", "HttpBinding", "ValidTokenIssuerPrefixes", "UsePolicyInRedirectUri",
    "MarkAsFailureOnStatusCode5xx", "DiscoverMetadataByTokenIssuer", "token_endpoint_auth_method", "token_signing_algorithm",
    "SingleLogoutEnabled", "ReadBodyClaimsOnIdpRedirect", "UserMessageIfClaimsPrincipalDoesNotExist",
    "UserMessageIfInvalidPassword", "UserMessageIfOldPasswordUsed",
    # Microsoft's Apple and password-credentials samples
    "AccessTokenEndpoint", "JWKS", "external_user_identity_claim_id", "grant_type",
)  # fmt: skip
_OAUTH2_KEYS = (
    "authorization_endpoint", "client_id", "AdditionalRequestQueryParameters", "response_mode", "response_types", "scope",
    "UsePolicyInRedirectUri", "AccessTokenEndpoint", "HttpBinding", "AccessTokenResponseFormat",
    "ExtraParamsInAccessTokenEndpointResponse", "token_endpoint_auth_method", "token_signing_algorithm", "ClaimsEndpoint",
    "ClaimsEndpointAccessTokenName", "ClaimsEndpointFormatName", "ClaimsEndpointFormat", "BearerTokenTransmissionMethod",
    "ExtraParamsInClaimsEndpointRequest", "end_session_endpoint", "SingleLogoutEnabled", "IdTokenAudience", "ProviderName",
    "ResponseErrorCodeParamName", "ResolveJsonPathsInJsonTokens", "external_user_identity_claim_id",
)  # fmt: skip
_OAUTH1_KEYS = (
    "client_id", "ProviderName", "request_token_endpoint", "authorization_endpoint", "access_token_endpoint", "ClaimsEndpoint",
    "ClaimsResponseFormat",
)  # fmt: skip
_SAML2_KEYS = (
    "PartnerEntity", "WantsSignedRequests", "XmlSignatureAlgorithm", "WantsSignedAssertions", "ResponsesSigned",
    "WantsEncryptedAssertions", "IdpInitiatedProfileEnabled", "NameIdPolicyFormat", "NameIdPolicyAllowCreate",
    "AuthenticationRequestExtensions", "IncludeAuthnContextClassReferences", "IncludeKeyInfo", "SingleLogoutEnabled",
    "IssuerUri", "TokenNotBeforeSkewInSeconds", "TokenLifeTimeInSeconds",
)  # fmt: skip
#: metadata keys Microsoft documents, by technical profile kind (`TechnicalProfile.kind`, or the
#: protocol name of an identity provider or issuer). Only REST's list is known whole: real
#: policies, Microsoft's samples among them, use keys the other pages leave out (`MaxNumAttempts`
#: on a one-time password, `AccessTokenEndpoint` on OpenID Connect), so on other profiles these
#: lists only tell a key written in another case from the documented one.
DOCUMENTED_KEYS: dict[str, tuple[str, ...]] = {
    "REST": REST_KEYS,
    "AAD": (
        "Operation", "RaiseErrorIfClaimsPrincipalDoesNotExist", "RaiseErrorIfClaimsPrincipalAlreadyExists", "ApplicationObjectId",
        "ClientId", "UserMessageIfClaimsPrincipalAlreadyExists", "UserMessageIfClaimsPrincipalDoesNotExist",
    ),
    "SelfAsserted": (
        "ContentDefinitionReferenceId", "setting.operatingMode", "AllowGenerationOfClaimsWithNullValues", "EnforceEmailVerification",
        "setting.retryLimit", "setting.forgotPasswordLinkLocation", "setting.forgotPasswordLinkOverride",
        "setting.enableCaptchaChallenge", "setting.showCancelButton", "setting.showContinueButton", "setting.showSignupLink",
        "setting.enableRememberMe", "setting.inputVerificationDelayTimeInMilliseconds", "SignUpTarget",
        "IpAddressClaimReferenceId", *_PAGE_MESSAGES,
    ),
    "PhoneFactor": (
        "ContentDefinitionReferenceId", "ManualPhoneNumberEntryAllowed", "setting.authenticationMode", "setting.autodial",
        "setting.autosubmit", "setting.enableCaptchaChallenge", *_PAGE_MESSAGES,
    ),
    "OTP": (
        "Operation", "CodeExpirationInSeconds", "CodeLength", "CharacterSet", "NumRetryAttempts", "NumCodeGenerationAttempts",
        "ReuseSameCode", *_PAGE_MESSAGES,
    ),
    "AppInsights": ("InstrumentationKey", "DeveloperMode", "DisableTelemetry"),
    "Session": ("AlwaysFetchClaimsFromProvider", "IncludeSessionIndex", "RegisterServiceProviders"),
    "ClaimsTransformation": (),
    "openidconnect": _OIDC_KEYS + _ISSUER_KEYS,
    "oauth2": _OAUTH2_KEYS,
    "oauth1": _OAUTH1_KEYS,
    "saml2": _SAML2_KEYS,
    "none": _ISSUER_KEYS,
}  # fmt: skip
#: every documented key, for a profile of a kind not listed
ALL_DOCUMENTED_KEYS = tuple(dict.fromkeys(k for keys in DOCUMENTED_KEYS.values() for k in keys))


@rule(
    "SET001",
    "Unresolved placeholder",
    Severity.WARNING,
    Scope.FILE,
    "https://learn.microsoft.com/azure/active-directory-b2c/deploy-custom-policies-devops",
)
def unresolved_placeholder(f: PolicyFile) -> Iterator[Finding]:
    """A value still holds a deploy-time placeholder: `{Settings:X}`, `{{ x }}`, `#{x}#`, `$(x)`,
    `@x@`, `__x__`, `{tenant-name}`, `<your-app>`, `yourtenant` and other `your…` names
    (`yoursite`, `your-app.azurewebsites.net`, `your_app_client_id`), the starter pack's
    `ProxyIdentityExperienceFrameworkAppId`, a `-- put your key here --` text, a value cut short
    with `...` (a client id or instrumentation key written `5f...ee`), a GUID of zeros as a
    client id or audience, a documentation GUID anywhere (one digit repeated,
    `11111111-1111-1111-1111-111111111111`; `12345678-…`; `xxxxxxxx-…`), or a metadata value that
    names the id it stands for, as the starter pack and Microsoft's samples write them
    (`facebook_clientid`, `msa_clientid`, `LinkedIn client_id`, `b2c-extensions-app_object_id`).

    A sample or demo repository gets these too, at the same severity: a sample is there to be
    copied and deployed, and its placeholders are exactly what the copy must replace.

    Microsoft's fictitious companies (`Contoso`, `contoso.com`, `fabrikam.azurewebsites.net`) are
    reported in a policy written for another tenant: a mail subject "Contoso account verification
    code" or an API on `contoso.azurewebsites.net` copied from a sample into a real tenant's policy.
    A policy whose TenantId is Contoso's or Fabrikam's own (the docs' examples) is consistent and
    is left alone.

    A placeholder is never judged as a URL or host (no HTTPS or public-host finding on it): it is
    reported here only.

    Uploaded as is, it is a literal: a tenant that does not exist, an app id B2C cannot find. Lint
    the rendered policies: an `appsettings.json` beside the policies (or in a folder above, up to
    the folder linted) renders `{Settings:X}` as the VS Code extension does, its production
    environment when it has several; `--settings FILE --environment NAME` chooses. Reported once
    per file and placeholder, with the number of other places.

    A template with a token where XML allows no text (a whole attribute
    `<TrustFrameworkPolicy ... {Settings:DeploymentMode}>`, an unquoted `TenantId={{TenantId}}`)
    is still checked: the token gets a stand-in for parsing, every rule runs, and the token is
    reported here, at its place in the file as written.

    Bad::

        <TrustFrameworkPolicy TenantId="yourtenant.onmicrosoft.com" ...>
        <Item Key="client_id">{Settings:ProxyIdentityExperienceFrameworkAppId}</Item>
        <Item Key="client_id">facebook_clientid</Item>

    Fixed: the real values, written by the deployment from per-environment settings.

    Source: deploy custom policies with Azure Pipelines; B2C VS Code extension (policy settings).
    """
    # One regex pass over the raw bytes, not a walk over every element in Python.
    data = f.data
    lowered = data.lower()
    first: dict[bytes, tuple[int, str]] = {}
    count: dict[bytes, int] = {}
    found = placeholders(data, lowered)
    spans = [(offset, offset + len(token)) for offset, token in found]
    samples = [(i, name) for i, name in sample_companies(data, lowered, f.tenant) if not any(a <= i < b for a, b in spans)]
    found = sorted(found + samples)
    if not found:
        return  # most files hold none, and need no scan for comments
    in_comment = inside(COMMENT, data)
    for offset, match in found:
        if in_comment(offset):
            continue  # not a value
        token = match.lower()
        first.setdefault(token, (offset, match.decode("utf-8", "replace").replace("&lt;", "<").replace("&gt;", ">")))
        count[token] = count.get(token, 0) + 1
    for token, (offset, written) in first.items():
        line, column = f.position(offset)
        attr = _attribute_at(data, offset, offset - column + 1)
        more = count[token] - 1
        what = "unresolved placeholder"
        if any(written.encode() == name for _, name in samples):
            what = f"Microsoft's sample company in a policy for {f.tenant or 'another tenant'}:"
        yield Finding(
            f.element_at(line, column),
            f"{what} {written!r}" + (f" ({more} more in this file)" if more else ""),
            attr=attr,
        )


def _documented_keys(tp: TechnicalProfile) -> dict[str, str]:
    """The keys Microsoft documents for a profile's kind (every documented key when unknown), by
    their casefolded spelling."""
    protocol = tp.protocol.get("Name", "").casefold() if tp.protocol is not None else ""
    return _by_case(tp.kind, protocol)


@cache
def _by_case(kind: str, protocol: str) -> dict[str, str]:
    keys = DOCUMENTED_KEYS.get(kind) if kind != "IdP" else DOCUMENTED_KEYS.get(protocol)
    if keys is None:
        keys = DOCUMENTED_KEYS.get(protocol, ALL_DOCUMENTED_KEYS)
    return {k.casefold(): k for k in (*keys, *_COMMON_KEYS)}


def _metadata_problem(tp: TechnicalProfile, documented: dict[str, str], name: str) -> str | None:
    """What is wrong with a metadata key on a profile, if anything (see `unknown_metadata`):
    `documented` is `_documented_keys(tp)`."""
    exact = documented.get(name.strip().casefold())
    if name != name.strip():
        fixed = exact or name.strip()
        return f"metadata key {name!r} has a space before or after it, so it is not {fixed!r} and is ignored"
    if exact is not None and exact != name:
        return (
            f"metadata key {name!r} is written {exact!r} in Microsoft's reference: write it that way (a key that does not match is ignored)"
        )
    if exact is None and tp.kind == "REST":
        import difflib  # only for a misspelt key: keeps start-up fast

        guess = difflib.get_close_matches(name, REST_KEYS, n=1, cutoff=0.75)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"{name!r} is not a RESTful profile metadata key and is ignored{hint}"
    return None


@rule("META001", "Unknown metadata key", Severity.WARNING, Scope.CHAIN, "restful-technical-profile#metadata", per_content=True)
def unknown_metadata(policy: Effective) -> Iterator[Finding]:
    """A technical profile sets a `Metadata` key its type does not know: on a RESTful profile, any
    key Microsoft does not document for it; on any profile, a key with a space before or after
    it (`"DisableTelemetry "`), or one that differs from a documented key of its kind only in
    case (`Setting.showSignupLink`).

    The service ignores unknown keys silently: a misspelt `DefaultUserMessageIfRequestFailed`
    means users see the default error with the service URL, a `DisableTelemetry ` with a
    trailing space leaves telemetry on, and the fix you made is not there. The RESTful keys are
    known whole (a close match is suggested). The other kinds' keys come from their reference
    pages (OpenID Connect, OAuth1, OAuth2, SAML identity provider, JWT and SAML issuers,
    id_token_hint, Microsoft Entra ID, self-asserted, phone factor, one-time password,
    Application Insights, the session providers, claims transformation), but real policies and
    Microsoft's own samples use keys those pages leave out, so an other key there is never
    reported as unknown: only the stray space and the different case are.

    Bad::

        <Item Key="DefaultUserMessageIfRequestFail">Please try again later.</Item>
        <Item Key="DisableTelemetry ">true</Item>

    Fixed::

        <Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>
        <Item Key="DisableTelemetry">true</Item>

    Source: RESTful technical profile "Metadata"; the "Metadata" section of each technical
    profile reference (OpenID Connect, OAuth2, SAML identity provider, JWT issuer, SAML issuer,
    Microsoft Entra ID, self-asserted, phone factor, one-time password, Application Insights);
    SSO session providers.
    """
    for tp in policy.technical_profiles.values():
        documented = _documented_keys(tp)
        for item in tp.metadata_written:
            name = item.get("Key", "")
            if documented.get(name.casefold()) == name:
                continue  # most keys: written as documented
            problem = _metadata_problem(tp, documented, name)
            if problem is not None:
                yield Finding(item, f"{tp.id}: {problem}", attr="Key")
