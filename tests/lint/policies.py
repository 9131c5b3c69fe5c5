"""Small, complete policy sets written for the tests: a clean Base → Extensions → RP chain that
lints with no problem at all, and helpers to inject one anti-pattern at a time."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.lint import Config, Problem, Report, lint

NS = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"
TENANT = "contoso.onmicrosoft.com"
HANDLERS = {
    "rest": "Web.TPEngine.Providers.RestfulProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
    "aad": "Web.TPEngine.Providers.AzureActiveDirectoryProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
    "self": "Web.TPEngine.Providers.SelfAssertedAttributeProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
    "noop": "Web.TPEngine.SSO.NoopSSOSessionProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
    "oauth": "Web.TPEngine.SSO.OAuthSSOSessionProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
    "insights": "Web.TPEngine.Providers.Insights.AzureApplicationInsightsProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null",
}


def policy(policy_id: str, body: str, base: str | None = None, attrs: str = "", tenant: str = TENANT) -> str:
    """A TrustFrameworkPolicy document."""
    base_xml = f"<BasePolicy><TenantId>{tenant}</TenantId><PolicyId>{base}</PolicyId></BasePolicy>" if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<TrustFrameworkPolicy xmlns="{NS}" PolicySchemaVersion="0.3.0.0" TenantId="{tenant}"\n'
        f'    PolicyId="{policy_id}" PublicPolicyUri="http://{tenant}/{policy_id}" {attrs}>\n'
        f"  {base_xml}\n{body}\n</TrustFrameworkPolicy>\n"
    )


def provider(*profiles: str) -> str:
    """A ClaimsProviders block holding the given TechnicalProfile elements."""
    return (
        "<ClaimsProviders><ClaimsProvider><DisplayName>p</DisplayName><TechnicalProfiles>\n"
        + "\n".join(profiles)
        + "\n</TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
    )


def rest_profile(tp_id: str = "REST-GetLoyalty", metadata: str | None = None, extra: str = "") -> str:
    """A REST technical profile; by default a resilient one."""
    if metadata is None:
        metadata = (
            '<Item Key="ServiceUrl">https://api.contoso.com/loyalty</Item>\n'
            '<Item Key="AuthenticationType">ClientCertificate</Item>\n'
            '<Item Key="SendClaimsIn">Body</Item>\n'
            '<Item Key="DefaultUserMessageIfRequestFailed">Please try again later.</Item>\n'
            '<Item Key="UserMessageIfCircuitOpen">This service is temporarily unavailable.</Item>'
        )
        extra = extra or '<CryptographicKeys><Key Id="ClientCertificate" StorageReferenceId="B2C_1A_RestCert" /></CryptographicKeys>'
    return (
        f'<TechnicalProfile Id="{tp_id}"><DisplayName>REST</DisplayName>\n'
        f'<Protocol Name="Proprietary" Handler="{HANDLERS["rest"]}" />\n'
        f"<Metadata>\n{metadata}\n</Metadata>\n"
        f"{extra}\n"  # CryptographicKeys come before InputClaims in the schema
        '<InputClaims><InputClaim ClaimTypeReferenceId="email" /></InputClaims>\n'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )


JOURNEY = """<UserJourneys><UserJourney Id="SignUpOrSignIn"><OrchestrationSteps>
  <OrchestrationStep Order="1" Type="CombinedSignInAndSignUp" ContentDefinitionReferenceId="api.signuporsignin">
    <ClaimsProviderSelections><ClaimsProviderSelection ValidationClaimsExchangeId="SignInExchange" /></ClaimsProviderSelections>
    <ClaimsExchanges><ClaimsExchange Id="SignInExchange" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges>
  </OrchestrationStep>
  <OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />
</OrchestrationSteps></UserJourney></UserJourneys>"""

BASE = f"""<BuildingBlocks>
  <ClaimsSchema>
    <ClaimType Id="email"><DataType>string</DataType></ClaimType>
    <ClaimType Id="objectId"><DataType>string</DataType></ClaimType>
    <ClaimType Id="loyaltyNumber"><DataType>string</DataType></ClaimType>
  </ClaimsSchema>
  <ContentDefinitions>
    <ContentDefinition Id="api.signuporsignin"><LoadUri>~/tenant/templates/AzureBlue/unified.cshtml</LoadUri>
      <RecoveryUri>~/common/default_page_error.html</RecoveryUri>
      <DataUri>urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.7</DataUri></ContentDefinition>
  </ContentDefinitions>
</BuildingBlocks>
{
    provider(
        f'<TechnicalProfile Id="SM-Noop"><Protocol Name="Proprietary" Handler="{HANDLERS["noop"]}" /></TechnicalProfile>',
        f'<TechnicalProfile Id="SM-jwt-issuer"><Protocol Name="Proprietary" Handler="{HANDLERS["oauth"]}" /></TechnicalProfile>',
        '<TechnicalProfile Id="JwtIssuer"><Protocol Name="None" /><OutputTokenFormat>JWT</OutputTokenFormat>'
        '<Metadata><Item Key="token_lifetime_secs">3600</Item></Metadata>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" /></TechnicalProfile>',
        f'<TechnicalProfile Id="SelfAsserted-SignIn"><Protocol Name="Proprietary" Handler="{HANDLERS["self"]}" />'
        '<Metadata><Item Key="ContentDefinitionReferenceId">api.signuporsignin</Item></Metadata>'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" /></ValidationTechnicalProfiles>'
        "</TechnicalProfile>",
        rest_profile(),
    )
}
{JOURNEY}"""

RP = """<RelyingParty>
  <DefaultUserJourney ReferenceId="SignUpOrSignIn" />
  <UserJourneyBehaviors><SingleSignOn Scope="Tenant" KeepAliveInDays="30" /><SessionExpiryType>Rolling</SessionExpiryType>
    <SessionExpiryInSeconds>86400</SessionExpiryInSeconds></UserJourneyBehaviors>
  <TechnicalProfile Id="PolicyProfile"><DisplayName>PolicyProfile</DisplayName><Protocol Name="OpenIdConnect" />
    <OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /></OutputClaims>
    <SubjectNamingInfo ClaimType="sub" /></TechnicalProfile>
</RelyingParty>"""


def clean_set(base: str = BASE, extensions: str = "", rp: str = RP, rp_attrs: str = "", ext_attrs: str = "") -> dict[str, str]:
    """Base → Extensions → RP, every part replaceable."""
    return {
        "Base.xml": policy("B2C_1A_TrustFrameworkBase", base),
        "Extensions.xml": policy("B2C_1A_TrustFrameworkExtensions", extensions, base="B2C_1A_TrustFrameworkBase", attrs=ext_attrs),
        "SignUpOrSignin.xml": policy("B2C_1A_signup_signin", rp, base="B2C_1A_TrustFrameworkExtensions", attrs=rp_attrs),
    }


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a `{relative path: content}` workspace."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


#: advisory rules that report on every sign-in by design (a cost estimate; CAPTCHA, in preview);
#: they have tests of their own, and stay out of the others' way
ADVISORY = ["LIM001", "BOT001"]


def run(root: Path, files: dict[str, str | bytes], config: Config | None = None) -> Report:
    """Write the files and lint the folder (without the advisory rules unless `config` says)."""
    return lint([write(root, files)], config or Config(ignore=ADVISORY))


def rules_of(report: Report) -> list[tuple[str, str, int]]:
    """`(rule, file name, line)` of every problem, for compact assertions."""
    return [(p.rule, Path(p.path).name, p.line) for p in report.problems]


def rule_ids(report: Report) -> set[str]:
    """The rule ids reported."""
    return {p.rule for p in report.problems}


#: a problem's identity (see `toolkit.lint.check.identity`) whose labels hold no `[]/@`
_IDENTITY = re.compile(r"(?:[\w.-]+(?:\[[^\[\]/@]*\])?/)*([\w.-]+)(?:\[[^\[\]/@]*\])?(?:@([\w:.-]+))?")


def points_at_its_element(data: bytes, p: Problem) -> None:
    """A problem points at its own element's start tag or attribute (at some tag or attribute,
    when damaged labels make its identity ambiguous)."""
    at = data.split(b"\n")[p.line - 1][p.column - 1 :]
    m = _IDENTITY.fullmatch(p.identity)
    if m is None:
        assert at.startswith(b"<") or re.match(rb"[\w:.-]+\s*=", at), (p, at[:60])
    else:
        tag, attr = m.groups()
        assert at.startswith(b"<" + tag.encode()) or (attr and at.startswith(attr.encode())), (p, at[:60])
