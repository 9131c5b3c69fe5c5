"""Rules on values the service never resolves or silently ignores."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.loader import PolicyFile, q
from toolkit.lint.model import Effective
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: deploy-time placeholders that something must replace before upload (claim resolvers such as
#: {Policy:TenantObjectId} or {OIDC:Nonce} are resolved by B2C itself and are not listed), each
#: with a literal it contains: a pattern only runs over text that holds its literal, which
#: `str.find` checks far faster than the regex engine scans.
PLACEHOLDERS = tuple(
    (literal, re.compile(pattern))
    for literal, pattern in (
        ("{Settings:", r"\{Settings:[^}]+\}"),  # the VS Code extension and deploy actions
        ("{{", r"\{\{\s*[\w.-]+\s*\}\}"),  # Jinja/Mustache-style templates
        ("#{", r"#\{[\w.-]+\}#"),  # Azure DevOps token replacement
        ("$(", r"\$\([\w.-]+\)"),  # Azure DevOps variables
        ("IdentityExperienceFrameworkAppId", r"IdentityExperienceFrameworkAppId\b"),  # the starter pack's app ids
        ("-- ", r"--\s[^-]{3,60}\s--"),  # "-- App Insights Instrumentation Key --"
    )
)
#: the starter pack's tenant, searched in the lower-cased text
YOUR_TENANT = re.compile(r"your-?tenant\b")


def placeholders(text: str) -> list[tuple[int, str]]:
    """`(offset, placeholder)` for every placeholder in `text`, in order."""
    found = [(m.start(), m.group(0)) for literal, pattern in PLACEHOLDERS if literal in text for m in pattern.finditer(text)]
    # the starter pack writes ProxyIdentityExperienceFrameworkAppId too: report the whole name
    found = [(i - 5, "Proxy" + t) if t.startswith("Identity") and text.startswith("Proxy", i - 5) else (i, t) for i, t in found]
    lowered = text.lower() if text.isascii() else text  # same offsets only for ASCII
    if "tenant" in lowered:
        found += [
            (m.start(), text[m.start() : m.end()])
            for m in YOUR_TENANT.finditer(lowered)
            if m.start() == 0 or not text[m.start() - 1].isalnum()
        ]
    return sorted(found)


def _in_comment(text: str, offset: int) -> bool:
    opening = text.rfind("<!--", 0, offset + 4)  # the last comment that starts at or before offset
    if opening < 0:
        return False
    closing = text.find("-->", opening + 4)
    return closing < 0 or offset < closing + 3


#: the attribute a match sits in: `Name="...` open up to the match
_ATTRIBUTE = re.compile(r'([\w:.-]+)\s*=\s*"[^"]*$')
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
    # One regex pass over the raw text, not a walk over every element in Python.
    text = f.data.decode("utf-8", "replace")
    matches = placeholders(text)
    if not matches:
        return
    first: dict[str, tuple[int, str]] = {}
    count: dict[str, int] = {}
    for offset, written in matches:
        if _in_comment(text, offset):
            continue  # not a value
        token = written.casefold()
        first.setdefault(token, (offset, written))
        count[token] = count.get(token, 0) + 1
    for token, (offset, written) in first.items():
        line = text.count("\n", 0, offset) + 1
        el = f.element_at(line)
        attr = _ATTRIBUTE.search(text, text.rfind("\n", 0, offset) + 1, offset)
        more = count[token] - 1
        yield Finding(
            el,
            f"unresolved placeholder {written!r}" + (f" ({more} more in this file)" if more else ""),
            attr=attr.group(1) if attr else None,
        )


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
                import difflib  # only for a misspelt key: keeps start-up fast

                guess = difflib.get_close_matches(name, REST_KEYS, n=1, cutoff=0.75)
                hint = f"; did you mean {guess[0]!r}?" if guess else ""
                yield Finding(item, f"{tp.id}: {name!r} is not a RESTful profile metadata key and is ignored{hint}", attr="Key")
