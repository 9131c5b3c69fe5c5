"""Rules against shipping development settings."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.lint.loader import q
from toolkit.lint.model import Effective
from toolkit.lint.problem import Severity
from toolkit.lint.registry import Finding, Scope, rule

RECORDER = "urn:journeyrecorder:applicationinsights"


@rule("DEP001", "Development deployment mode", Severity.ERROR, Scope.CHAIN, "troubleshoot-with-application-insights")
def development_mode(policy: Effective) -> Iterator[Finding]:
    """A file of the chain sets `DeploymentMode="Development"`, or `UserJourneyRecorderEndpoint`
    to anything but `urn:journeyrecorder:applicationinsights`.

    "Do not set the DeploymentMode to Development in production environments. Logs collect all
    claims sent to and from identity providers." Development mode also bypasses the policy cache,
    "a security and performance risk", so a load test run against it measures the wrong thing.
    The setting is inherited: one Extensions file in Development mode affects every relying party.

    Bad::

        <TrustFrameworkPolicy ... PolicyId="B2C_1A_signup_signin" DeploymentMode="Development"
            UserJourneyRecorderEndpoint="urn:journeyrecorder:applicationinsights">

    Fixed::

        <TrustFrameworkPolicy ... PolicyId="B2C_1A_signup_signin" DeploymentMode="Production"
            UserJourneyRecorderEndpoint="urn:journeyrecorder:applicationinsights">

    Source: troubleshoot with Application Insights (WARNING; "Configure Application Insights in
    Production"); best practices "Deploy custom policy", "Load testing".
    """
    for f in policy.files:
        if f.root.get("DeploymentMode", "").casefold() == "development":
            yield Finding(
                f.root,
                "DeploymentMode is Development: claims are logged and the policy cache is bypassed; use Production",
                attr="DeploymentMode",
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
    instead of buffering.

    Bad::

        <JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="..."
            DeveloperMode="true" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />

    Fixed::

        <JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="..."
            DeveloperMode="false" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />

    Source: RelyingParty "JourneyInsights"; Application Insights technical profile "Metadata".
    """
    rp = policy.relying_party
    if rp is not None:
        for el in rp.iterfind(q("UserJourneyBehaviors/JourneyInsights")):
            if el.get("DeveloperMode", "").casefold() == "true":
                yield Finding(el, "JourneyInsights DeveloperMode is true; telemetry is throttled at volume", attr="DeveloperMode")
    for tp in policy.profiles_of_kind("AppInsights"):
        if tp.meta_is("DeveloperMode", "true"):
            item = tp.item("DeveloperMode")
            assert item is not None
            yield Finding(item, f"Application Insights profile {tp.id!r} has DeveloperMode true")
