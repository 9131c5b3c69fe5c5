"""Entra External ID custom authentication extensions: where they call, how they authenticate,
and how long sign-up waits for them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from toolkit.lint.problem import Severity
from toolkit.lint.rules.common import unreachable
from toolkit.tenant.blast import flows_of_extension
from toolkit.tenant.load import Extension
from toolkit.tenant.registry import Finding, rule

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

EXTENSIONS = ("customAuthenticationExtensions",)
TROUBLESHOOT = "entra/identity-platform/custom-extension-troubleshoot"
#: development tunnels: a laptop's API reachable from the internet while the laptop is awake
TUNNELS = ("devtunnels.ms", "ngrok.io", "ngrok.app", "ngrok-free.app", "ngrok-free.dev", "loca.lt", "trycloudflare.com", "localtunnel.me")
#: `clientConfiguration` limits (Graph `customExtensionClientConfiguration`, v1.0)
TIMEOUT_MS = (200, 2000)
DEFAULT_TIMEOUT_MS = 1000
RETRIES = (0, 1)


def _finding(audit: Audit, ext: Extension, message: str, severity: Severity | None = None) -> Finding:
    flows, apps = flows_of_extension(audit.export, ext.id)
    radius = (
        f"used by {', '.join(flows)}" + (f" (apps {', '.join(apps)})" if apps else "") if flows else "no user flow or listener calls it"
    )
    return Finding(
        audit.export.path("customAuthenticationExtensions.json"),
        ext.line,
        f"extension {ext.name or ext.id}: {message}; {radius}",
        f"customAuthenticationExtensions/{ext.id}",
        ext.id,
        severity,
        tuple(flows),
    )


@rule("EXT001", "Extension endpoint not public HTTPS", Severity.ERROR, EXTENSIONS, TROUBLESHOOT)
def endpoint(audit: Audit) -> Iterator[Finding]:
    """A custom authentication extension's `endpointConfiguration.targetUrl` is not `https`, is on
    localhost or a private address, or on a development tunnel (`*.devtunnels.ms`, ngrok,
    localtunnel, `trycloudflare.com`).

    Entra calls the endpoint from the cloud during sign-in and sign-up: `targetUrl` must be an
    https URL (error 1003020). A tunnel to a developer's machine works until the laptop sleeps,
    then every sign-in of every app the extension serves fails.

    Bad::

        "endpointConfiguration": {"targetUrl": "https://fabrikam-dev.devtunnels.ms/validate"}

    Fixed::

        "endpointConfiguration": {"targetUrl": "https://validate.fabrikam.net/api/validate"}

    Source: Microsoft identity platform "Troubleshoot your custom authentication extension"
    (errors 1003020, 1003015); Microsoft Graph `customAuthenticationExtension`.
    """
    for ext in audit.export.extensions or []:
        if not ext.target_url:
            yield _finding(audit, ext, "no targetUrl")
            continue
        why = unreachable(ext.target_url)
        host = (urlsplit(ext.target_url).hostname or "").rstrip(".").casefold()
        if why is not None and why[0] == "scheme":
            yield _finding(audit, ext, f"targetUrl {ext.target_url} is not https (error 1003020)")
        elif why is not None:
            yield _finding(audit, ext, f"targetUrl {ext.target_url} is on {why[1]}, which Entra cannot reach")
        elif any(host == t or host.endswith("." + t) for t in TUNNELS):
            yield _finding(audit, ext, f"targetUrl {ext.target_url} is a development tunnel: sign-in depends on a developer's machine")


@rule("EXT002", "Extension without authentication configuration", Severity.ERROR, EXTENSIONS, TROUBLESHOOT)
def authentication(audit: Audit) -> Iterator[Finding]:
    """A custom authentication extension has no `authenticationConfiguration` (no `resourceId`),
    or its `resourceId` is not `api://{host of targetUrl}/{appId}`.

    Entra signs each call with a token for the extension's API app; with no authentication
    configured the API cannot tell Entra from anyone else, and Entra refuses a `resourceId` whose
    form or host does not match the endpoint (errors 1003014, 1003015): the extension fails on
    every call.

    Bad::

        "authenticationConfiguration": null

    Fixed::

        "authenticationConfiguration": {"@odata.type": "#microsoft.graph.azureAdTokenAuthentication",
          "resourceId": "api://validate.fabrikam.net/22222222-0000-4000-8000-000000000002"}

    Source: Microsoft identity platform "Troubleshoot your custom authentication extension"
    (1003014, 1003015); Microsoft Graph `azureAdTokenAuthentication`.
    """
    for ext in audit.export.extensions or []:
        if not ext.resource_id:
            yield _finding(audit, ext, "no authenticationConfiguration: calls to the API are not authenticated")
            continue
        parts = urlsplit(ext.resource_id)
        target = (urlsplit(ext.target_url or "").hostname or "").casefold()
        if parts.scheme != "api" or not parts.netloc or not parts.path.strip("/"):
            yield _finding(audit, ext, f"resourceId {ext.resource_id} is not api://{{host}}/{{appId}} (error 1003014)")
        elif target and parts.netloc.casefold() != target:
            yield _finding(audit, ext, f"resourceId {ext.resource_id} names host {parts.netloc}, targetUrl is on {target} (error 1003015)")


@rule(
    "EXT003",
    "Extension timeout or retries out of range, or too tight",
    Severity.ERROR,
    EXTENSIONS,
    "graph/api/resources/customextensionclientconfiguration",
)
def client_configuration(audit: Audit) -> Iterator[Finding]:
    """A custom authentication extension's `clientConfiguration` is outside the documented range,
    or set so that an API a little slow fails sign-up.

    The documented limits (Graph `customExtensionClientConfiguration`, v1.0):
    `timeoutInMilliseconds` 200 to 2000 (default 1000), `maximumRetries` 0 or 1; the External ID
    service limits say the same (2,000 ms, one retry). Outside them: an error. A timeout below the
    default 1000 ms, or no retry, on an extension that a sign-up flow calls (attribute collection
    start or submit) is a warning: one slow answer and the user's sign-up fails (error 1003005,
    timed out).

    Bad::

        "clientConfiguration": {"timeoutInMilliseconds": 5000, "maximumRetries": 3}

    Fixed::

        "clientConfiguration": {"timeoutInMilliseconds": 2000, "maximumRetries": 1}

    Source: Microsoft Graph `customExtensionClientConfiguration`; Microsoft Entra External ID
    "Service limits"; "Troubleshoot your custom authentication extension" (1003005).
    """
    sign_up = {e for f in audit.export.flows or [] if f.sign_up for e in f.extension_ids}
    for ext in audit.export.extensions or []:
        wrong = []
        if ext.timeout_ms is not None and not TIMEOUT_MS[0] <= ext.timeout_ms <= TIMEOUT_MS[1]:
            wrong.append(f"timeoutInMilliseconds {ext.timeout_ms} is outside {TIMEOUT_MS[0]}–{TIMEOUT_MS[1]}")
        if ext.retries is not None and ext.retries not in RETRIES:
            wrong.append(f"maximumRetries {ext.retries} is not 0 or 1")
        if wrong:
            yield _finding(audit, ext, " and ".join(wrong) + " (the documented range)")
            continue
        if ext.id not in sign_up:
            continue
        tight = []
        if ext.timeout_ms is not None and ext.timeout_ms < DEFAULT_TIMEOUT_MS:
            tight.append(f"timeoutInMilliseconds {ext.timeout_ms} is below the default {DEFAULT_TIMEOUT_MS}")
        if ext.retries == 0:
            tight.append("maximumRetries 0 gives a slow answer no second try")
        if tight:
            yield _finding(audit, ext, " and ".join(tight) + ": a slow API fails sign-up", Severity.WARNING)
