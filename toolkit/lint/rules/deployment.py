"""Rules against shipping development settings."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.lint.model import Effective
from toolkit.lint.parse import q
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule
from toolkit.lint.rules.common import in_development_folder, once_per_setting

RECORDER = "urn:journeyrecorder:applicationinsights"


@rule("DEP001", "Development deployment mode", Severity.ERROR, Scope.CHAIN, "troubleshoot-with-application-insights")
def development_mode(policy: Effective) -> Iterator[Finding]:
    """A file of the chain sets `DeploymentMode="Development"`, or `UserJourneyRecorderEndpoint`
    to anything but `urn:journeyrecorder:applicationinsights`.

    "Do not set the DeploymentMode to Development in production environments. Logs collect all
    claims sent to and from identity providers." Development mode also bypasses the policy cache,
    "a security and performance risk", so a load test run against it measures the wrong thing.
    The setting is inherited: one Extensions file in Development mode affects every relying party.
    In a folder named for a non-production environment (`dev`, `development`, `test`, `local`,
    `sandbox`: a repository that keeps one folder per environment) it is expected, and an info.

    Bad::

        <TrustFrameworkPolicy ... PolicyId="B2C_1A_signup_signin" DeploymentMode="Development"
            UserJourneyRecorderEndpoint="urn:journeyrecorder:applicationinsights">

    Fixed::

        <TrustFrameworkPolicy ... PolicyId="B2C_1A_signup_signin" DeploymentMode="Production"
            UserJourneyRecorderEndpoint="urn:journeyrecorder:applicationinsights">

    Source: troubleshoot with Application Insights (WARNING; "Configure Application Insights in
    Production"); best practices "Deploy custom policy", "Load testing".
    """
    yield from once_per_setting(_development_mode(policy), policy.file_of)


def _development_mode(policy: Effective) -> Iterator[Finding]:
    for f in policy.files:
        if f.root.get("DeploymentMode", "").casefold() == "development":
            yield Finding(
                f.root,
                "DeploymentMode is Development: claims are logged and the policy cache is bypassed; use Production",
                attr="DeploymentMode",
                severity=Severity.INFO if in_development_folder(f) else None,
            )
        recorder = f.root.get("UserJourneyRecorderEndpoint")
        if recorder is not None and recorder != RECORDER:
            yield Finding(f.root, f"UserJourneyRecorderEndpoint {recorder!r} is not {RECORDER}", attr="UserJourneyRecorderEndpoint")


@rule("DEP002", "Telemetry developer mode on", Severity.WARNING, Scope.CHAIN, "relyingparty#journeyinsights")
def telemetry_developer_mode(policy: Effective) -> Iterator[Finding]:
    """`JourneyInsights/@DeveloperMode="true"` in the relying party, or an Application Insights
    technical profile in use with `DeveloperMode` metadata `true`.

    "Do not use development mode in production": it is "good for development, but constrained at
    high volumes", and for the Application Insights profile it sends every event at once
    instead of buffering. In a folder named for a non-production environment it is an info
    (see DEP001).

    Bad::

        <JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="..."
            DeveloperMode="true" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />

    Fixed::

        <JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="..."
            DeveloperMode="false" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />

    Source: RelyingParty "JourneyInsights"; Application Insights technical profile "Metadata".
    """
    yield from once_per_setting(_telemetry_developer_mode(policy), policy.file_of)


def _telemetry_developer_mode(policy: Effective) -> Iterator[Finding]:
    rp = policy.relying_party
    if rp is not None:
        for el in rp.iterfind(q("UserJourneyBehaviors/JourneyInsights")):
            if el.get("DeveloperMode", "").casefold() == "true":
                severity = Severity.INFO if in_development_folder(policy.file_of(el)) else None
                yield Finding(
                    el, "JourneyInsights DeveloperMode is true; telemetry is throttled at volume", attr="DeveloperMode", severity=severity
                )
    for tp in policy.profiles_of_kind("AppInsights"):
        if tp.meta_is("DeveloperMode", "true"):
            item = tp.item("DeveloperMode")
            assert item is not None
            severity = Severity.INFO if in_development_folder(policy.file_of(item)) else None
            yield Finding(item, f"Application Insights profile {tp.id!r} has DeveloperMode true", severity=severity)


#: hosts of development tunnels and local machines, which break once the laptop is closed
TUNNEL_HOSTS = (
    ".ngrok.io", ".ngrok-free.app", ".ngrok.app", ".ngrok.dev", ".devtunnels.ms", ".loca.lt", ".localtunnel.me",
    ".trycloudflare.com", ".serveo.net", ".lhr.life", ".localhost.run", ".localto.net", ".tunnelmole.net",
)  # fmt: skip
#: a quick test before parsing a URL: every development host's name holds one of these
_DEV_WORDS = ("localhost", "127.0.0.1", "::1", *(h.lstrip(".") for h in TUNNEL_HOSTS))


def _dev_hint(value: str) -> bool:
    """True when a value may name a development host (substring tests: a regex alternation of
    these names, case-insensitive, cost 18 µs a value)."""
    lowered = value.casefold()
    return any(word in lowered for word in _DEV_WORDS)


#: metadata keys that name where B2C calls or whom it trusts
ENDPOINT_KEYS = (
    "ServiceUrl", "METADATA", "issuer", "ValidTokenIssuerPrefixes", "authorization_endpoint", "AccessTokenEndpoint",
    "ClaimsEndpoint", "end_session_endpoint", "PartnerEntity",
)  # fmt: skip
_ENDPOINT_KEY_SET = frozenset(ENDPOINT_KEYS)
#: keys whose local hosts other rules report already (REST006, IDP002, UI001): tunnels only here
JUDGED_ELSEWHERE = {
    "ServiceUrl",
    "METADATA",
    "authorization_endpoint",
    "AccessTokenEndpoint",
    "end_session_endpoint",
    "ClaimsEndpoint",
    "PartnerEntity",
}


def development_host(url: str, tunnels_only: bool = False) -> str | None:
    """The host of `url` when it is a development tunnel or the local machine, else None."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return None
    if host.endswith(TUNNEL_HOSTS):
        return host
    if not tunnels_only and (host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")):
        return host
    return None


@rule(
    "DEP003",
    "Endpoint on a development tunnel or local host",
    Severity.WARNING,
    Scope.CHAIN,
    "https-cipher-tls-requirements",
    per_journeys=True,
)
def development_endpoint(policy: Effective) -> Iterator[Finding]:
    """An identity provider's issuer or metadata URL, a REST `ServiceUrl` or a page's `LoadUri`
    points at a development tunnel (ngrok, dev tunnels, localtunnel, Cloudflare quick tunnels)
    or the local machine (`https://localhost` as an issuer or claims endpoint; a local
    `ServiceUrl`, metadata URL or page is REST006's, IDP002's and UI001's error).

    Left in by accident, it works on the developer's machine and breaks in production: the
    tunnel's name changes on every start, and B2C cannot reach `localhost`. A tunnel also routes
    sign-in traffic through a third party.

    Bad::

        <Item Key="METADATA">https://3f2a-81-2-69-160.ngrok-free.app/.well-known/openid-configuration</Item>

    Fixed: the deployed endpoint, per environment (`{Settings:IdpMetadataUrl}` rendered at deploy).

    Source: HTTPS cipher and TLS requirements "Endpoints in scope"; REST API connectors
    "Development of your REST API".
    """
    yield from once_per_setting(_development_endpoint(policy), policy.file_of)


def _development_endpoint(policy: Effective) -> Iterator[Finding]:
    for tp in policy.profiles_in_use:
        if _ENDPOINT_KEY_SET.isdisjoint(tp.metadata):
            continue  # most profiles name no endpoint: one test in C instead of a loop over their keys
        for meta_key, item in tp.metadata.items():
            if meta_key not in _ENDPOINT_KEY_SET:
                continue
            value = item.text or ""
            if not _dev_hint(value):
                continue  # one search instead of parsing every URL of every profile
            for url in value.split(","):
                if (host := development_host(url, meta_key in JUDGED_ELSEWHERE)) is not None:
                    yield Finding(tp.where(meta_key), f"{tp.id}: {meta_key} points at {host}, a development host")
                    break
    yield from policy.merged.once("DEP003-pages", lambda: list(_development_pages(policy)))


def _development_pages(policy: Effective) -> Iterator[Finding]:
    """Content definitions that load their page from a development host (merged content only:
    found once for the relying parties that share it)."""
    for cd in policy.content_definitions.values():
        load = cd.find(q("LoadUri"))
        if load is not None and _dev_hint(load.text or "") and (host := development_host(load.text or "", tunnels_only=True)) is not None:
            yield Finding(load, f"ContentDefinition {cd.get('Id')!r} loads its page from {host}, a development host")
