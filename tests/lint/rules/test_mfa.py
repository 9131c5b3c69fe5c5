"""MFA001–MFA004 and BOT001."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, JOURNEY, RP, clean_set, provider, rule_ids, run
from toolkit.lint import Config

PHONE = "Web.TPEngine.Providers.PhoneFactorProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
OTP = "Web.TPEngine.Providers.OneTimePasswordProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
PHONE_TP = f'<TechnicalProfile Id="PhoneFactor-Verify"><Protocol Name="Proprietary" Handler="{PHONE}" /><Metadata><Item Key="ContentDefinitionReferenceId">api.signuporsignin</Item></Metadata><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
OTP_TP = '<TechnicalProfile Id="OTP-Generate"><Protocol Name="Proprietary" Handler="{h}" /><Metadata><Item Key="Operation">GenerateCode</Item>{items}</Metadata></TechnicalProfile>'
MFA_STEP = '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Phone" TechnicalProfileReferenceId="PhoneFactor-Verify" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims"'
COUNTRIES = '<BuildingBlocks><Localization Enabled="true"><SupportedLanguages DefaultLanguage="en"><SupportedLanguage>en</SupportedLanguage></SupportedLanguages><LocalizedResources Id="api.phonefactor.en"><LocalizedStrings><LocalizedString ElementType="UxElement" StringId="countryList">{"DEFAULT":"Country/Region","US":"United States"}</LocalizedString></LocalizedStrings></LocalizedResources></Localization></BuildingBlocks>'


def with_phone(rp: str = RP, extra_profiles: str = "") -> dict[str, str]:
    journey = JOURNEY.replace('<OrchestrationStep Order="2" Type="SendClaims"', MFA_STEP)
    base = BASE.replace(JOURNEY, provider(PHONE_TP + extra_profiles) + journey)
    return clean_set(base=base, rp=rp)


def test_phone_only_and_no_country_list(tmp_path):
    assert rule_ids(run(tmp_path, with_phone())) == {"MFA001", "MFA002"}


def test_country_list_must_be_in_the_rp_file(tmp_path):
    assert rule_ids(run(tmp_path / "rp", with_phone(rp=COUNTRIES + RP))) == {"MFA001"}
    files = with_phone()
    files["Extensions.xml"] = files["Extensions.xml"].replace("\n\n</TrustFrameworkPolicy>", COUNTRIES + "\n</TrustFrameworkPolicy>")
    assert "MFA002" in rule_ids(run(tmp_path / "parent", files))  # in a parent only: still reported


@pytest.mark.parametrize(
    ("items", "bad"),
    [
        ('<Item Key="CodeExpirationInSeconds">600</Item><Item Key="CharacterSet">0-9</Item>', False),
        ('<Item Key="CodeExpirationInSeconds">30</Item>', True),
        ('<Item Key="CodeExpirationInSeconds">3600</Item>', True),
        ('<Item Key="CodeExpirationInSeconds">²</Item>', True),  # a digit to str.isdigit, not to int()
        ('<Item Key="CharacterSet">0-5</Item>', True),
        ('<Item Key="CharacterSet">^[0-9A-F]+$</Item>', False),
    ],
)
def test_otp_settings(tmp_path, items, bad):
    ext = provider(OTP_TP.format(h=OTP, items=items))
    assert ("MFA003" in rule_ids(run(tmp_path, clean_set(extensions=ext)))) is bad


AAD_WRITE = (
    '<TechnicalProfile Id="AAD-UserWrite"><Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.AzureActiveDirectoryProvider, '
    'Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /><Metadata><Item Key="Operation">Write</Item>'
    '<Item Key="RaiseErrorIfClaimsPrincipalAlreadyExists">true</Item></Metadata>'
    '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="email" /></PersistedClaims>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
)
UNVERIFIED = '<Metadata><Item Key="EnforceEmailVerification">false</Item></Metadata>'


def test_email_verification_off_on_a_page_that_creates_no_account(tmp_path):
    """A TOTP discovery or sign-in page turns it off to show an email it did not ask for."""
    ext = provider(f'<TechnicalProfile Id="SelfAsserted-SignIn">{UNVERIFIED}</TechnicalProfile>')
    assert "MFA004" not in rule_ids(run(tmp_path, clean_set(extensions=ext)))


def test_email_verification_off_on_a_sign_up_page(tmp_path):
    sign_up = (
        f'<TechnicalProfile Id="SelfAsserted-SignIn">{UNVERIFIED}<ValidationTechnicalProfiles>'
        '<ValidationTechnicalProfile ReferenceId="AAD-UserWrite" /></ValidationTechnicalProfiles></TechnicalProfile>'
    )
    assert "MFA004" in rule_ids(run(tmp_path / "bad", clean_set(extensions=provider(sign_up, AAD_WRITE))))
    # the same page after an earlier step verified the email (a split sign-up)
    verify = (
        '<TechnicalProfile Id="SelfAsserted-Verify"><Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.SelfAssertedAttributeProvider, '
        'Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /><OutputClaims>'
        '<OutputClaim ClaimTypeReferenceId="email" PartnerClaimType="Verified.Email" /></OutputClaims>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    journey = JOURNEY.replace('Order="2" Type="SendClaims"', 'Order="3" Type="SendClaims"').replace(
        '<OrchestrationStep Order="1" Type="CombinedSignInAndSignUp"',
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Verify" '
        'TechnicalProfileReferenceId="SelfAsserted-Verify" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="CombinedSignInAndSignUp"',
    )
    files = clean_set(base=BASE.replace(JOURNEY, journey), extensions=provider(sign_up, AAD_WRITE, verify))
    assert "MFA004" not in rule_ids(run(tmp_path / "good", files))


def test_captcha_advice_escalates_when_rest_runs_before_the_credential_check(tmp_path):
    config = Config(select=["BOT001"])
    bot = run(tmp_path / "rest-first", clean_set(), config).problems
    assert [(p.rule, p.severity.value) for p in bot] == [("BOT001", "warning")]
    login = '<TechnicalProfile Id="login-NonInteractive"><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">https://login.microsoftonline.com/x/.well-known/openid-configuration</Item></Metadata></TechnicalProfile>'
    base = BASE.replace(
        "<ValidationTechnicalProfiles>", '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="login-NonInteractive" />'
    ).replace(JOURNEY, provider(login) + JOURNEY)
    after = run(tmp_path / "login-first", clean_set(base=base), config).problems
    assert [(p.rule, p.severity.value) for p in after] == [("BOT001", "info")]


def test_no_captcha_advice_after_federation_or_when_the_api_is_the_bot_check(tmp_path):
    config = Config(select=["BOT001"])
    assert [p.severity.value for p in run(tmp_path / "plain", clean_set(), config).problems] == ["warning"]
    # the page's REST validation is the fraud check itself
    fraud = BASE.replace("https://api.contoso.com/loyalty", "https://api.contoso.com/fraud-check")
    assert run(tmp_path / "fraud", clean_set(base=fraud), config).problems == []
    # a page shown after a federated sign-in: it reads the federated identity
    social = BASE.replace(
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
        '<InputClaims><InputClaim ClaimTypeReferenceId="alternativeSecurityId" /></InputClaims>'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
    )
    assert run(tmp_path / "social", clean_set(base=social), config).problems == []


def test_a_claim_resolver_or_empty_default_is_no_hard_coded_phone_number(tmp_path):
    claim = '<TechnicalProfile Id="SelfAsserted-SignIn"><OutputClaims><OutputClaim ClaimTypeReferenceId="strongAuthenticationPhoneNumber" DefaultValue="{value}" /></OutputClaims></TechnicalProfile>'
    for name, value in (("resolver", "{OIDC:LoginHint}"), ("empty", "")):
        assert "MFA005" not in rule_ids(run(tmp_path / name, clean_set(extensions=provider(claim.format(value=value)))))


def test_email_verification_off_in_an_invitation_journey(tmp_path):
    """The invited user followed a link sent to the address: that verified it."""
    sign_up = (
        f'<TechnicalProfile Id="SelfAsserted-SignIn">{UNVERIFIED}<ValidationTechnicalProfiles>'
        '<ValidationTechnicalProfile ReferenceId="AAD-UserWrite" /></ValidationTechnicalProfiles></TechnicalProfile>'
    )
    files = clean_set(extensions=provider(sign_up, AAD_WRITE))
    for name in files:
        files[name] = files[name].replace("SignUpOrSignIn", "RedeemInvitation")
    assert "MFA004" not in rule_ids(run(tmp_path, files))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "BOT001",
            [
                (
                    "Extensions.xml",
                    32,
                    "SelfAsserted-SignIn-LookUpFirst is open to bots without a CAPTCHA and calls a REST API before the user is authenticated",
                )
            ],
        ),
        (
            "MFA001",
            [
                (
                    "Extensions.xml",
                    14,
                    "the journey's only second factor is the phone (PhoneFactor-AP); offer email OTP or an authenticator app as well",
                )
            ],
        ),
        ("MFA002", [("RelyingParty.xml", 10, "PhoneFactor-AP sends SMS, but this relying-party file sets no countryList allow-list")]),
        ("MFA003", [("Extensions.xml", 19, "OTP-AP: CodeExpirationInSeconds '30' is outside 60..1200")]),
        ("MFA004", [("Extensions.xml", 16, "LocalAccountSignUpWithLogonEmail creates the account with an email address nobody verified")]),
        ("MFA005", [("Extensions.xml", 24, "strongAuthenticationPhoneNumber defaults to the phone number '+15555550123'")]),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected


HINT = provider(
    '<TechnicalProfile Id="IdTokenHint_ExtractClaims"><DisplayName>hint</DisplayName><Protocol Name="None" />'
    '<Metadata><Item Key="IdTokenAudience">a1b2</Item><Item Key="issuer">https://contoso.example</Item></Metadata>'
    '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims></TechnicalProfile>'
)


def by_link(base: str) -> str:
    """The base whose journey first reads an id_token_hint (a signed link), then shows its pages."""
    step = '<OrchestrationStep Order="0" Type="GetClaims" CpimIssuerTechnicalProfileReferenceId="IdTokenHint_ExtractClaims" />\n'
    return base.replace(JOURNEY, HINT + JOURNEY).replace('<OrchestrationStep Order="1"', step + '<OrchestrationStep Order="1"', 1)


def test_a_journey_entered_by_a_signed_link_is_not_open_to_bots(tmp_path):
    config = Config(select=["BOT001"])
    assert [p.rule for p in run(tmp_path / "open", clean_set(), config).problems] == ["BOT001"]
    assert run(tmp_path / "link", clean_set(base=by_link(BASE)), config).problems == []


def test_a_page_validated_by_a_fraud_assessment_is_not_bot_exposed(tmp_path):
    config = Config(select=["BOT001"])
    assessed = BASE.replace(
        'Id="REST-GetLoyalty"><DisplayName>REST</DisplayName>', 'Id="REST-GetLoyalty"><DisplayName>DFP assessment</DisplayName>'
    )
    assert assessed != BASE
    assert run(tmp_path, clean_set(base=assessed), config).problems == []
