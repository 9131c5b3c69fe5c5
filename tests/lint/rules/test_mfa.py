"""MFA001–MFA004 and BOT001."""

from __future__ import annotations

import pytest

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


def test_email_verification_disabled_in_a_child(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="SelfAsserted-SignIn"><Metadata><Item Key="EnforceEmailVerification">false</Item></Metadata></TechnicalProfile>'
    )
    assert rule_ids(run(tmp_path, clean_set(extensions=ext))) == {"MFA004"}


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
