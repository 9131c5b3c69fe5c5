"""App registrations: secrets and certificates that expire with nothing to take over."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from toolkit.lint.problem import Severity
from toolkit.tenant.load import App, day
from toolkit.tenant.registry import Finding, rule

if TYPE_CHECKING:
    from toolkit.tenant.audit import Audit

#: the apps every B2C custom policy set depends on, by display name (their app ids are the tenant's own)
POLICY_APPS = ("IdentityExperienceFramework", "ProxyIdentityExperienceFramework", "b2c-extensions-app")


def depended_on(app: App, audit: Audit) -> tuple[bool, set[str]]:
    """Whether the policies depend on `app` (by name, or because a profile names its ids), and the profiles that do."""
    users = audit.blast.app_users(app.app_id, app.id)
    named = app.name.startswith(POLICY_APPS)
    return named or bool(users), users


@rule(
    "CRED001",
    "App credential expires with no later one",
    Severity.ERROR,
    ("applications",),
    "entra/identity-platform/how-to-add-credentials",
)
def expiring_credential(audit: Audit) -> Iterator[Finding]:
    """Every secret and certificate of an app registration (or service principal) has expired, or
    expires within the horizon (`--horizon`), and none ends later: on that date the app can no
    longer get tokens.

    An error for the apps the policies depend on: IdentityExperienceFramework,
    ProxyIdentityExperienceFramework, b2c-extensions-app, and any app whose client id or object id
    a policy names (`client_id`, `IdTokenAudience`, `ClientId`, `ApplicationObjectId`); the
    finding names the technical profiles, journeys and relying parties that use it. An info for
    other apps (a web app's secret stops that app's sign-in, not the tenant's). An app with no
    credential at all (a public client, or one that uses federated credentials) is not reported.

    Bad (applications.json)::

        {"displayName": "ProxyIdentityExperienceFramework", "appId": "…",
         "passwordCredentials": [{"displayName": "ci", "endDateTime": "2026-06-20T00:00:00Z"}]}

    Fixed: add the new secret or certificate before the old one ends (both can be valid at once),
    roll it out, then remove the old one; better, a certificate or a federated credential.

    Source: Microsoft identity platform "Add and manage app credentials"; Microsoft Graph
    `passwordCredential` and `keyCredential` (`endDateTime`, ISO 8601 UTC).
    """
    for app in [*(audit.export.apps or []), *(audit.export.service_principals or [])]:
        ends = [c.end for c in app.credentials if c.end is not None]
        if not app.credentials or len(ends) < len(app.credentials):
            continue  # none, or one that never ends
        last = max(ends)
        if last > audit.until:
            continue
        needed, users = depended_on(app, audit)
        radius = audit.blast.radius(users)
        kinds = sorted({c.kind for c in app.credentials})
        what = "app registration" if app.kind == "applications" else "service principal"
        when = f"expired {day(last)}" if last <= audit.at else f"expires {day(last)}"
        tail = f": {radius.describe()}" if needed else " (no policy depends on it)"
        yield Finding(
            audit.export.path(f"{app.kind}.json"),
            app.line,
            f"{what} {app.name or app.app_id} ({app.app_id}): its last {' or '.join(kinds)} {when} and no later one exists{tail}",
            f"{app.kind}/{app.app_id or app.id}",
            app.app_id or app.id,
            severity=None if needed else Severity.INFO,
            affects=radius.parties,
        )
