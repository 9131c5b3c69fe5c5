"""CRED001: app credentials that end with nothing after them."""

from __future__ import annotations

from lxml import etree  # noqa: F401  (the policies are the resilient set's)

from tests.tenant.exports import app, audit_dir, write_export
from toolkit.lint.problem import Severity

PROXY = "00000000-0000-0000-0000-000000000001"


def test_policy_apps_are_errors_with_their_blast_radius_others_infos(tmp_path):
    apps = [
        app(PROXY, "ProxyIdentityExperienceFramework", secrets=["2026-06-20T00:00:00Z"]),
        app("11111111-0000-4000-8000-000000000009", "Reporting", certs=["2026-06-10T12:00:00.1234567Z"]),
        app("11111111-0000-4000-8000-000000000008", "b2c-extensions-app. Do not modify.", secrets=["2026-05-01T00:00:00+02:00"]),
    ]
    problems = {p.message.split()[2]: p for p in audit_dir(write_export(tmp_path, applications=apps, policies="resilient"))}
    proxy = problems["ProxyIdentityExperienceFramework"]
    assert proxy.severity is Severity.ERROR and "expires 2026-06-20" in proxy.message and "breaks " in proxy.message
    assert "login-NonInteractive" in proxy.message and "B2C_1A_signup_signin" in proxy.policy
    assert problems["Reporting"].severity is Severity.INFO and "expires 2026-06-10 12:00 UTC" in problems["Reporting"].message
    extensions = problems["b2c-extensions-app."]
    assert extensions.severity is Severity.ERROR and "expired 2026-04-30 22:00 UTC" in extensions.message


def test_a_later_credential_or_one_that_never_ends_is_fine(tmp_path):
    apps = [
        app(PROXY, "ProxyIdentityExperienceFramework", secrets=["2026-06-20T00:00:00Z", "2027-06-20T00:00:00Z"]),
        app("2", "Never ends", secrets=["2026-06-20T00:00:00Z", None]),
        app("3", "Public client"),
    ]
    assert audit_dir(write_export(tmp_path, applications=apps)) == []
