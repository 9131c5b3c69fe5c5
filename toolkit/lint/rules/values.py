"""Rules on values the service never resolves or silently ignores."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.lint.model import Effective
from toolkit.lint.parse import COMMENT, PolicyFile, inside, q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

#: deploy-time placeholders that something must replace before upload (claim resolvers such as
#: {Policy:TenantObjectId} or {OIDC:Nonce} are resolved by B2C itself and are not listed), each
#: with the literals it contains: a pattern only runs over a file that holds them, which `in`
#: checks far faster than the regex engine scans (a single byte fastest). The scan runs over the
#: raw bytes: a file with one non-ASCII character decodes to a string twice as wide.
PLACEHOLDERS = tuple(
    (literals, re.compile(pattern))
    for literals, pattern in (
        ((b"{Settings:",), rb"\{Settings:[^}]+\}"),  # the VS Code extension and deploy actions
        ((b"{{",), rb"\{\{\s*[\w.-]+\s*\}\}"),  # Jinja/Mustache-style templates
        ((b"#", b"#{"), rb"#\{[\w.-]+\}#"),  # Azure DevOps token replacement
        ((b"$", b"$("), rb"\$\([\w.-]+\)"),  # Azure DevOps variables
        ((b"IdentityExperienceFrameworkAppId",), rb"IdentityExperienceFrameworkAppId\b"),  # the starter pack's app ids
        ((b"-- ",), rb"--\s[^-]{3,60}\s--"),  # "-- App Insights Instrumentation Key --"
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
    )
)
#: the starter pack's tenant and other "your" names (your_app_client_id, yoursite, your-app.azurewebsites.net),
#: searched in the lower-cased bytes
YOUR_TENANT = re.compile(
    rb"your(?:-?tenant\b|[-_][a-z][\w-]{0,60}|(?:site|app|api|domain|company|storage|account|server|host|service|workspace)[\w-]{0,60})"
)


def placeholders(data: bytes) -> list[tuple[int, bytes]]:
    """`(offset, placeholder)` for every placeholder in a file's bytes, in order."""
    found = [
        (m.start("v"), m.group("v")) if "v" in pattern.groupindex else (m.start(), m.group(0))
        for literals, pattern in PLACEHOLDERS
        if all(literal in data for literal in literals)
        for m in pattern.finditer(data)
    ]
    found = [(i, t) for i, t in found if not (t.startswith(b"&lt;") and data[i - 1 : i] == b"?")]  # a regex's (?<name>)
    # the starter pack writes ProxyIdentityExperienceFrameworkAppId too: report the whole name
    found = [(i - 5, b"Proxy" + t) if t.startswith(b"Identity") and data.startswith(b"Proxy", i - 5) else (i, t) for i, t in found]
    lowered = data.lower()  # ASCII only: the offsets stay
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
    `@x@`, `__x__`, `{tenant-name}`, `<your-app>`, `yourtenant` and other `your…` names
    (`yoursite`, `your-app.azurewebsites.net`, `your_app_client_id`), the starter pack's
    `ProxyIdentityExperienceFrameworkAppId`, a `-- put your key here --` text, a value cut short
    with `...` (a client id or instrumentation key written `5f...ee`), or a GUID of zeros as a
    client id or audience.

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

    Fixed: the real values, written by the deployment from per-environment settings.

    Source: deploy custom policies with Azure Pipelines; B2C VS Code extension (policy settings).
    """
    # One regex pass over the raw bytes, not a walk over every element in Python.
    data = f.data
    first: dict[bytes, tuple[int, str]] = {}
    count: dict[bytes, int] = {}
    found = placeholders(data)
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
        yield Finding(
            f.element_at(line, column),
            f"unresolved placeholder {written!r}" + (f" ({more} more in this file)" if more else ""),
            attr=attr,
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
