"""MFA001–MFA006, BOT001 and BOT002."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, HANDLERS, JOURNEY, RP, clean_set, provider, rule_ids, run
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


def test_a_page_that_writes_the_identities_of_the_account_linking_samples_follows_a_federated_sign_in(tmp_path):
    """Microsoft's account-linking samples keep the federated identities in `userIdentities`:
    the sign-up page that writes them is shown after the identity provider, not to a bot."""
    config = Config(select=["BOT001"])
    linked = BASE.replace(
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" /></ValidationTechnicalProfiles>',
        "",
    ).replace(
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="AAD-UserWriteUsingUserIdentity" /></ValidationTechnicalProfiles>',
    )
    write = (
        f'<TechnicalProfile Id="AAD-UserWriteUsingUserIdentity"><Protocol Name="Proprietary" Handler="{HANDLERS["aad"]}" />'
        '<Metadata><Item Key="Operation">Write</Item><Item Key="RaiseErrorIfClaimsPrincipalAlreadyExists">true</Item></Metadata>'
        '<InputClaims><InputClaim ClaimTypeReferenceId="{claim}" Required="true" /></InputClaims>'
        '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="{claim}" /></PersistedClaims>'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="userIdentities" /></OutputClaims></TechnicalProfile>'
    )
    # a local sign-up's write may read the identities back: only what it sends counts
    local = run(tmp_path / "local", clean_set(base=linked, extensions=provider(write.format(claim="email"))), config).problems
    assert [(p.rule, p.severity.value) for p in local] == [("BOT001", "info")]  # a sign-up page anyone reaches
    social = run(tmp_path / "social", clean_set(base=linked, extensions=provider(write.format(claim="userIdentities"))), config)
    assert social.problems == []


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
        (
            "MFA006",
            [
                (
                    "Extensions.xml",
                    16,
                    "UserJourney 'AP-MFA006' signs users in with the password grant (ROPC) through 'login-NonInteractive': "
                    "no second factor or CAPTCHA can run, and each request is a password guess",
                )
            ],
        ),
        (
            "BOT002",
            [
                (
                    "Extensions.xml",
                    72,
                    "SelfAsserted-MemberPassword shows memberName that REST-FindMember looked up from what an anonymous visitor typed "
                    "on SelfAsserted-MemberNumber: anyone who types someone's details sees their data (account enumeration)",
                )
            ],
        ),
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


# ---- pages shown before sign-in: BOT001 (codes sent to a typed address), BOT002 -----------------

CLAIMS = {
    "email": "TextBox",
    "signInName": "TextBox",
    "password": "Password",
    "memberNumber": "TextBox",
    "memberName": "Readonly",
    "readOnlyEmail": "Readonly",
    "invitationCode": "TextBox",
    "objectId": None,
    "otp": None,
    "verificationCode": "TextBox",
    "country": "DropdownSingleSelect",
    "termsText": "Paragraph",
}
LOGIN = (
    '<TechnicalProfile Id="login-NonInteractive"><Protocol Name="OpenIdConnect" /><Metadata>'
    '<Item Key="METADATA">https://login.microsoftonline.com/x/.well-known/openid-configuration</Item></Metadata>'
    '<InputClaims><InputClaim ClaimTypeReferenceId="signInName" PartnerClaimType="username" />'
    '<InputClaim ClaimTypeReferenceId="password" /><InputClaim ClaimTypeReferenceId="grant_type" DefaultValue="password" /></InputClaims>'
    '<OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="oid" /></OutputClaims></TechnicalProfile>'
)


def page(tp_id: str, outputs: list[str], validations: tuple[str, ...] | list[str] = (), display: str = "", meta: str = "") -> str:
    """A self-asserted page."""
    out = "".join(f'<OutputClaim ClaimTypeReferenceId="{c}" />' for c in outputs)
    vals = "".join(f'<ValidationTechnicalProfile ReferenceId="{v}" />' for v in validations)
    return (
        f'<TechnicalProfile Id="{tp_id}"><Protocol Name="Proprietary" Handler="{HANDLERS["self"]}" /><Metadata>{meta}</Metadata>'
        f"{display}<OutputClaims>{out}</OutputClaims>"
        + (f"<ValidationTechnicalProfiles>{vals}</ValidationTechnicalProfiles>" if vals else "")
        + "</TechnicalProfile>"
    )


def api(tp_id: str, inputs: list[str], outputs: tuple[str, ...] | list[str] = (), name: str = "REST") -> str:
    """A REST profile reading `inputs` and returning `outputs`."""
    ins = "".join(f'<InputClaim ClaimTypeReferenceId="{c}" />' for c in inputs)
    outs = "".join(f'<OutputClaim ClaimTypeReferenceId="{c}" />' for c in outputs)
    return (
        f'<TechnicalProfile Id="{tp_id}"><DisplayName>{name}</DisplayName><Protocol Name="Proprietary" Handler="{HANDLERS["rest"]}" />'
        '<Metadata><Item Key="ServiceUrl">https://api.contoso.com/x</Item><Item Key="AuthenticationType">ClientCertificate</Item></Metadata>'
        f"<InputClaims>{ins}</InputClaims><OutputClaims>{outs}</OutputClaims></TechnicalProfile>"
    )


def steps(*exchanges: str, first: str = "") -> str:
    """One orchestration step per profile id, then SendClaims; `first` is put before them."""
    body = "".join(
        f'<OrchestrationStep Order="{i}" Type="ClaimsExchange"><ClaimsExchanges>'
        f'<ClaimsExchange Id="Step{i}" TechnicalProfileReferenceId="{tp}" /></ClaimsExchanges></OrchestrationStep>'
        for i, tp in enumerate(exchanges, start=2 if first else 1)
    )
    end = len(exchanges) + (2 if first else 1)
    return first + body + f'<OrchestrationStep Order="{end}" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'


def journey_set(profiles: list[str], orchestration: str, controls: str = "") -> dict[str, str]:
    """A base with the test claims, `profiles`, display controls and one journey of `orchestration` steps."""
    claims = "".join(
        f'<ClaimType Id="{c}"><DataType>string</DataType>' + (f"<UserInputType>{t}</UserInputType>" if t else "") + "</ClaimType>"
        for c, t in CLAIMS.items()
    )
    base = (
        f"<BuildingBlocks><ClaimsSchema>{claims}</ClaimsSchema>"
        + (f"<DisplayControls>{controls}</DisplayControls>" if controls else "")
        + "</BuildingBlocks>"
        + provider(*profiles)
        + f'<UserJourneys><UserJourney Id="SignUpOrSignIn"><OrchestrationSteps>{orchestration}</OrchestrationSteps></UserJourney></UserJourneys>'
    )
    return clean_set(base=base)


def found(tmp_path, files: dict[str, str], rule: str) -> list[tuple[str, str]]:
    return [(p.severity.value, p.message) for p in run(tmp_path, files, Config(select=[rule])).problems]


def verification_control(sender: str, address: str = "email") -> str:
    return (
        f'<DisplayControl Id="emailControl" UserInterfaceControlType="VerificationControl"><DisplayClaims>'
        f'<DisplayClaim ClaimTypeReferenceId="{address}" Required="true" /><DisplayClaim ClaimTypeReferenceId="verificationCode" ControlClaimType="VerificationCode" Required="true" />'
        f'</DisplayClaims><OutputClaims><OutputClaim ClaimTypeReferenceId="{address}" /></OutputClaims><Actions>'
        '<Action Id="SendCode"><ValidationClaimsExchange><ValidationClaimsExchangeTechnicalProfile TechnicalProfileReferenceId="GenerateOtp" />'
        f'<ValidationClaimsExchangeTechnicalProfile TechnicalProfileReferenceId="{sender}" /></ValidationClaimsExchange></Action>'
        '<Action Id="VerifyCode"><ValidationClaimsExchange><ValidationClaimsExchangeTechnicalProfile TechnicalProfileReferenceId="VerifyOtp" />'
        "</ValidationClaimsExchange></Action></Actions></DisplayControl>"
    )


GENERATE = f'<TechnicalProfile Id="GenerateOtp"><Protocol Name="Proprietary" Handler="{OTP}" /><Metadata><Item Key="Operation">GenerateCode</Item></Metadata></TechnicalProfile>'
VERIFY = f'<TechnicalProfile Id="VerifyOtp"><Protocol Name="Proprietary" Handler="{OTP}" /><Metadata><Item Key="Operation">VerifyCode</Item></Metadata></TechnicalProfile>'
SSPR = (
    '<TechnicalProfile Id="AadSspr-SendCode"><Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.AadSsprProtocolProvider, '
    'Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /><Metadata><Item Key="Operation">SendCode</Item></Metadata></TechnicalProfile>'
)
RESET_PAGE = page(
    "LocalAccountDiscoveryUsingEmailAddress",
    ["email"],
    display='<DisplayClaims><DisplayClaim DisplayControlReferenceId="emailControl" /></DisplayClaims>',
)


def test_a_password_reset_page_that_mails_codes_through_its_own_api_is_open_to_mail_bombing(tmp_path):
    files = journey_set(
        [RESET_PAGE, GENERATE, VERIFY, api("REST-SendGrid", ["email", "otp"])],
        steps("LocalAccountDiscoveryUsingEmailAddress"),
        verification_control("REST-SendGrid"),
    )
    assert found(tmp_path, files, "BOT001") == [
        (
            "warning",
            "LocalAccountDiscoveryUsingEmailAddress is open to bots without a CAPTCHA and sends a code through REST-SendGrid "
            "to any address typed on it (mail bombing)",
        )
    ]


def test_codes_sent_by_microsoft_or_to_an_address_shown_read_only_are_not_mail_bombing(tmp_path):
    """B2C's own sender is throttled by B2C; a read-only address is the user's own."""
    microsoft = journey_set(
        [RESET_PAGE, GENERATE, VERIFY, SSPR], steps("LocalAccountDiscoveryUsingEmailAddress"), verification_control("AadSspr-SendCode")
    )
    assert found(tmp_path / "microsoft", microsoft, "BOT001") == []
    read_only = journey_set(
        [RESET_PAGE.replace('"email"', '"readOnlyEmail"'), GENERATE, VERIFY, api("REST-SendGrid", ["readOnlyEmail", "otp"])],
        steps("LocalAccountDiscoveryUsingEmailAddress"),
        verification_control("REST-SendGrid", address="readOnlyEmail"),
    )
    assert found(tmp_path / "read-only", read_only, "BOT001") == []


def test_a_page_after_the_sign_in_that_mails_a_code_is_not_anonymous(tmp_path):
    """A change-email page after the password check: the visitor is signed in."""
    sign_in = page("SelfAsserted-SignIn", ["signInName", "password"], ["login-NonInteractive"])
    files = journey_set(
        [
            sign_in,
            LOGIN,
            RESET_PAGE.replace("LocalAccountDiscoveryUsingEmailAddress", "SelfAsserted-ChangeEmail"),
            GENERATE,
            VERIFY,
            api("REST-SendGrid", ["email", "otp"]),
        ],
        steps("SelfAsserted-SignIn", "SelfAsserted-ChangeEmail"),
        verification_control("REST-SendGrid"),
    )
    assert found(tmp_path, files, "BOT001") == []


def test_a_validation_profile_that_sends_to_the_typed_address_is_mail_bombing_and_a_check_is_not(tmp_path):
    magic = journey_set(
        [page("SelfAsserted-MagicLink", ["email"], ["REST-SendMagicLink"]), api("REST-SendMagicLink", ["email"])],
        steps("SelfAsserted-MagicLink"),
    )
    assert [severity for severity, _ in found(tmp_path / "magic", magic, "BOT001")] == ["warning"]
    check = journey_set(
        [page("SelfAsserted-MagicLink", ["email"], ["REST-CheckDomain"]), api("REST-CheckDomain", ["email"])],
        steps("SelfAsserted-MagicLink"),
    )
    assert found(tmp_path / "check", check, "BOT001") == []
    # the bot check in the chain guards the sender
    guarded = journey_set(
        [
            page("SelfAsserted-MagicLink", ["email"], ["REST-FraudCheck", "REST-SendMagicLink"]),
            api("REST-FraudCheck", ["email"]),
            api("REST-SendMagicLink", ["email"]),
        ],
        steps("SelfAsserted-MagicLink"),
    )
    assert found(tmp_path / "guarded", guarded, "BOT001") == []


MEMBER_PAGE = page("SelfAsserted-Member", ["memberNumber"], ["REST-FindMember"])
WELCOME_PAGE = page("SelfAsserted-Welcome", ["memberName", "password"], ["login-NonInteractive"])


def test_a_name_looked_up_from_a_typed_number_shown_before_the_password_is_enumeration(tmp_path):
    files = journey_set(
        [MEMBER_PAGE, WELCOME_PAGE, LOGIN, api("REST-FindMember", ["memberNumber"], ["memberName"])],
        steps("SelfAsserted-Member", "SelfAsserted-Welcome"),
    )
    assert found(tmp_path, files, "BOT002") == [
        (
            "warning",
            "SelfAsserted-Welcome shows memberName that REST-FindMember looked up from what an anonymous visitor typed on "
            "SelfAsserted-Member: anyone who types someone's details sees their data (account enumeration)",
        )
    ]


def test_a_lookup_after_the_credential_check_by_a_secret_or_behind_a_bot_check_is_no_enumeration(tmp_path):
    after_login = journey_set(
        [page("SelfAsserted-Member", ["signInName", "password", "memberNumber"], ["login-NonInteractive", "REST-FindMember"]), page("SelfAsserted-Welcome", ["memberName"]), LOGIN,
         api("REST-FindMember", ["memberNumber"], ["memberName"])],
        steps("SelfAsserted-Member", "SelfAsserted-Welcome"),
    )  # fmt: skip
    assert found(tmp_path / "after-login", after_login, "BOT002") == []
    by_code = journey_set(
        [
            page("SelfAsserted-Member", ["invitationCode"], ["REST-FindMember"]),
            WELCOME_PAGE,
            LOGIN,
            api("REST-FindMember", ["invitationCode"], ["memberName"]),
        ],
        steps("SelfAsserted-Member", "SelfAsserted-Welcome"),
    )
    assert found(tmp_path / "by-code", by_code, "BOT002") == []
    guarded = journey_set(
        [page("SelfAsserted-Member", ["memberNumber"], ["REST-FraudCheck", "REST-FindMember"]), WELCOME_PAGE, LOGIN, api("REST-FraudCheck", ["memberNumber"]),
         api("REST-FindMember", ["memberNumber"], ["memberName"])],
        steps("SelfAsserted-Member", "SelfAsserted-Welcome"),
    )  # fmt: skip
    assert found(tmp_path / "guarded", guarded, "BOT002") == []


def test_text_looked_up_from_a_choice_in_a_list_identifies_nobody(tmp_path):
    """Terms of use looked up for the country picked on the page before: nobody's data."""
    files = journey_set(
        [
            page("SelfAsserted-Country", ["country"], ["REST-GetTerms"]),
            page("SelfAsserted-Terms", ["termsText"]),
            api("REST-GetTerms", ["country"], ["termsText"]),
        ],
        steps("SelfAsserted-Country", "SelfAsserted-Terms"),
    )
    assert found(tmp_path, files, "BOT002") == []


def test_alternatives_of_one_step_do_not_see_each_others_lookups(tmp_path):
    """A selection's choices run one at a time: what one looks up another never shows."""
    selection = (
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges>'
        '<ClaimsExchange Id="Member" TechnicalProfileReferenceId="SelfAsserted-Member" />'
        '<ClaimsExchange Id="Welcome" TechnicalProfileReferenceId="SelfAsserted-Welcome" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
    )
    files = journey_set([MEMBER_PAGE, WELCOME_PAGE, LOGIN, api("REST-FindMember", ["memberNumber"], ["memberName"])], selection)
    assert found(tmp_path, files, "BOT002") == []


def test_a_display_control_that_looks_up_and_shows_on_the_same_page(tmp_path):
    control = (
        '<DisplayControl Id="memberControl" UserInterfaceControlType="VerificationControl"><DisplayClaims>'
        '<DisplayClaim ClaimTypeReferenceId="memberNumber" Required="true" /><DisplayClaim ClaimTypeReferenceId="memberName" /></DisplayClaims>'
        '<Actions><Action Id="Lookup"><ValidationClaimsExchange><ValidationClaimsExchangeTechnicalProfile TechnicalProfileReferenceId="REST-FindMember" />'
        "</ValidationClaimsExchange></Action></Actions></DisplayControl>"
    )
    lookup_page = page(
        "SelfAsserted-Member",
        ["memberNumber"],
        display='<DisplayClaims><DisplayClaim DisplayControlReferenceId="memberControl" /></DisplayClaims>',
    )
    files = journey_set([lookup_page, api("REST-FindMember", ["memberNumber"], ["memberName"])], steps("SelfAsserted-Member"), control)
    assert [m for _, m in found(tmp_path, files, "BOT002")] == [
        "SelfAsserted-Member shows memberName that REST-FindMember looked up from what an anonymous visitor typed on SelfAsserted-Member: "
        "anyone who types someone's details sees their data (account enumeration)"
    ]


def test_a_lookup_in_a_journey_entered_by_a_signed_link_is_not_anonymous(tmp_path):
    hint = (
        '<TechnicalProfile Id="IdTokenHint_ExtractClaims"><Protocol Name="None" /><Metadata><Item Key="IdTokenAudience">a</Item>'
        '<Item Key="issuer">https://contoso.example</Item></Metadata></TechnicalProfile>'
    )
    first = '<OrchestrationStep Order="1" Type="GetClaims" CpimIssuerTechnicalProfileReferenceId="IdTokenHint_ExtractClaims" />'
    files = journey_set(
        [hint, MEMBER_PAGE, WELCOME_PAGE, LOGIN, api("REST-FindMember", ["memberNumber"], ["memberName"])],
        steps("SelfAsserted-Member", "SelfAsserted-Welcome", first=first),
    )
    assert found(tmp_path, files, "BOT002") == []


ROPC = LOGIN.replace('Id="login-NonInteractive"', 'Id="ResourceOwnerPasswordCredentials-OAUTH2"')


def test_a_journey_that_posts_the_password_grant_is_ropc(tmp_path):
    files = journey_set([ROPC], steps("ResourceOwnerPasswordCredentials-OAUTH2"))
    assert found(tmp_path, files, "MFA006") == [
        (
            "info",
            "UserJourney 'SignUpOrSignIn' signs users in with the password grant (ROPC) through 'ResourceOwnerPasswordCredentials-OAUTH2': "
            "no second factor or CAPTCHA can run, and each request is a password guess",
        )
    ]


def test_the_password_grant_as_a_page_s_credential_check_is_not_ropc(tmp_path):
    """The usual sign-in page validates with login-NonInteractive; a step after a page that asked for the password is interactive."""
    sign_in = page("SelfAsserted-SignIn", ["signInName", "password"], ["login-NonInteractive"])
    assert found(tmp_path / "validation", journey_set([sign_in, LOGIN], steps("SelfAsserted-SignIn")), "MFA006") == []
    asked = page("SelfAsserted-AskPassword", ["signInName", "password"])
    assert (
        found(tmp_path / "after-page", journey_set([asked, LOGIN], steps("SelfAsserted-AskPassword", "login-NonInteractive")), "MFA006")
        == []
    )
