"""SSO001–SSO003: session providers, SSO scope and session values."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, HANDLERS, RP, clean_set, rule_ids, run


def test_issuer_without_session_provider(tmp_path):
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    report = run(tmp_path, clean_set(base=base))
    assert rule_ids(report) == {"SSO001"}
    assert "OAuthSSOSessionProvider" in report.problems[0].message


def test_session_provider_added_in_child_file(tmp_path):
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    ext = '<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles><TechnicalProfile Id="JwtIssuer"><UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" /></TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders>'
    assert run(tmp_path, clean_set(base=base, extensions=ext)).problems == []


def test_a_journey_without_a_user_keeps_no_session(tmp_path):
    """A client-credentials journey and its token issuer: no browser, no session to keep."""
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    machine = (
        '<UserJourneys><UserJourney Id="ClientCredentials"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Call" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    rp = RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="ClientCredentials"')
    assert "SSO001" not in rule_ids(run(tmp_path / "machine", clean_set(base=base, extensions=machine, rp=rp)))
    assert "SSO001" in rule_ids(run(tmp_path / "user", clean_set(base=base, extensions=machine)))


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


def test_sign_in_page_with_sm_noop_from_an_override_or_an_included_profile(tmp_path):
    """The merged profile is judged: SM-Noop set by the file that overrides the base, or by the
    profile the page includes; an override back to an SSO provider clears it."""
    (problem,) = run(tmp_path / "override", clean_set(extensions=NOOP_SIGN_IN.format(session="SM-Noop"))).problems
    assert (problem.rule, problem.path.rsplit("/", 1)[-1]) == ("SSO004", "Extensions.xml")
    assert problem.message == "sign-in page 'SelfAsserted-SignIn' uses NoopSSOSessionProvider: every visit asks for the password again"
    included = (
        '<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles><TechnicalProfile Id="SelfAsserted-Common">'
        f'<Protocol Name="Proprietary" Handler="{SELF}" /><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
        '<TechnicalProfile Id="SelfAsserted-SignIn"><IncludeTechnicalProfile ReferenceId="SelfAsserted-Common" /></TechnicalProfile>'
        "</TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
    )
    assert rule_ids(run(tmp_path / "included", clean_set(extensions=included))) == {"SSO004"}
    noop_in_base = BASE.replace(
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" /></ValidationTechnicalProfiles>',
        '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" /></ValidationTechnicalProfiles>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />',
    )
    assert "SSO004" in rule_ids(run(tmp_path / "base", clean_set(base=noop_in_base)))
    cleared = clean_set(base=noop_in_base, extensions=NOOP_SIGN_IN.format(session="SM-jwt-issuer"))
    assert "SSO004" not in rule_ids(run(tmp_path / "cleared", cleared))


OIDC_PROFILES = (
    "<ClaimsProviders><ClaimsProvider><DisplayName>x</DisplayName><TechnicalProfiles>"
    '<TechnicalProfile Id="Partner-OIDC"><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">https://login.partner.example/.well-known/openid-configuration</Item>'
    '<Item Key="client_id">2f4a9c1e-7b3d-4e8a-9c6f-1d2e3f4a5b6c</Item></Metadata><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /></OutputClaims>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="{idp_session}" /></TechnicalProfile>'
    '<TechnicalProfile Id="login-NonInteractive"><Protocol Name="OpenIdConnect" /><Metadata><Item Key="METADATA">https://login.microsoftonline.com/x/.well-known/openid-configuration</Item>'
    '<Item Key="grant_type">password</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="email" PartnerClaimType="username" /></InputClaims>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    '<TechnicalProfile Id="SelfAsserted-LocalSignIn"><Protocol Name="Proprietary" Handler="{self}" /><Metadata><Item Key="ContentDefinitionReferenceId">api.signuporsignin</Item></Metadata>'
    '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
    '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="login-NonInteractive" /></ValidationTechnicalProfiles>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="{page_session}" /></TechnicalProfile>'
    "</TechnicalProfiles></ClaimsProvider></ClaimsProviders>"
)
#: a provider-selection page, then the choice: the local sign-in page or a federated provider
SELECT_JOURNEY = (
    '<UserJourneys><UserJourney Id="SignInChoice"><OrchestrationSteps>'
    '<OrchestrationStep Order="1" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.signuporsignin"><ClaimsProviderSelections>'
    '<ClaimsProviderSelection TargetClaimsExchangeId="Local" /><ClaimsProviderSelection TargetClaimsExchangeId="Partner" /></ClaimsProviderSelections></OrchestrationStep>'
    '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Local" TechnicalProfileReferenceId="SelfAsserted-LocalSignIn" />'
    '<ClaimsExchange Id="Partner" TechnicalProfileReferenceId="Partner-OIDC" /></ClaimsExchanges></OrchestrationStep>'
    "{later}"
    '<OrchestrationStep Order="{send}" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
    "</OrchestrationSteps></UserJourney></UserJourneys>"
)


def _choice(
    tmp_path, idp_session: str = "SM-jwt-issuer", page_session: str = "SM-jwt-issuer", later: str = "", journey: str = SELECT_JOURNEY
):
    profiles = OIDC_PROFILES.replace("{self}", SELF).format(idp_session=idp_session, page_session=page_session)
    rp = RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="SignInChoice"')
    send = 3 + later.count("<OrchestrationStep ")
    return run(tmp_path, clean_set(extensions=profiles + journey.format(later=later, send=send), rp=rp))


def test_sign_in_page_or_identity_provider_offered_by_a_provider_selection_step(tmp_path):
    """Not only CombinedSignInAndSignUp: the sign-in page and the federated provider a
    ClaimsProviderSelection step offers run in the next step."""
    assert [p.rule for p in _choice(tmp_path / "sso").problems if p.severity.value != "info"] == []
    (page,) = [p for p in _choice(tmp_path / "page", page_session="SM-Noop").problems if p.rule == "SSO004"]
    assert page.message == "sign-in page 'SelfAsserted-LocalSignIn' uses NoopSSOSessionProvider: every visit asks for the password again"
    (idp,) = [p for p in _choice(tmp_path / "idp", idp_session="SM-Noop").problems if p.rule == "SSO004"]
    assert (
        idp.message == "identity provider 'Partner-OIDC' on the main sign-in path uses NoopSSOSessionProvider: every visit goes back to it"
    )
    # a journey whose only sign-in is a page in a plain ClaimsExchange step
    direct = (
        '<UserJourneys><UserJourney Id="SignInChoice"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Local" TechnicalProfileReferenceId="SelfAsserted-LocalSignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    assert "SSO004" in rule_ids(_choice(tmp_path / "direct", page_session="SM-Noop", journey=direct))


def test_later_sign_ins_and_password_checks_are_not_the_main_path(tmp_path):
    """Linking a second account after signing in (Microsoft's account-linking sample uses
    SM-Noop there), and the password check itself (login-NonInteractive, resource owner
    password credentials) are not the main sign-in."""
    link = (
        '<OrchestrationStep Order="3" Type="ClaimsProviderSelection" ContentDefinitionReferenceId="api.signuporsignin"><ClaimsProviderSelections>'
        '<ClaimsProviderSelection TargetClaimsExchangeId="Link" /></ClaimsProviderSelections></OrchestrationStep>'
        '<OrchestrationStep Order="4" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Link" TechnicalProfileReferenceId="Partner-OIDC" /></ClaimsExchanges></OrchestrationStep>'
    )
    journey = SELECT_JOURNEY.replace('<ClaimsProviderSelection TargetClaimsExchangeId="Partner" />', "").replace(
        '<ClaimsExchange Id="Partner" TechnicalProfileReferenceId="Partner-OIDC" />', ""
    )
    assert "SSO004" not in rule_ids(_choice(tmp_path / "link", idp_session="SM-Noop", later=link, journey=journey))
    ropc = (
        '<UserJourneys><UserJourney Id="SignInChoice"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Ropc" TechnicalProfileReferenceId="login-NonInteractive" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    assert "SSO004" not in rule_ids(_choice(tmp_path / "ropc", journey=ropc))


def test_a_journey_that_asks_again_on_purpose(tmp_path):
    """Deleting the account (SSO005 asks for a fresh sign-in there) or a journey named for
    re-authentication: SM-Noop on its sign-in is the point."""
    files = _delete_journey(reauth=False)
    override = (
        '<TechnicalProfile Id="SelfAsserted-SignIn"><UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    files["Extensions.xml"] = files["Extensions.xml"].replace("</TechnicalProfiles>", override + "</TechnicalProfiles>", 1)
    assert "SSO004" not in rule_ids(run(tmp_path / "delete", files))
    renamed = clean_set(extensions=NOOP_SIGN_IN.format(session="SM-Noop"))
    renamed = {name: text.replace('"SignUpOrSignIn"', '"ReauthenticateUser"') for name, text in renamed.items()}
    assert 'UserJourney Id="ReauthenticateUser"' in renamed["Base.xml"]
    assert "SSO004" not in rule_ids(run(tmp_path / "reauth", renamed))


def test_a_policy_that_signs_in_afresh_by_design(tmp_path):
    """A journey that ends the identity provider's session itself, and a policy that declares no
    session provider but SM-Noop: nothing keeps a sign-in there, so SM-Noop on it is the design."""
    logout = (
        f'<TechnicalProfile Id="REST-IdP-Session"><DisplayName>End the session at the provider</DisplayName><Protocol Name="Proprietary" Handler="{REST}" />'
        '<Metadata><Item Key="ServiceUrl">https://idp.example/api/v1/session/logout</Item><Item Key="AuthenticationType">Bearer</Item>'
        '<Item Key="UseClaimAsBearerToken">email</Item></Metadata><InputClaims><InputClaim ClaimTypeReferenceId="email" /></InputClaims>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    later = '<OrchestrationStep Order="3" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="EndIdPSession" TechnicalProfileReferenceId="REST-IdP-Session" /></ClaimsExchanges></OrchestrationStep>'
    with_logout = OIDC_PROFILES.replace("</TechnicalProfiles>", logout + "</TechnicalProfiles>")
    profiles = with_logout.replace("{self}", SELF).format(idp_session="SM-Noop", page_session="SM-jwt-issuer")
    rp = RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="SignInChoice"')
    files = clean_set(extensions=profiles + SELECT_JOURNEY.format(later=later, send=4), rp=rp)
    assert "SSO004" not in rule_ids(run(tmp_path / "logout", files))
    files = clean_set(extensions=profiles + SELECT_JOURNEY.format(later="", send=3), rp=rp)
    assert "SSO004" in rule_ids(run(tmp_path / "kept", files))
    # the same sign-in page on SM-Noop, in a chain whose only session provider is SM-Noop
    only_noop = BASE.replace(
        f'<TechnicalProfile Id="SM-jwt-issuer"><Protocol Name="Proprietary" Handler="{HANDLERS["oauth"]}" /></TechnicalProfile>', ""
    ).replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-jwt-issuer" />', "")
    assert "SM-jwt-issuer" not in only_noop
    assert "SSO004" not in rule_ids(
        run(tmp_path / "noop-only", clean_set(base=only_noop, extensions=NOOP_SIGN_IN.format(session="SM-Noop")))
    )
    # over a missing base, which may declare the providers that keep a sign-in, it is reported
    noop = f'<TechnicalProfile Id="SM-Noop"><Protocol Name="Proprietary" Handler="{HANDLERS["noop"]}" /></TechnicalProfile>'
    own = OIDC_PROFILES.replace("</TechnicalProfiles>", noop + "</TechnicalProfiles>").replace("{self}", SELF)
    partial = clean_set(
        extensions=own.format(idp_session="SM-Noop", page_session="SM-Noop") + SELECT_JOURNEY.format(later="", send=3), rp=rp
    )
    del partial["Base.xml"]
    assert rule_ids(run(tmp_path / "partial", partial)) >= {"INH001", "SSO004"}


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
