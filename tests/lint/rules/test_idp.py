"""IDP001–IDP003: federated identity providers."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, JOURNEY, clean_set, provider, rule_ids, run

OIDC = '<TechnicalProfile Id="Contoso-OIDC"><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">{metadata}</Item>{extra}</Metadata><OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims><UseTechnicalProfileForSessionManagement ReferenceId="SM-SocialLogin" /></TechnicalProfile>'
SOCIAL_SESSION = '<TechnicalProfile Id="SM-SocialLogin"><Protocol Name="Proprietary" Handler="Web.TPEngine.SSO.ExternalLoginSSOSessionProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /></TechnicalProfile>'
ONLY_IDP = """<UserJourneys><UserJourney Id="SignUpOrSignIn"><OrchestrationSteps>
  <OrchestrationStep Order="1" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.signuporsignin">
    <ClaimsProviderSelections><ClaimsProviderSelection TargetClaimsExchangeId="ContosoExchange" /></ClaimsProviderSelections></OrchestrationStep>
  <OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="ContosoExchange" TechnicalProfileReferenceId="Contoso-OIDC" /></ClaimsExchanges></OrchestrationStep>
  <OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />
</OrchestrationSteps></UserJourney></UserJourneys>"""


def with_idp(metadata: str = "https://login.contoso.com/.well-known/openid-configuration", extra: str = "") -> dict[str, str]:
    return clean_set(base=BASE.replace(JOURNEY, provider(OIDC.format(metadata=metadata, extra=extra), SOCIAL_SESSION) + ONLY_IDP))


@pytest.mark.parametrize(
    "metadata",
    [
        "https://localhost:5001/.well-known/openid-configuration",
        "https://192.168.0.10/.well-known/openid-configuration",
    ],
)
def test_metadata_not_public_https(tmp_path, metadata):
    assert rule_ids(run(tmp_path, with_idp(metadata))) == {"IDP001", "IDP002"}


@pytest.mark.parametrize(
    ("extra", "bad"),
    [
        ('<Item Key="ApiPassword">hunter2</Item>', True),
        ('<Item Key="client_secret">{Settings:Secret}</Item>', False),
        ('<Item Key="UserMessageIfInvalidPassword">Your password is incorrect</Item>', False),
    ],
)
def test_secrets_in_metadata(tmp_path, extra, bad):
    assert ("IDP003" in rule_ids(run(tmp_path, with_idp(extra=extra)))) is bad


def test_local_accounts_are_a_fallback(tmp_path):
    assert run(tmp_path, clean_set()).problems == []


def test_a_later_step_that_offers_another_provider_is_a_fallback(tmp_path):
    second = (
        '<OrchestrationStep Order="3" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.signuporsignin">'
        '<ClaimsProviderSelections><ClaimsProviderSelection TargetClaimsExchangeId="OtherExchange" /></ClaimsProviderSelections></OrchestrationStep>'
        '<OrchestrationStep Order="4" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="OtherExchange" TechnicalProfileReferenceId="Other-OIDC" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="5" Type="SendClaims"'
    )
    journey = ONLY_IDP.replace('<OrchestrationStep Order="3" Type="SendClaims"', second)
    other = OIDC.replace("Contoso-OIDC", "Other-OIDC").format(
        metadata="https://login.fabrikam.com/.well-known/openid-configuration", extra=""
    )
    files = clean_set(
        base=BASE.replace(
            JOURNEY, provider(OIDC.format(metadata="https://login.contoso.com/.well-known/openid-configuration", extra=""), other) + journey
        )
    )
    assert "IDP001" not in rule_ids(run(tmp_path, files))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("IDP001", [("Extensions.xml", 44, "'AP-IDP001' offers only Contoso-OIDC: no way to sign in when it is down")]),
        ("IDP002", [("Extensions.xml", 18, "Contoso-OIDC: METADATA is not https")]),
        (
            "IDP003",
            [("Extensions.xml", 20, "Contoso-OIDC: metadata 'client_secret' holds a secret; use a policy key in CryptographicKeys")],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
