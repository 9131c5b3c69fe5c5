"""SET001 and META001: values never resolved, keys silently ignored."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, clean_set, policy, provider, rule_ids, rules_of, run


@pytest.mark.parametrize("value", ["{Settings:Tenant}", "yourtenant.onmicrosoft.com", "{{ tenant }}", "#{Tenant}#", "$(Tenant)"])
def test_placeholders(tmp_path, value):
    files = clean_set()
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace('TenantId="contoso.onmicrosoft.com"', f'TenantId="{value}"', 1)
    assert "SET001" in rule_ids(run(tmp_path, files))


def test_claim_resolvers_are_not_placeholders(tmp_path):
    rp = '<RelyingParty><DefaultUserJourney ReferenceId="SignUpOrSignIn" /><TechnicalProfile Id="PolicyProfile"><Protocol Name="OpenIdConnect" /><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" DefaultValue="{Policy:TenantObjectId}" /></OutputClaims><SubjectNamingInfo ClaimType="sub" /></TechnicalProfile></RelyingParty>'
    assert "SET001" not in rule_ids(run(tmp_path, clean_set(rp=rp)))


def test_one_finding_per_placeholder_and_file(tmp_path):
    files = {
        "P.xml": policy(
            "B2C_1A_x",
            provider(
                '<TechnicalProfile Id="A"><Protocol Name="None" /><Metadata><Item Key="a">{Settings:X}</Item><Item Key="b">{Settings:X}</Item></Metadata></TechnicalProfile>'
            ),
        )
    }
    report = run(tmp_path, files)
    assert [(r, f) for r, f, _ in rules_of(report) if r == "SET001"] == [("SET001", "P.xml")]
    assert "(1 more in this file)" in report.problems[0].message


def _mailer(tenant: str, subject: str) -> dict[str, str]:
    return {
        "P.xml": policy(
            "B2C_1A_x",
            provider(
                f'<TechnicalProfile Id="SendMail"><Protocol Name="None" /><Metadata><Item Key="subject">{subject}</Item></Metadata>'
                "<!-- for example: emily@fabrikam.com --></TechnicalProfile>"
            ),
            tenant=tenant,
        )
    }


def test_a_sample_company_in_a_policy_for_another_tenant(tmp_path):
    report = run(tmp_path, _mailer("woodgrove.onmicrosoft.com", "Contoso account verification code"))
    found = [p.message for p in report.problems if p.rule == "SET001"]
    assert found == ["Microsoft's sample company in a policy for woodgrove.onmicrosoft.com: 'Contoso'"]


@pytest.mark.parametrize(
    ("tenant", "subject"),
    [
        ("contoso.onmicrosoft.com", "Contoso account verification code"),  # the docs' own tenant: consistent
        ("{Settings:Tenant}", "Contoso account verification code"),  # a template: the tenant may be Contoso's
        ("woodgrove.onmicrosoft.com", "Your account verification code"),  # the comment's fabrikam is no value
        ("woodgrove.onmicrosoft.com", "Mycontoso code"),  # part of another word
    ],
)
def test_sample_companies_left_alone(tmp_path, tenant, subject):
    assert not [p for p in run(tmp_path, _mailer(tenant, subject)).problems if "sample company" in p.message]


def test_unknown_rest_metadata_with_suggestion(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DefaultUserMessageIfRequestFail">x</Item><Item Key="HttpBinding">POST</Item></Metadata></TechnicalProfile>'
    )
    report = run(tmp_path, clean_set(extensions=ext))
    messages = sorted(p.message for p in report.problems)
    assert rule_ids(report) == {"META001"}
    assert "did you mean 'DefaultUserMessageIfRequestFailed'?" in messages[0] and "HttpBinding" in messages[1]


def test_known_rest_metadata_passes(tmp_path):
    assert run(tmp_path, clean_set(base=BASE)).problems == []


#: placeholders seen in real repositories, written where a URL or id belongs
TEMPLATED = [
    ("ServiceUrl", "@authentication_cloud_url@", "@authentication_cloud_url@"),
    ("ServiceUrl", "__ApiHost__/loyalty", "__ApiHost__"),
    ("ServiceUrl", "http://{api-host}/loyalty", "{api-host}"),
    ("ServiceUrl", "http://&lt;your-function&gt;.azurewebsites.net/api", "<your-function>"),
    ("ServiceUrl", "http://yoursite.azurewebsites.net/api", "yoursite"),
    ("ServiceUrl", "https://your-app.azurewebsites.net/api", "your-app"),
    ("ServiceUrl", "http://.../api/loyalty", "..."),
]


@pytest.mark.parametrize(("key", "value", "token"), TEMPLATED)
def test_a_placeholder_url_is_set001_never_an_https_or_host_finding(tmp_path, key, value, token):
    ext = provider(f'<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="{key}">{value}</Item></Metadata></TechnicalProfile>')
    report = run(tmp_path, clean_set(extensions=ext))
    assert rule_ids(report) == {"SET001"}
    assert token in report.problems[0].message


@pytest.mark.parametrize(
    ("item", "token"),
    [
        ('<Item Key="client_id">00000000-0000-0000-0000-000000000000</Item>', "00000000-0000-0000-0000-000000000000"),
        ('<Item Key="IdTokenAudience">5f...ee</Item>', "5f...ee"),
        ('<Item Key="ClientId">your_app_client_id</Item>', "your_app_client_id"),
        ('<Item Key="IdTokenAudience">Enter-your-ApplicationID</Item>', "your-ApplicationID"),
        # documentation GUIDs and the starter pack's named stand-ins
        ('<Item Key="ClientId">11111111-1111-1111-1111-111111111111</Item>', "11111111-1111-1111-1111-111111111111"),
        ('<Item Key="ApplicationObjectId">12345678-1234-1234-1234-123456789012</Item>', "12345678-1234-1234-1234-123456789012"),
        ('<Item Key="ClientId">xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx</Item>', "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
        ('<Item Key="client_id">facebook_clientid</Item>', "facebook_clientid"),
        ('<Item Key="client_id">LinkedIn client_id</Item>', "LinkedIn client_id"),
        ('<Item Key="ApplicationObjectId">b2c-extensions-app_object_id</Item>', "b2c-extensions-app_object_id"),
    ],
)
def test_ids_that_stand_for_a_value(tmp_path, item, token):
    ext = provider(f'<TechnicalProfile Id="AAD-Common"><Metadata>{item}</Metadata></TechnicalProfile>')
    report = run(tmp_path, clean_set(extensions=ext))
    assert [p.rule for p in report.problems if p.rule == "SET001"] == ["SET001"]
    assert token in next(p.message for p in report.problems if p.rule == "SET001")


def test_real_values_that_look_alike_are_not_placeholders(tmp_path):
    """A regex's named group, an ellipsis in prose, an e-mail address and a real GUID."""
    ext = provider(
        '<TechnicalProfile Id="AAD-Common"><DisplayName>Loading...</DisplayName><Metadata>'
        '<Item Key="client_id">6a2f0000-1111-2222-3333-444455556666</Item>'
        '<Item Key="Pattern">^(?&lt;login_type&gt;[a-z]+)$</Item><Item Key="Contact">admin@contoso.com</Item>'
        '<Item Key="Note">Enter your email address...</Item></Metadata></TechnicalProfile>'
    )
    assert "SET001" not in rule_ids(run(tmp_path, clean_set(extensions=ext)))


def test_ids_and_claims_that_only_look_like_sample_values(tmp_path):
    """A GUID that merely starts with repeated digits, a claim named like an id (the value of a
    metadata item that names a claim), and a documentation GUID left in a comment."""
    ext = provider(
        '<TechnicalProfile Id="AAD-Common"><Metadata>'
        '<Item Key="client_id">11111111-1111-4111-8111-0123456789ab</Item>'
        '<Item Key="issuer_refresh_token_user_identity_claim_type">objectId</Item>'
        '<Item Key="external_user_identity_claim_id">user_id</Item>'
        "<!-- for example: 11111111-1111-1111-1111-111111111111 -->"
        '<Item Key="ApplicationObjectId">9b3c2d1e-4f5a-4b6c-8d7e-0f1a2b3c4d5e</Item></Metadata></TechnicalProfile>'
    )
    assert "SET001" not in rule_ids(run(tmp_path, clean_set(extensions=ext)))


AI_HANDLER = (
    "Web.TPEngine.Providers.Insights.AzureApplicationInsightsProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
)
SELF_HANDLER = "Web.TPEngine.Providers.SelfAssertedAttributeProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            f'<TechnicalProfile Id="AppInsights-Common"><Protocol Name="Proprietary" Handler="{AI_HANDLER}" /><Metadata>'
            '<Item Key="InstrumentationKey">6a2f0d1c-1b2a-4c3d-8e4f-5a6b7c8d9e0f</Item><Item Key="DisableTelemetry ">true</Item></Metadata></TechnicalProfile>',
            "AppInsights-Common: metadata key 'DisableTelemetry ' has a space before or after it, so it is not 'DisableTelemetry' and is ignored",
        ),
        (
            f'<TechnicalProfile Id="SelfAsserted-X"><Protocol Name="Proprietary" Handler="{SELF_HANDLER}" /><Metadata>'
            '<Item Key="Setting.showSignupLink">false</Item></Metadata></TechnicalProfile>',
            "SelfAsserted-X: metadata key 'Setting.showSignupLink' is written 'setting.showSignupLink' in Microsoft's reference: "
            "write it that way (a key that does not match is ignored)",
        ),
        (
            '<TechnicalProfile Id="Partner-OIDC"><Protocol Name="OpenIdConnect" /><Metadata>'
            '<Item Key="Metadata">https://login.partner.example/.well-known/openid-configuration</Item></Metadata></TechnicalProfile>',
            "Partner-OIDC: metadata key 'Metadata' is written 'METADATA' in Microsoft's reference: write it that way (a key that does not match is ignored)",
        ),
        (
            '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="serviceUrl">https://api.contoso.com/loyalty</Item></Metadata></TechnicalProfile>',
            "REST-GetLoyalty: metadata key 'serviceUrl' is written 'ServiceUrl' in Microsoft's reference: write it that way (a key that does not match is ignored)",
        ),
    ],
)
def test_a_stray_space_or_another_case_on_any_profile(tmp_path, profile, message):
    report = run(tmp_path, clean_set(extensions=provider(profile)))
    assert [(p.rule, p.message) for p in report.problems if p.rule == "META001"] == [("META001", message)]


def test_undocumented_keys_on_other_profiles_are_left_alone(tmp_path):
    """Only REST's key list is known whole: Microsoft's own samples set keys the other pages
    leave out (an Apple profile's JWKS, a one-time password's MaxNumAttempts)."""
    ext = provider(
        '<TechnicalProfile Id="Apple-OIDC"><Protocol Name="OpenIdConnect" /><Metadata>'
        '<Item Key="METADATA">https://appleid.apple.com/.well-known/openid-configuration</Item>'
        '<Item Key="JWKS">https://appleid.apple.com/auth/keys</Item><Item Key="SomethingNew">x</Item></Metadata></TechnicalProfile>',
        f'<TechnicalProfile Id="SelfAsserted-X"><Protocol Name="Proprietary" Handler="{SELF_HANDLER}" /><Metadata>'
        '<Item Key="language.button_continue">Next</Item><Item Key="setting.showSignupLink">false</Item></Metadata></TechnicalProfile>',
    )
    assert "META001" not in rule_ids(run(tmp_path, clean_set(extensions=ext)))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "META001",
            [
                (
                    "Extensions.xml",
                    22,
                    "REST-META001: 'UserMessageIfCircuitOpn' is not a RESTful profile metadata key and is ignored; did you mean 'UserMessageIfCircuitOpen'?",
                )
            ],
        ),
        ("SET001", [("RelyingParty.xml", 22, "unresolved placeholder '{Settings:DefaultTier}'")]),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
