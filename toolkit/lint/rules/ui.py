"""Rules on custom page content: HTTPS, a CDN, current page layouts, JavaScript, framing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from lxml import etree

from toolkit.lint.model import Effective
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import once_per_setting, placeholder_in, unreachable

_DATA_URI = re.compile(
    r"^urn:com:microsoft:aad:b2c:elements:(?P<contract>contract:)?(?P<page>[a-z]+):(?P<version>\d+(?:\.\d+)*)$", re.IGNORECASE
)
#: page → the first version with the jQuery 3.5.1 line (older ones ship jQuery 1.12.4)
MIN_VERSION = {
    "selfasserted": (2, 1, 4),
    "unifiedssp": (2, 1, 4),
    "multifactor": (1, 2, 4),
    "globalexception": (1, 2, 1),
    "providerselection": (1, 2, 1),
    "unifiedssd": (1, 2, 1),
}
SINGLE_REGION_ORIGINS = (".blob.core.windows.net", ".web.core.windows.net", ".azurewebsites.net")


def _text(el: etree._Element | None) -> str:
    return "" if el is None else (el.text or "").strip()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@rule(
    "UI001",
    "Custom page content not on HTTPS",
    Severity.ERROR,
    Scope.CHAIN,
    "customize-ui-with-html#hosting-the-page-content",
    per_content=True,
)
def page_not_https(policy: Effective) -> Iterator[Finding]:
    """A `ContentDefinition/LoadUri` is an absolute URL that is not `https`, or whose host cannot
    be public (`localhost`, a loopback, private, link-local or reserved IP address).

    "Host your UI content on any publicly available HTTPS endpoint that supports CORS." B2C will
    not load page content over plain HTTP, nor from a developer's machine. A `LoadUri` starting
    with `~` is hosted by B2C itself.

    Bad::

        <LoadUri>http://contoso.example/b2c/unified.html</LoadUri>
        <LoadUri>https://localhost:3000/unified.html</LoadUri>

    Fixed::

        <LoadUri>https://cdn.contoso.com/b2c/unified.html</LoadUri>

    Source: customize UI with HTML "Hosting the page content"; content definitions "LoadUri".
    """
    yield from once_per_setting(_page_not_https(policy), policy.file_of)


def _page_not_https(policy: Effective) -> Iterator[Finding]:
    for cd in policy.content_definitions.values():
        load = cd.find(q("LoadUri"))
        uri = _text(load)
        if load is None or not uri or uri.startswith(("~", "{")) or placeholder_in(uri):
            continue  # hosted by B2C, or a placeholder (SET001)
        fault, what = unreachable(uri) or (None, "")
        if fault == "scheme":
            yield Finding(load, f"ContentDefinition {cd.get('Id')!r} loads its page over {what}, not https")
        elif fault == "host":
            yield Finding(load, f"ContentDefinition {cd.get('Id')!r} loads its page from {what}, which is not public: B2C cannot reach it")


@rule(
    "UI002",
    "Custom HTML served from origin storage, not a CDN",
    Severity.INFO,
    Scope.CHAIN,
    "https://learn.microsoft.com/entra/architecture/resilient-end-user-experience",
    per_content=True,
)
def page_not_on_cdn(policy: Effective) -> Iterator[Finding]:
    """A `LoadUri` host is a single-region origin (`*.blob.core.windows.net`, a storage static
    website, an App Service) rather than a content delivery network.

    "Content delivery networks (CDNs) are better performant and less expensive than blob stores";
    best practice is to make sure custom templates "are globally deployed using online content
    delivery". When the origin is down, pages fail with AADB2C90002/AADB2C90047.

    Bad::

        <LoadUri>https://contosob2c.blob.core.windows.net/b2c/unified.html</LoadUri>

    Fixed::

        <LoadUri>https://contoso-b2c.azureedge.net/b2c/unified.html</LoadUri>

    Source: resilient end-user experience "Use a content delivery network"; custom policy overview "Best practices".
    """
    yield from once_per_setting(_page_not_on_cdn(policy), policy.file_of)


def _page_not_on_cdn(policy: Effective) -> Iterator[Finding]:
    for cd in policy.content_definitions.values():
        load = cd.find(q("LoadUri"))
        if placeholder_in(_text(load)):
            continue  # SET001's business
        try:
            host = urlsplit(_text(load)).hostname or ""
        except ValueError:
            continue
        if load is not None and host.endswith(SINGLE_REGION_ORIGINS):
            yield Finding(load, f"ContentDefinition {cd.get('Id')!r} loads from the single-region origin {host}; serve it through a CDN")


@rule("UI003", "Legacy or outdated page layout", Severity.WARNING, Scope.CHAIN, "page-layout", per_content=True)
def outdated_page_layout(policy: Effective) -> Iterator[Finding]:
    """A `DataUri` has no `contract:` page layout, names the deprecated `unifiedssd` page, or a
    version older than the jQuery 3.5.1 line (selfasserted and unifiedssp 2.1.4, multifactor
    1.2.4, globalexception, providerselection and unifiedssd 1.2.1).

    "We highly recommend you keep your page layout versions up-to-date so that all page elements
    reflect the latest security enhancements". Old layouts ship jQuery 1.12.4.

    Bad::

        <DataUri>urn:com:microsoft:aad:b2c:elements:selfasserted:1.1.0</DataUri>

    Fixed::

        <DataUri>urn:com:microsoft:aad:b2c:elements:contract:selfasserted:2.1.7</DataUri>

    Source: page layout "jQuery and Handlebars versions"; content definitions "Migrating to page layout".
    """
    for cd in policy.content_definitions.values():
        data = cd.find(q("DataUri"))
        m = _DATA_URI.match(_text(data))
        if data is None or m is None:
            continue
        page, version = m["page"].casefold(), _version(m["version"])
        if not m["contract"]:
            yield Finding(data, f"ContentDefinition {cd.get('Id')!r} uses a legacy DataUri without a page-layout contract")
        elif page == "unifiedssd":
            yield Finding(data, f"ContentDefinition {cd.get('Id')!r} uses the deprecated unifiedssd page layout")
        elif page in MIN_VERSION and version < MIN_VERSION[page]:
            wanted = ".".join(map(str, MIN_VERSION[page]))
            yield Finding(data, f"ContentDefinition {cd.get('Id')!r} uses {page} {m['version']}, older than {wanted} (jQuery 1.12.4)")


def _used_content_definitions(policy: Effective) -> set[str]:
    used = set()
    for journey in policy.journeys_in_use:
        for step in journey.steps:
            if step.get("ContentDefinitionReferenceId"):
                used.add(step.get("ContentDefinitionReferenceId", "").casefold())
    for tp in policy.profiles_in_use:
        ref = tp.meta("ContentDefinitionReferenceId")
        if ref:
            used.add(ref.casefold())
    return used


@rule("UI004", "JavaScript enabled without page contract", Severity.ERROR, Scope.CHAIN, "javascript-and-page-layout", whole_chain=True)
def javascript_without_contract(policy: Effective) -> Iterator[Finding]:
    """The relying party sets `ScriptExecution` to `Allow` while a content definition its journey
    uses has a `DataUri` without `contract:`.

    "Define a page layout version with page contract version for all of the content definitions";
    without the contract the page elements are not immutable, and "any changes could cause
    unexpected behavior on your user pages".

    Bad::

        <ScriptExecution>Allow</ScriptExecution>
        ... <DataUri>urn:com:microsoft:aad:b2c:elements:selfasserted:1.1.0</DataUri>

    Fixed::

        <DataUri>urn:com:microsoft:aad:b2c:elements:contract:selfasserted:2.1.7</DataUri>

    Source: JavaScript and page layout "Begin setting up a page layout version", "Enable JavaScript".
    """
    rp = policy.relying_party
    script = rp.find(q("UserJourneyBehaviors/ScriptExecution")) if rp is not None else None
    if script is None or _text(script).casefold() != "allow":
        return
    used = _used_content_definitions(policy)
    for cd_id, cd in policy.content_definitions.items():
        m = _DATA_URI.match(_text(cd.find(q("DataUri"))))
        if cd_id in used and m is not None and not m["contract"]:
            yield Finding(script, f"JavaScript is allowed but ContentDefinition {cd.get('Id')!r} has no page-layout contract")


@rule("UI005", "Journey framing misconfigured", Severity.WARNING, Scope.CHAIN, "embedded-login", whole_chain=True)
def framing_misconfigured(policy: Effective) -> Iterator[Finding]:
    """`JourneyFraming` is enabled with a `Sources` URI that is not `https` or holds a wildcard,
    or in a journey that offers federated identity providers.

    "The URI must use the https scheme"; "Wildcards aren't supported"; "Embedded sign-up or sign-in
    supports local accounts only" (browsers may block the IdP's cookies in an iframe).

    Bad::

        <JourneyFraming Enabled="true" Sources="http://*.contoso.com" />

    Fixed::

        <JourneyFraming Enabled="true" Sources="https://app.contoso.com" />

    Source: embedded login "Configure your policy"; RelyingParty "JourneyFraming".
    """
    rp = policy.relying_party
    framing = rp.find(q("UserJourneyBehaviors/JourneyFraming")) if rp is not None else None
    if framing is None or framing.get("Enabled", "").casefold() != "true":
        return
    for source in framing.get("Sources", "").split():
        if "*" in source or not source.casefold().startswith("https://"):
            yield Finding(framing, f"JourneyFraming source {source!r} must be an https URI without wildcards", attr="Sources")
    federated = [tp.id for _, _, _, tp in policy.step_profiles() if tp.kind == "IdP"]
    if federated:
        yield Finding(
            framing,
            f"embedded sign-in supports local accounts only, but the journey offers {', '.join(sorted(set(federated)))}",
            attr="Enabled",
        )
