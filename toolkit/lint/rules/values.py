"""Rules on values the service never resolves or silently ignores."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from lxml import etree

from toolkit.lint.loader import PolicyFile, q
from toolkit.lint.model import Effective
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: deploy-time placeholders that something must replace before upload (claim resolvers such as
#: {Policy:TenantObjectId} or {OIDC:Nonce} are resolved by B2C itself and are not listed)
PLACEHOLDERS = re.compile(
    r"\{Settings:[^}]+\}"  # the VS Code extension and deploy actions
    r"|\{\{\s*[\w.-]+\s*\}\}"  # Jinja/Mustache-style templates
    r"|#\{[\w.-]+\}#"  # Azure DevOps token replacement
    r"|\$\([\w.-]+\)"  # Azure DevOps variables
    r"|\byour-?tenant\b"  # the starter pack's tenant
    r"|\b(?:Proxy)?IdentityExperienceFrameworkAppId\b"  # the starter pack's app ids
    r"|--\s[^-]{3,60}\s--",  # "-- App Insights Instrumentation Key --"
    re.IGNORECASE,
)
#: RESTful technical profile metadata documented by Microsoft (rule-catalog.md §5)
REST_KEYS = (
    "ServiceUrl", "AuthenticationType", "AllowInsecureAuthInProduction", "SendClaimsIn", "ClaimsFormat",
    "ClaimUsedForRequestPayload", "DebugMode", "IncludeClaimResolvingInClaimsHandling", "ResolveJsonPathsInJsonTokens",
    "UseClaimAsBearerToken", "DefaultUserMessageIfRequestFailed", "UserMessageIfCircuitOpen",
    "UserMessageIfDnsResolutionFailed", "UserMessageIfRequestTimeout",
)  # fmt: skip


@rule(
    "SET001",
    "Unresolved placeholder",
    Severity.WARNING,
    Scope.FILE,
    "https://learn.microsoft.com/azure/active-directory-b2c/deploy-custom-policies-devops",
)
def unresolved_placeholder(f: PolicyFile) -> Iterator[Finding]:
    """A value still holds a deploy-time placeholder: `{Settings:X}`, `{{ x }}`, `#{x}#`, `$(x)`,
    `yourtenant`, the starter pack's `ProxyIdentityExperienceFrameworkAppId`, or a
    `-- put your key here --` text.

    Uploaded as is, it is a literal: a tenant that does not exist, an app id B2C cannot find. Lint
    the rendered policies (`--settings appsettings.json --environment NAME` renders
    `{Settings:X}`), or render them in the pipeline before this check. Reported once per file and
    placeholder, with the number of other places.

    Bad::

        <TrustFrameworkPolicy TenantId="yourtenant.onmicrosoft.com" ...>
        <Item Key="client_id">{Settings:ProxyIdentityExperienceFrameworkAppId}</Item>

    Fixed: the real values, written by the deployment from per-environment settings.

    Source: deploy custom policies with Azure Pipelines; B2C VS Code extension (policy settings).
    """
    first: dict[str, tuple[etree._Element, str | None]] = {}
    count: dict[str, int] = {}
    for el in f.root.iter(etree.Element):
        values = [(attr, value) for attr, value in el.attrib.items()] + [(None, el.text or "")]
        for attr, value in values:
            for m in PLACEHOLDERS.finditer(value):
                token = m.group(0)
                first.setdefault(token.casefold(), (el, str(attr) if attr else None))
                count[token.casefold()] = count.get(token.casefold(), 0) + 1
    for token, (el, attr) in first.items():
        more = count[token] - 1
        written = PLACEHOLDERS.search((el.get(attr) if attr else el.text) or "")
        shown = written.group(0) if written else token
        yield Finding(el, f"unresolved placeholder {shown!r}" + (f" ({more} more in this file)" if more else ""), attr=attr)


@rule("META001", "Unknown metadata key", Severity.WARNING, Scope.CHAIN, "restful-technical-profile#metadata", per_content=True)
def unknown_metadata(policy: Effective) -> Iterator[Finding]:
    """A RESTful technical profile sets a `Metadata` key its type does not know.

    The service ignores unknown keys silently: a misspelt `DefaultUserMessageIfRequestFailed` means
    users see the default error with the service URL, and the fix you made is not there. The keys
    are the ones Microsoft documents for the RESTful provider; a close match is suggested.

    Bad::

        <Item Key="DefaultUserMessageIfRequestFail">Please try again later.</Item>

    Fixed::

        <Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>

    Source: RESTful technical profile "Metadata".
    """
    known = {k.casefold() for k in REST_KEYS}
    for tp in policy.technical_profiles.values():
        if tp.kind != "REST":
            continue
        for decl in tp.decls:
            for item in decl.iterfind(q("Metadata/Item")):
                name = item.get("Key", "")
                if name.casefold() in known:
                    continue
                guess = difflib.get_close_matches(name, REST_KEYS, n=1, cutoff=0.75)
                hint = f"; did you mean {guess[0]!r}?" if guess else ""
                yield Finding(item, f"{tp.id}: {name!r} is not a RESTful profile metadata key and is ignored{hint}", attr="Key")
