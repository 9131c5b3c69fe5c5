"""Write policies/antipatterns/<rule>/: one small policy set per lint rule, each raising its rule
and no other error or warning when linted with the resilient set it extends:

    b2c-toolkit lint policies/resilient policies/antipatterns/rest003

Run from the repository root after changing a rule's example: python scripts/make_antipatterns.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "policies" / "antipatterns"
NS = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
TENANT = "contoso.onmicrosoft.com"
REST = "Web.TPEngine.Providers.RestfulProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
AAD = "Web.TPEngine.Providers.AzureActiveDirectoryProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
SA = "Web.TPEngine.Providers.SelfAssertedAttributeProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
PHONE = "Web.TPEngine.Providers.PhoneFactorProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
OTP = "Web.TPEngine.Providers.OneTimePasswordProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
INSIGHTS = (
    "Web.TPEngine.Providers.Insights.AzureApplicationInsightsProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
)
BEHAVIOURS = '<UserJourneyBehaviors><SingleSignOn Scope="Tenant" KeepAliveInDays="30" /><SessionExpiryType>Rolling</SessionExpiryType><SessionExpiryInSeconds>86400</SessionExpiryInSeconds></UserJourneyBehaviors>'
PROFILE = '<TechnicalProfile Id="PolicyProfile"><DisplayName>PolicyProfile</DisplayName><Protocol Name="OpenIdConnect" /><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /></OutputClaims><SubjectNamingInfo ClaimType="sub" /></TechnicalProfile>'
MESSAGES = (
    '<Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>'
    '<Item Key="UserMessageIfCircuitOpen">This service is temporarily unavailable.</Item>'
)


def policy(
    policy_id: str, base: str | None, body: str, attrs: str = 'DeploymentMode="Production"', comment: str = "", tenant: str = TENANT
) -> str:
    base_xml = f"  <BasePolicy><TenantId>{tenant}</TenantId><PolicyId>{base}</PolicyId></BasePolicy>\n" if base else ""
    note = f"<!-- {comment} -->\n" if comment else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{note}<TrustFrameworkPolicy xmlns="{NS}" PolicySchemaVersion="0.3.0.0"\n'
        f'    TenantId="{tenant}" PolicyId="{policy_id}" PublicPolicyUri="http://{tenant}/{policy_id}" {attrs}>\n'
        f"{base_xml}{body}\n</TrustFrameworkPolicy>\n"
    )


def providers(*profiles: str) -> str:
    return (
        "  <ClaimsProviders><ClaimsProvider><DisplayName>Anti-pattern</DisplayName><TechnicalProfiles>\n    "
        + "\n    ".join(profiles)
        + "\n  </TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
    )


def rest(
    tp_id: str = "REST-AP",
    metadata: str = "",
    keys: str = '<CryptographicKeys><Key Id="ClientCertificate" StorageReferenceId="B2C_1A_Cert" /></CryptographicKeys>',
    session: bool = True,
) -> str:
    meta = (
        metadata
        or f'<Item Key="ServiceUrl">https://api.contoso.com/x</Item><Item Key="AuthenticationType">ClientCertificate</Item><Item Key="SendClaimsIn">Body</Item>{MESSAGES}'
    )
    sm = '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />' if session else ""
    return f'<TechnicalProfile Id="{tp_id}"><DisplayName>REST</DisplayName><Protocol Name="Proprietary" Handler="{REST}" /><Metadata>{meta}</Metadata>{keys}<InputClaims><InputClaim ClaimTypeReferenceId="objectId" /></InputClaims>{sm}</TechnicalProfile>'


def journey(journey_id: str, *steps: str, tag: str = "UserJourney", attrs: str = "") -> str:
    body = "".join(steps)
    return f'  <{tag}s><{tag} Id="{journey_id}"{attrs}><OrchestrationSteps>{body}</OrchestrationSteps></{tag}></{tag}s>'


def step(order: int, tp: str, exchange: str = "", pre: str = "") -> str:
    return f'<OrchestrationStep Order="{order}" Type="ClaimsExchange">{pre}<ClaimsExchanges><ClaimsExchange Id="{exchange or tp + "Exchange"}" TechnicalProfileReferenceId="{tp}" /></ClaimsExchanges></OrchestrationStep>'


SIGN_IN = '<OrchestrationStep Order="1" Type="CombinedSignInAndSignUp" ContentDefinitionReferenceId="api.signuporsignin"><ClaimsProviderSelections><ClaimsProviderSelection ValidationClaimsExchangeId="LocalAccountSigninEmailExchange" /></ClaimsProviderSelections><ClaimsExchanges><ClaimsExchange Id="LocalAccountSigninEmailExchange" TechnicalProfileReferenceId="SelfAsserted-LocalAccountSignin-Email" /></ClaimsExchanges></OrchestrationStep>'


def send(order: int) -> str:
    return f'<OrchestrationStep Order="{order}" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'


def rp_body(journey_id: str = "SignUpOrSignIn", behaviours: str = BEHAVIOURS, extra: str = "") -> str:
    return f'  {extra}<RelyingParty><DefaultUserJourney ReferenceId="{journey_id}" />{behaviours}{PROFILE}</RelyingParty>'


def simple(
    rule: str,
    why: str,
    ext: str = "",
    rp: str | None = None,
    rp_attrs: str = 'DeploymentMode="Production"',
    ext_attrs: str = 'DeploymentMode="Production"',
    base: str = "B2C_1A_TrustFrameworkExtensions",
) -> dict[str, str]:
    """An Extensions-like file and a relying party extending the resilient set."""
    ext_id, rp_id = f"B2C_1A_AP_{rule}_Ext", f"B2C_1A_AP_{rule}"
    return {
        "Extensions.xml": policy(ext_id, base, ext, ext_attrs, f"{rule}: {why}"),
        "RelyingParty.xml": policy(rp_id, ext_id, rp if rp is not None else rp_body(), rp_attrs),
    }


def with_journey(
    rule: str, why: str, profiles: list[str], steps: list[str], rp_extra: str = "", behaviours: str = BEHAVIOURS, **kw: str
) -> dict[str, str]:
    journey_id = f"AP-{rule}"
    ext = (providers(*profiles) + "\n" if profiles else "") + journey(journey_id, *steps)
    return simple(rule, why, ext, rp_body(journey_id, behaviours, rp_extra), **kw)


def sets() -> dict[str, dict[str, str]]:
    s: dict[str, dict[str, str]] = {}
    s["XML001"] = {
        "Broken.xml": '<?xml version="1.0"?>\n<!-- XML001: not well-formed (the BasePolicy element is never closed) -->\n<TrustFrameworkPolicy xmlns="'
        + NS
        + '" PolicyId="B2C_1A_AP_XML001">\n  <BasePolicy>\n</TrustFrameworkPolicy>\n'
    }
    s["XSD001"] = simple(
        "XSD001",
        "UserJourneys before ClaimsProviders: the schema fixes the order",
        journey("AP-XSD001", SIGN_IN, send(2)) + "\n" + providers(rest("REST-XSD001")),
    )
    s["INH001"] = {
        "RelyingParty.xml": policy(
            "B2C_1A_AP_INH001",
            "B2C_1A_TrustFrameworkExtension",
            rp_body(),
            comment="INH001: the base PolicyId has a typo (Extension, not Extensions)",
        )
    }
    files = simple("INH002", "the relying party targets another tenant than its base")
    files["RelyingParty.xml"] = files["RelyingParty.xml"].replace(
        f'TenantId="{TENANT}" PolicyId="B2C_1A_AP_INH002"', 'TenantId="fabrikam.onmicrosoft.com" PolicyId="B2C_1A_AP_INH002"'
    )
    s["INH002"] = files
    chain = {}
    parent = "B2C_1A_TrustFrameworkExtensions"
    for level in range(1, 8):
        chain[f"Level{level}.xml"] = policy(
            f"B2C_1A_AP_INH003_L{level}",
            parent,
            "",
            comment="INH003: eleven files from Base to the relying party (limit 10)" if level == 1 else "",
        )
        parent = f"B2C_1A_AP_INH003_L{level}"
    chain["RelyingParty.xml"] = policy("B2C_1A_AP_INH003", parent, rp_body())
    s["INH003"] = chain
    s["INH004"] = {
        "RelyingParty.xml": policy(
            "B2C_1A_AP_INH004",
            "B2C_1A_TrustFrameworkExtensions",
            rp_body(),
            'PolicySchemaVersion2="x" DeploymentMode="Production"',
            "INH004: PolicySchemaVersion must be 0.3.0.0",
        )
        .replace('PolicySchemaVersion="0.3.0.0"', 'PolicySchemaVersion="0.3.0.1"')
        .replace(' PolicySchemaVersion2="x"', "")
    }
    signup = step(
        2,
        "LocalAccountSignUpWithLogonEmail",
        "SignUpWithLogonEmailExchange",
        pre='<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true"><Value>objectId</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>',
    )
    s["INH006"] = simple(
        "INH006",
        "the base's SignUpOrSignIn journey redeclared in place",
        journey("SignUpOrSignIn", SIGN_IN, signup, step(3, "AAD-UserReadUsingObjectId", "AADUserReadWithObjectId"), send(4)),
    )
    s["INH007"] = simple(
        "INH007",
        "a claims exchange names a profile that does not exist",
        journey("AP-INH007", SIGN_IN, step(2, "AAD-UserReadUsingObjectIdd", "ReadUser"), send(3)),
        rp_body("AP-INH007"),
    )
    s["INH008"] = {
        "RelyingParty.xml": policy(
            "B2C_1A_AP_INH008", "B2C_1A_TrustFrameworkExtensions", rp_body(), comment="INH008: this PolicyId is declared twice in the set"
        ),
        "RelyingParty-copy.xml": policy("B2C_1A_AP_INH008", "B2C_1A_TrustFrameworkExtensions", rp_body()),
    }
    s["INH009"] = simple("INH009", "one file declares the same profile twice", providers(rest("REST-INH009"), rest("REST-INH009")))
    s["DEP001"] = simple(
        "DEP001", "Development mode: claims are logged and the policy cache bypassed", ext_attrs='DeploymentMode="Development"'
    )
    insights = '<JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="00000000-0000-0000-0000-000000000000" DeveloperMode="true" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />'
    s["DEP002"] = simple(
        "DEP002",
        "telemetry developer mode is throttled at volume",
        rp=rp_body(behaviours=BEHAVIOURS.replace("</SessionExpiryInSeconds>", "</SessionExpiryInSeconds>" + insights)),
    )
    call = '<ValidationTechnicalProfile ReferenceId="{tp}" ContinueOnError="true" />'
    login = '<ValidationTechnicalProfile ReferenceId="login-NonInteractive" />'

    def rest_on_sign_in(rule: str, why: str, profile: str, base: str = "B2C_1A_TrustFrameworkExtensions") -> dict[str, str]:
        tp_id = profile.split('Id="', 1)[1].split('"', 1)[0]
        sign_in = f'<TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email"><ValidationTechnicalProfiles>{login}{call.format(tp=tp_id)}</ValidationTechnicalProfiles></TechnicalProfile>'
        return simple(rule, why, providers(profile, sign_in), base=base)

    no_texts = "B2C_1A_TrustFrameworkBase"  # without the Localization file and its REST error texts

    base_meta = '<Item Key="ServiceUrl">https://api.contoso.com/x</Item><Item Key="SendClaimsIn">Body</Item>'
    s["REST001"] = rest_on_sign_in(
        "REST001",
        "no generic failure message: users would see the service URL",
        rest("REST-REST001", f'{base_meta}<Item Key="AuthenticationType">ClientCertificate</Item>'),
        no_texts,
    )
    s["REST002"] = rest_on_sign_in(
        "REST002",
        "no circuit-breaker messages",
        rest(
            "REST-REST002",
            f'{base_meta}<Item Key="AuthenticationType">ClientCertificate</Item><Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>',
        ),
        no_texts,
    )
    s["REST003"] = rest_on_sign_in(
        "REST003",
        "an anonymous API on the sign-in path",
        rest("REST-REST003", f'{base_meta}<Item Key="AuthenticationType">None</Item>{MESSAGES}', keys=""),
    )
    s["REST004"] = rest_on_sign_in(
        "REST004",
        "insecure authentication allowed in production",
        rest(
            "REST-REST004",
            f'{base_meta}<Item Key="AuthenticationType">ClientCertificate</Item><Item Key="AllowInsecureAuthInProduction">true</Item>{MESSAGES}',
        ),
    )
    s["REST005"] = rest_on_sign_in(
        "REST005",
        "DebugMode shows API error details to users",
        rest(
            "REST-REST005", f'{base_meta}<Item Key="AuthenticationType">ClientCertificate</Item><Item Key="DebugMode">true</Item>{MESSAGES}'
        ),
    )
    s["REST006"] = rest_on_sign_in(
        "REST006",
        "ServiceUrl over plain HTTP",
        rest(
            "REST-REST006",
            f'<Item Key="ServiceUrl">http://api.contoso.com/x</Item><Item Key="SendClaimsIn">Body</Item><Item Key="AuthenticationType">ClientCertificate</Item>{MESSAGES}',
        ),
    )
    s["REST007"] = rest_on_sign_in(
        "REST007",
        "an API key in the ServiceUrl",
        rest(
            "REST-REST007",
            f'<Item Key="ServiceUrl">https://fn.azurewebsites.net/api/x?code=abc123</Item><Item Key="SendClaimsIn">Body</Item><Item Key="AuthenticationType">ClientCertificate</Item>{MESSAGES}',
        ),
    )
    s["REST008"] = rest_on_sign_in("REST008", "ClientCertificate authentication without the certificate key", rest("REST-REST008", keys=""))
    s["REST009"] = with_journey(
        "REST009", "a REST call made straight from the journey", [rest("REST-REST009")], [SIGN_IN, step(2, "REST-REST009"), send(3)]
    )
    apis = ("REST-FraudCheck", "REST-GetLoyaltyTier", "REST-AuditSignIn")
    three_calls = "".join(call.format(tp=tp) for tp in apis)
    s["REST010"] = simple(
        "REST010",
        "three APIs behind one sign-in",
        providers(
            rest(apis[0]),
            rest(apis[2]),
            f'<TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email"><ValidationTechnicalProfiles>{login}{three_calls}</ValidationTechnicalProfiles></TechnicalProfile>',
        ),
    )
    writer = f'<TechnicalProfile Id="AAD-UserWriteOnSignIn"><Protocol Name="Proprietary" Handler="{AAD}" /><Metadata><Item Key="Operation">Write</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="objectId" Required="true" /></InputClaims><PersistedClaims><PersistedClaim ClaimTypeReferenceId="objectId" /><PersistedClaim ClaimTypeReferenceId="displayName" /></PersistedClaims><IncludeTechnicalProfile ReferenceId="AAD-Common" /></TechnicalProfile>'
    s["AAD001"] = with_journey(
        "AAD001", "a directory write on every sign-in", [writer], [SIGN_IN, step(2, "AAD-UserWriteOnSignIn"), send(3)]
    )
    transformation = '<TechnicalProfile Id="CT-SetTier"><DisplayName>Default tier</DisplayName><Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.ClaimsTransformationProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /><OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyTier" DefaultValue="basic" AlwaysUseDefaultValue="true" /></OutputClaims></TechnicalProfile>'
    s["SSO001"] = with_journey(
        "SSO001",
        "a claims transformation run by the journey without SM-Noop (replayed from the SSO cookie)",
        [transformation],
        [SIGN_IN, step(2, "CT-SetTier"), send(3)],
    )
    s["SSO002"] = simple(
        "SSO002",
        "SSO suppressed: every visit runs the whole flow",
        rp=rp_body(
            behaviours=BEHAVIOURS.replace('<SingleSignOn Scope="Tenant" KeepAliveInDays="30" />', '<SingleSignOn Scope="Suppressed" />')
        ),
    )
    s["SSO003"] = simple(
        "SSO003",
        "a 5-minute session, below the 15-minute minimum",
        rp=rp_body(behaviours=BEHAVIOURS.replace("86400</SessionExpiryInSeconds>", "300</SessionExpiryInSeconds>")),
    )
    issuer = '<TechnicalProfile Id="JwtIssuer"><Metadata>{items}</Metadata></TechnicalProfile>'
    s["TOK001"] = simple(
        "TOK001",
        "an access-token lifetime below the 300 s minimum",
        providers(issuer.format(items='<Item Key="token_lifetime_secs">120</Item>')),
    )
    s["TOK002"] = simple(
        "TOK002",
        "a sliding window shorter than the refresh-token lifetime",
        providers(issuer.format(items='<Item Key="rolling_refresh_token_lifetime_secs">604800</Item>')),
    )
    s["TOK003"] = simple(
        "TOK003",
        "tokens shorter than the defaults: more traffic, less outage tolerance",
        providers(issuer.format(items='<Item Key="token_lifetime_secs">900</Item>')),
    )
    s["JRN001"] = with_journey("JRN001", "steps numbered 1, 2, 4", [], [SIGN_IN, step(2, "AAD-UserReadUsingObjectId", "ReadUser"), send(4)])
    s["JRN002"] = with_journey(
        "JRN002", "no SendClaims step: no token is ever issued", [], [SIGN_IN, step(2, "AAD-UserReadUsingObjectId", "ReadUser")]
    )
    s["JRN003"] = with_journey(
        "JRN003",
        "a selection target the next step does not have",
        [],
        [
            '<OrchestrationStep Order="1" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.idpselections"><ClaimsProviderSelections><ClaimsProviderSelection TargetClaimsExchangeId="LocalAccountSigninEmailExchange" /></ClaimsProviderSelections></OrchestrationStep>',
            step(2, "SelfAsserted-LocalAccountSignin-Email", "SignInExchange"),
            send(3),
        ],
    )
    equals = '<Preconditions><Precondition Type="ClaimEquals" ExecuteActionsIf="true"><Value>newUser</Value><Value>True</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
    s["JRN004"] = with_journey(
        "JRN004",
        "ClaimEquals without ClaimsExist: a missing claim silently runs the step",
        [],
        [SIGN_IN, step(2, "AAD-UserReadUsingObjectId", "ReadUser", pre=equals), send(3)],
    )
    sub = journey("AP-JRN005-Sub", step(1, "AAD-UserReadUsingObjectId", "ReadUser"), tag="SubJourney", attrs=' Type="Transfer"')
    invoke = '<OrchestrationStep Order="2" Type="InvokeSubJourney"><JourneyList><Candidate SubJourneyReferenceId="AP-JRN005-Sub" /></JourneyList></OrchestrationStep>'
    s["JRN005"] = simple(
        "JRN005", "a Transfer sub-journey without SendClaims", journey("AP-JRN005", SIGN_IN, invoke) + "\n" + sub, rp_body("AP-JRN005")
    )
    cd = '<BuildingBlocks><ContentDefinitions><ContentDefinition Id="api.signuporsignin"><LoadUri>{load}</LoadUri><RecoveryUri>~/common/default_page_error.html</RecoveryUri><DataUri>{data}</DataUri></ContentDefinition></ContentDefinitions></BuildingBlocks>'
    contract = "urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.7"
    s["UI001"] = simple("UI001", "page content over plain HTTP", cd.format(load="http://pages.contoso.com/unified.html", data=contract))
    s["UI002"] = simple(
        "UI002",
        "page content from a single-region storage account, not a CDN",
        cd.format(load="https://contosob2c.blob.core.windows.net/b2c/unified.html", data=contract),
    )
    s["UI003"] = simple(
        "UI003",
        "a page layout without contract (jQuery 1.12.4)",
        cd.format(load="~/tenant/templates/AzureBlue/unified.cshtml", data="urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.1"),
    )
    script = BEHAVIOURS.replace("</UserJourneyBehaviors>", "<ScriptExecution>Allow</ScriptExecution></UserJourneyBehaviors>")
    legacy = cd.format(load="~/tenant/templates/AzureBlue/unified.cshtml", data="urn:com:microsoft:aad:b2c:elements:unifiedssp:2.1.7")
    s["UI004"] = simple(
        "UI004", "JavaScript allowed on a page without a contract layout (UI003 reports the layout too)", legacy, rp_body(behaviours=script)
    )
    s["UI005"] = simple(
        "UI005",
        "framing allowed for a wildcard origin",
        rp=rp_body(
            behaviours=BEHAVIOURS.replace(
                "</UserJourneyBehaviors>", '<JourneyFraming Enabled="true" Sources="https://*.contoso.com" /></UserJourneyBehaviors>'
            )
        ),
    )
    phone = f'<TechnicalProfile Id="PhoneFactor-AP"><DisplayName>Phone</DisplayName><Protocol Name="Proprietary" Handler="{PHONE}" /><Metadata><Item Key="ContentDefinitionReferenceId">api.selfasserted</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="objectId" /></InputClaims><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" /></OutputClaims><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    countries = '<BuildingBlocks><Localization Enabled="true"><SupportedLanguages DefaultLanguage="en" MergeBehavior="ReplaceAll"><SupportedLanguage>en</SupportedLanguage></SupportedLanguages><LocalizedResources Id="api.phonefactor.en"><LocalizedStrings><LocalizedString ElementType="UxElement" StringId="countryList">{"DEFAULT":"Country/Region","US":"United States"}</LocalizedString></LocalizedStrings></LocalizedResources></Localization></BuildingBlocks>'
    otp = f'<TechnicalProfile Id="OTP-AP"><DisplayName>Email code</DisplayName><Protocol Name="Proprietary" Handler="{OTP}" /><Metadata><Item Key="Operation">GenerateCode</Item><Item Key="CodeExpirationInSeconds">{{expiry}}</Item><Item Key="CharacterSet">0-9</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="email" /></InputClaims><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" /></OutputClaims></TechnicalProfile>'
    s["MFA001"] = with_journey(
        "MFA001", "the phone is the only second factor", [phone], [SIGN_IN, step(2, "PhoneFactor-AP"), send(3)], rp_extra=countries
    )
    s["MFA002"] = with_journey(
        "MFA002",
        "SMS without a country allow-list in the relying-party file",
        [phone, otp.format(expiry=600)],
        [SIGN_IN, step(2, "PhoneFactor-AP"), step(3, "OTP-AP"), send(4)],
    )
    s["MFA003"] = with_journey(
        "MFA003", "one-time codes valid for 30 s (minimum 60)", [otp.format(expiry=30)], [SIGN_IN, step(2, "OTP-AP"), send(3)]
    )
    s["MFA004"] = simple(
        "MFA004",
        "sign-up without email verification",
        providers(
            '<TechnicalProfile Id="LocalAccountSignUpWithLogonEmail"><Metadata><Item Key="EnforceEmailVerification">false</Item></Metadata></TechnicalProfile>'
        ),
    )
    s["BOT001"] = simple(
        "BOT001",
        "the sign-in page calls an API before the credential check, without CAPTCHA",
        providers(
            rest("REST-BOT001"),
            '<TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email"><ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-BOT001" ContinueOnError="true" /></ValidationTechnicalProfiles></TechnicalProfile>',
        ),
    )
    oidc = '<TechnicalProfile Id="Contoso-OIDC"><DisplayName>Contoso employees</DisplayName><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">{metadata}</Item><Item Key="client_id">00000000-0000-0000-0000-000000000003</Item>{extra}</Metadata><CryptographicKeys>{keys}</CryptographicKeys><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="oid" /></OutputClaims><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    secret_key = '<Key Id="client_secret" StorageReferenceId="B2C_1A_ContosoSecret" />'
    only = [
        '<OrchestrationStep Order="1" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.idpselections"><ClaimsProviderSelections><ClaimsProviderSelection TargetClaimsExchangeId="ContosoExchange" /></ClaimsProviderSelections></OrchestrationStep>',
        step(2, "Contoso-OIDC", "ContosoExchange"),
        send(3),
    ]
    both = [
        '<OrchestrationStep Order="1" Type="CombinedSignInAndSignUp" ContentDefinitionReferenceId="api.signuporsignin"><ClaimsProviderSelections><ClaimsProviderSelection TargetClaimsExchangeId="ContosoExchange" /><ClaimsProviderSelection ValidationClaimsExchangeId="LocalAccountSigninEmailExchange" /></ClaimsProviderSelections><ClaimsExchanges><ClaimsExchange Id="LocalAccountSigninEmailExchange" TechnicalProfileReferenceId="SelfAsserted-LocalAccountSignin-Email" /></ClaimsExchanges></OrchestrationStep>',
        step(
            2,
            "Contoso-OIDC",
            "ContosoExchange",
            pre='<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true"><Value>objectId</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>',
        ),
        send(3),
    ]
    https_metadata = "https://login.contoso.com/.well-known/openid-configuration"
    s["IDP001"] = with_journey(
        "IDP001", "one federated provider and no fallback", [oidc.format(metadata=https_metadata, extra="", keys=secret_key)], only
    )
    s["IDP002"] = with_journey(
        "IDP002",
        "an identity provider's metadata over plain HTTP",
        [oidc.format(metadata="http://login.contoso.com/.well-known/openid-configuration", extra="", keys=secret_key)],
        both,
    )
    s["IDP003"] = with_journey(
        "IDP003",
        "a client secret written into the policy",
        [oidc.format(metadata=https_metadata, extra='<Item Key="client_secret">s3cr3t-value</Item>', keys=secret_key)],
        both,
    )
    pages = [SIGN_IN, *(step(i, "SelfAsserted-Notice", f"Page{i}") for i in range(2, 8)), send(8)]
    notice = (
        f'<TechnicalProfile Id="SelfAsserted-Notice"><DisplayName>Notice</DisplayName><Protocol Name="Proprietary" Handler="{SA}" />'
        '<Metadata><Item Key="ContentDefinitionReferenceId">api.selfasserted</Item></Metadata>'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    s["LIM001"] = with_journey("LIM001", "seven pages per sign-in: about 17 requests, 12 sign-ins/s for the whole tenant", [notice], pages)
    files = simple("SET001", "a placeholder nobody replaced")
    files["RelyingParty.xml"] = (
        files["RelyingParty.xml"]
        .replace('<DefaultUserJourney ReferenceId="SignUpOrSignIn" />', '<DefaultUserJourney ReferenceId="SignUpOrSignIn" />')
        .replace("<SubjectNamingInfo", "<!-- see the output claim --><SubjectNamingInfo")
        .replace(
            '<OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" />',
            '<OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /><OutputClaim ClaimTypeReferenceId="loyaltyTier" DefaultValue="{Settings:DefaultTier}" />',
        )
    )
    s["SET001"] = files
    s["META001"] = rest_on_sign_in(
        "META001",
        "a misspelt metadata key the service silently ignores",
        rest(
            "REST-META001",
            f'{base_meta}<Item Key="AuthenticationType">ClientCertificate</Item><Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item><Item Key="UserMessageIfCircuitOpn">Unavailable.</Item>',
        ),
    )
    s["JRN006"] = simple(
        "JRN006", "a relying party that names no journey: the upload fails", rp=f"  <RelyingParty>{BEHAVIOURS}{PROFILE}</RelyingParty>"
    )
    s["DEP003"] = rest_on_sign_in(
        "DEP003",
        "a REST API reached through a development tunnel",
        rest(
            "REST-DEP003",
            '<Item Key="ServiceUrl">https://3f2a-81-2-69-160.ngrok-free.app/api/loyalty</Item><Item Key="SendClaimsIn">Body</Item>'
            f'<Item Key="AuthenticationType">ClientCertificate</Item>{MESSAGES}',
        ),
    )
    s["SSO004"] = simple(
        "SSO004",
        "the sign-in page never uses the SSO session: every visit asks for the password",
        providers(
            '<TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email"><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
        ),
    )
    delete = (
        f'<TechnicalProfile Id="AAD-DeleteUser"><Protocol Name="Proprietary" Handler="{AAD}" />'
        '<Metadata><Item Key="Operation">DeleteClaimsPrincipal</Item></Metadata>'
        '<InputClaims><InputClaim ClaimTypeReferenceId="objectId" Required="true" /></InputClaims>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    s["SSO005"] = with_journey(
        "SSO005", "the account is deleted on the strength of the SSO session alone", [delete], [SIGN_IN, step(2, "AAD-DeleteUser"), send(3)]
    )
    phone = (
        '<BuildingBlocks><ClaimsSchema><ClaimType Id="strongAuthenticationPhoneNumber"><DisplayName>Phone</DisplayName><DataType>string</DataType></ClaimType></ClaimsSchema></BuildingBlocks>\n'
        + providers(
            '<TechnicalProfile Id="SelfAsserted-LocalAccountSignin-Email"><OutputClaims>'
            '<OutputClaim ClaimTypeReferenceId="strongAuthenticationPhoneNumber" DefaultValue="+15555550123" /></OutputClaims></TechnicalProfile>'
        )
    )
    s["MFA005"] = simple("MFA005", "every user without a phone gets codes at one hard-coded number", phone)
    return s


def main() -> None:
    for folder in OUT.iterdir():
        if folder.is_dir() and folder.name != "fragile":
            shutil.rmtree(folder)
    for rule, files in sets().items():
        folder = OUT / rule.lower()
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(sets())} anti-pattern sets to {OUT}")


if __name__ == "__main__":
    main()
