"""SSO001–SSO003: session providers, SSO scope and session values."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
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


@pytest.mark.parametrize("scope", ["Policy", "Application"])  # Suppressed: the example
def test_narrow_sso_scope(tmp_path, scope):
    rp = RP.replace('Scope="Tenant"', f'Scope="{scope}"')
    assert rule_ids(run(tmp_path, clean_set(rp=rp))) == {"SSO002"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
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


NOOP_SIGN_IN = '<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles><TechnicalProfile Id="SelfAsserted-SignIn"><UseTechnicalProfileForSessionManagement ReferenceId="{session}" /></TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders>'


def test_sign_in_page_with_an_sso_session_provider(tmp_path):
    assert "SSO004" not in rule_ids(run(tmp_path / "sso", clean_set(extensions=NOOP_SIGN_IN.format(session="SM-jwt-issuer"))))


AAD = "Web.TPEngine.Providers.AzureActiveDirectoryProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
SELF = "Web.TPEngine.Providers.SelfAssertedAttributeProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
REST = "Web.TPEngine.Providers.RestfulProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
DELETE = (
    "<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles>"
    f'<TechnicalProfile Id="AAD-DeleteUser"><Protocol Name="Proprietary" Handler="{AAD}" /><Metadata><Item Key="Operation">DeleteClaimsPrincipal</Item></Metadata>'
    '<InputClaims><InputClaim ClaimTypeReferenceId="objectId" /></InputClaims><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    f'<TechnicalProfile Id="SelfAsserted-Reauth"><Protocol Name="Proprietary" Handler="{SELF}" /><OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
    '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="login-NonInteractive" /></ValidationTechnicalProfiles>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    '<TechnicalProfile Id="login-NonInteractive"><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">https://login.microsoftonline.com/x/.well-known/openid-configuration</Item></Metadata>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    "</TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
)


def _delete_journey(reauth: bool) -> dict[str, str]:
    steps = (
        '<OrchestrationStep Order="{n}" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Reauth" TechnicalProfileReferenceId="SelfAsserted-Reauth" /></ClaimsExchanges></OrchestrationStep>'
        if reauth
        else ""
    )
    n = 2
    if steps:
        steps = steps.format(n=n)
        n += 1
    journey = (
        '<UserJourneys><UserJourney Id="DeleteAccount"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="CombinedSignInAndSignUp" ContentDefinitionReferenceId="api.signuporsignin"><ClaimsProviderSelections>'
        '<ClaimsProviderSelection ValidationClaimsExchangeId="SignInExchange" /></ClaimsProviderSelections><ClaimsExchanges>'
        '<ClaimsExchange Id="SignInExchange" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        f"{steps}"
        f'<OrchestrationStep Order="{n}" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Delete" TechnicalProfileReferenceId="AAD-DeleteUser" /></ClaimsExchanges></OrchestrationStep>'
        f'<OrchestrationStep Order="{n + 1}" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    return clean_set(extensions=DELETE + journey, rp=RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="DeleteAccount"'))


def test_account_deletion_relying_on_the_sso_session(tmp_path):
    report = run(tmp_path / "bad", _delete_journey(reauth=False))
    assert [p.rule for p in report.problems if p.rule == "SSO005"] == ["SSO005"]
    assert "SSO005" not in rule_ids(run(tmp_path / "good", _delete_journey(reauth=True)))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "SSO001",
            [
                (
                    "Extensions.xml",
                    14,
                    "ClaimsTransformation profile 'CT-SetTier' has no session provider, so DefaultSSOSessionProvider applies; use NoopSSOSessionProvider (SM-Noop)",
                )
            ],
        ),
        ("SSO002", [("RelyingParty.xml", 13, "SingleSignOn Scope is Suppressed; Tenant scope is the most resilient")]),
        ("SSO003", [("RelyingParty.xml", 15, "SessionExpiryInSeconds '300' is outside 900..86400")]),
        (
            "SSO004",
            [
                (
                    "Extensions.xml",
                    15,
                    "sign-in page 'SelfAsserted-LocalAccountSignin-Email' uses NoopSSOSessionProvider: every visit asks for the password again",
                )
            ],
        ),
        (
            "SSO005",
            [
                (
                    "Extensions.xml",
                    40,
                    "'AP-SSO005' deletes the account through 'AAD-DeleteUser' with no re-authentication: the SSO session is enough",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected


def test_account_deletion_through_a_signed_link(tmp_path):
    """The link (an id_token_hint read before any page) is the proof: no SSO005."""
    files = _delete_journey(reauth=False)
    hint = (
        "<ClaimsProviders><ClaimsProvider><DisplayName>hint</DisplayName><TechnicalProfiles>"
        '<TechnicalProfile Id="IdTokenHint_ExtractClaims"><Protocol Name="None" /><Metadata><Item Key="IdTokenAudience">a1b2</Item>'
        '<Item Key="issuer">https://contoso.example</Item></Metadata></TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders>'
    )
    step = '<OrchestrationStep Order="0" Type="GetClaims" CpimIssuerTechnicalProfileReferenceId="IdTokenHint_ExtractClaims" />'
    files["Extensions.xml"] = (
        files["Extensions.xml"]
        .replace("<UserJourneys>", hint + "<UserJourneys>", 1)
        .replace('<OrchestrationStep Order="1"', step + '<OrchestrationStep Order="1"', 1)
    )
    assert "SSO005" not in rule_ids(run(tmp_path, files))


def test_a_password_write_on_the_sign_in_page_itself(tmp_path):
    """Seamless migration: the page checks the typed password against the old store, then
    writes it; the user has just proved it."""
    migrate = (
        "<ClaimsProviders><ClaimsProvider><DisplayName>m</DisplayName><TechnicalProfiles>"
        f'<TechnicalProfile Id="REST-Migrate"><Protocol Name="Proprietary" Handler="{REST}" /><Metadata><Item Key="ServiceUrl">https://api.contoso.com/m</Item>'
        '<Item Key="AuthenticationType">ClientCertificate</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="password" /></InputClaims>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
        f'<TechnicalProfile Id="AAD-WritePassword"><Protocol Name="Proprietary" Handler="{AAD}" /><Metadata><Item Key="Operation">Write</Item></Metadata>'
        '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="password" /></PersistedClaims><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
        f'<TechnicalProfile Id="SelfAsserted-SignIn"><Protocol Name="Proprietary" Handler="{SELF}" /><OutputClaims><OutputClaim ClaimTypeReferenceId="password" /></OutputClaims>'
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-Migrate" /><ValidationTechnicalProfile ReferenceId="AAD-WritePassword" />'
        "</ValidationTechnicalProfiles></TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
    )
    assert "SSO005" not in rule_ids(run(tmp_path / "migration", clean_set(extensions=migrate)))
    before = migrate.replace(
        '<ValidationTechnicalProfile ReferenceId="REST-Migrate" /><ValidationTechnicalProfile ReferenceId="AAD-WritePassword" />',
        '<ValidationTechnicalProfile ReferenceId="AAD-WritePassword" /><ValidationTechnicalProfile ReferenceId="REST-Migrate" />',
    )
    assert "SSO005" in rule_ids(run(tmp_path / "write-first", clean_set(extensions=before)))
