"""SSO001–SSO003: session providers, SSO scope and session values."""

from __future__ import annotations

import pytest

from tests.lint.policies import BASE, RP, clean_set, rule_ids, run


def test_issuer_without_session_provider(tmp_path):
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    report = run(tmp_path, clean_set(base=base))
    assert rule_ids(report) == {"SSO001"}
    assert "OAuthSSOSessionProvider" in report.problems[0].message


def test_session_provider_added_in_child_file(tmp_path):
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    ext = '<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles><TechnicalProfile Id="JwtIssuer"><UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" /></TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders>'
    assert run(tmp_path, clean_set(base=base, extensions=ext)).problems == []


@pytest.mark.parametrize("scope", ["Suppressed", "Policy", "Application"])
def test_narrow_sso_scope(tmp_path, scope):
    rp = RP.replace('Scope="Tenant"', f'Scope="{scope}"')
    assert rule_ids(run(tmp_path, clean_set(rp=rp))) == {"SSO002"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<SessionExpiryInSeconds>86400<", "<SessionExpiryInSeconds>300<"),
        ("<SessionExpiryInSeconds>86400<", "<SessionExpiryInSeconds>90000<"),
        ('KeepAliveInDays="30"', 'KeepAliveInDays="120"'),
        ("<SessionExpiryType>Rolling<", "<SessionExpiryType>Sliding<"),
        (
            '<SingleSignOn Scope="Tenant" KeepAliveInDays="30" /><SessionExpiryType>Rolling</SessionExpiryType>',
            '<SessionExpiryType>Rolling</SessionExpiryType><SingleSignOn Scope="Tenant" KeepAliveInDays="30" />',
        ),
    ],
)
def test_session_values_out_of_range(tmp_path, old, new):
    assert old in RP
    assert rule_ids(run(tmp_path, clean_set(rp=RP.replace(old, new)))) == {"SSO003"}


def test_session_values_at_the_limits(tmp_path):
    rp = RP.replace("<SessionExpiryInSeconds>86400<", "<SessionExpiryInSeconds>900<").replace(
        'KeepAliveInDays="30"', 'KeepAliveInDays="90"'
    )
    assert run(tmp_path, clean_set(rp=rp)).problems == []
