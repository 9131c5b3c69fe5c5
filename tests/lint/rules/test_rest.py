"""REST001–REST011: the example sets, variants of them and passing cases, several only visible after merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import ADVISORY, BASE, JOURNEY, RP, clean_set, policy, provider, rest_profile, rule_ids, rules_of, run
from toolkit.lint import Config

RESILIENT = rest_profile()


def with_rest(profile: str, extensions: str = "") -> dict[str, str]:
    """The clean set with its REST profile replaced."""
    return clean_set(base=BASE.replace(RESILIENT, profile), extensions=extensions)


def meta(*items: tuple[str, str]) -> str:
    return "\n".join(f'<Item Key="{k}">{v}</Item>' for k, v in items)


SAFE = (
    ("ServiceUrl", "https://api.contoso.com/x"),
    ("AuthenticationType", "ClientCertificate"),
    ("DefaultUserMessageIfRequestFailed", "Try later"),
    ("UserMessageIfCircuitOpen", "Unavailable"),
)
CERT = '<CryptographicKeys><Key Id="ClientCertificate" StorageReferenceId="B2C_1A_Cert" /></CryptographicKeys>'


def replace(items: tuple[tuple[str, str], ...], key: str, value: str | None) -> tuple[tuple[str, str], ...]:
    kept = tuple(i for i in items if i[0] != key)
    return kept if value is None else (*kept, (key, value))


@pytest.mark.parametrize(
    ("rule", "items", "keys"),
    [
        ("REST006", replace(SAFE, "ServiceUrl", "https://{email}.contoso.com/x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://localhost:7071/api/x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://api.localhost./x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://127.0.0.1/x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://10.1.2.3:8443/x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://169.254.169.254/x"), CERT),
        ("REST006", replace(SAFE, "ServiceUrl", "https://[::1]/x"), CERT),
        (
            "REST008",
            replace(SAFE, "AuthenticationType", "Basic"),
            '<CryptographicKeys><Key Id="BasicAuthenticationUsername" StorageReferenceId="u" /></CryptographicKeys>',
        ),
        ("REST008", replace(SAFE, "AuthenticationType", "Bearer"), ""),
        ("REST008", replace(SAFE, "AuthenticationType", "ApiKeyHeader"), ""),
    ],
)
def test_rule_fires(tmp_path, rule, items, keys):
    """Variants of the examples (`test_example_set`): claims, loopback and private hosts, other authentication types."""
    report = run(tmp_path, with_rest(rest_profile(metadata=meta(*items), extra=keys)))
    assert rule_ids(report) == {rule}


@pytest.mark.parametrize(
    ("items", "keys"),
    [
        (SAFE, CERT),
        (replace(SAFE, "ServiceUrl", "https://{Settings:ApiHost}/x"), CERT),
        (replace(SAFE, "ServiceUrl", "https://api.contoso.com/{email}/x"), CERT),
        (replace(SAFE, "ServiceUrl", "https://20.50.2.1/x"), CERT),  # a public address
        (replace(SAFE, "ServiceUrl", "https://localhost.contoso.com/x"), CERT),  # a name: DNS decides
        (replace(replace(SAFE, "AuthenticationType", "Bearer"), "UseClaimAsBearerToken", "email"), ""),
        (
            replace(SAFE, "AuthenticationType", "ApiKeyHeader"),
            '<CryptographicKeys><Key Id="x-functions-key" StorageReferenceId="k" /></CryptographicKeys>',
        ),
        (
            replace(SAFE, "AuthenticationType", "Basic"),
            '<CryptographicKeys><Key Id="BasicAuthenticationUsername" StorageReferenceId="u" /><Key Id="BasicAuthenticationPassword" StorageReferenceId="p" /></CryptographicKeys>',
        ),
    ],
)
def test_rule_passes(tmp_path, items, keys):
    config = Config(ignore=[*ADVISORY, "SET001"])  # {Settings:ApiHost} is SET001's business, not REST006's
    assert run(tmp_path, with_rest(rest_profile(metadata=meta(*items), extra=keys)), config).problems == []


def test_failure_message_from_localization_counts(tmp_path):
    localization = (
        '<BuildingBlocks><Localization Enabled="true"><SupportedLanguages DefaultLanguage="en"><SupportedLanguage>en</SupportedLanguage></SupportedLanguages>'
        '<LocalizedResources Id="api.en"><LocalizedStrings><LocalizedString ElementType="ErrorMessage" StringId="DefaultUserMessageIfRequestFailed">Try later</LocalizedString>'
        "</LocalizedStrings></LocalizedResources></Localization></BuildingBlocks>"
    )
    items = replace(SAFE, "DefaultUserMessageIfRequestFailed", None)
    report = run(tmp_path, with_rest(rest_profile(metadata=meta(*items), extra=CERT), extensions=localization))
    assert "REST001" not in rule_ids(report)


def test_debug_mode_set_in_extensions_points_at_extensions(tmp_path):
    override = provider('<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">true</Item></Metadata></TechnicalProfile>')
    report = run(tmp_path, clean_set(extensions=override))
    assert [(r, f) for r, f, _ in rules_of(report)] == [("REST005", "Extensions.xml")]
    assert report.problems[0].policy == "B2C_1A_signup_signin"


def test_value_fixed_in_child_is_not_reported(tmp_path):
    fixed = provider('<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>')
    report = run(tmp_path, with_rest(rest_profile(metadata=meta(*SAFE, ("DebugMode", "true")), extra=CERT), extensions=fixed))
    assert report.problems == []


def test_insecure_url_inherited_through_include(tmp_path):
    common = rest_profile("REST-Common", metadata=meta(*replace(SAFE, "ServiceUrl", "http://api.contoso.com/x")), extra=CERT)
    including = '<TechnicalProfile Id="REST-GetLoyalty"><IncludeTechnicalProfile ReferenceId="REST-Common" /></TechnicalProfile>'
    report = run(tmp_path, clean_set(base=BASE.replace(RESILIENT, common + including)))
    (problem,) = report.problems
    assert (problem.rule, problem.path.endswith("Base.xml")) == ("REST006", True)
    assert "REST-GetLoyalty" in problem.message


def test_include_overrides_included_value(tmp_path):
    common = rest_profile("REST-Common", metadata=meta(*replace(SAFE, "ServiceUrl", "http://api.contoso.com/x")), extra=CERT)
    including = '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="ServiceUrl">https://api.contoso.com/y</Item></Metadata><IncludeTechnicalProfile ReferenceId="REST-Common" /></TechnicalProfile>'
    assert run(tmp_path, clean_set(base=BASE.replace(RESILIENT, common + including))).problems == []


def test_unreachable_rest_profile_is_not_checked(tmp_path):
    unused = rest_profile("REST-Unused", metadata=meta(*replace(SAFE, "AuthenticationType", "None")), extra="")
    assert run(tmp_path, clean_set(base=BASE.replace(RESILIENT, RESILIENT + unused))).problems == []


def test_direct_rest_step_and_blocking_validation(tmp_path):
    base = BASE.replace('ContinueOnError="true"', "").replace(
        '<OrchestrationStep Order="2" Type="SendClaims"',
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Loyalty" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep>\n'
        '<OrchestrationStep Order="3" Type="SendClaims"',
    )
    report = run(tmp_path, clean_set(base=base))
    severities = sorted((p.rule, p.severity.value) for p in report.problems)
    assert severities == [("REST009", "warning")]  # the blocking validation is REST010's inventory


def test_the_inventory_names_validations_that_block_their_page(tmp_path):
    files = with_validations("REST-GetLoyalty", "REST-Fraud", "REST-Audit")
    files["Base.xml"] = files["Base.xml"].replace(
        '<ValidationTechnicalProfile ReferenceId="REST-Fraud" ContinueOnError="true" />',
        '<ValidationTechnicalProfile ReferenceId="REST-Fraud" />',
    )
    report = run(tmp_path, files, Config(select=["ALL", "REST010"]))
    (problem,) = [p for p in report.problems if p.rule == "REST010"]
    assert problem.message.endswith("1 of them validate a page without ContinueOnError, so their failure blocks it (REST-Fraud)")
    assert "REST009" not in rule_ids(report)


def test_relying_parties_on_one_journey_share_the_finding(tmp_path):
    # REST rules run once per (merged content, journeys): both relying parties must still be named
    override = provider('<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">true</Item></Metadata></TechnicalProfile>')
    files = clean_set(extensions=override)
    files["Other.xml"] = policy("B2C_1A_other", RP, base="B2C_1A_TrustFrameworkExtensions")
    (problem,) = run(tmp_path, files).problems
    assert (problem.rule, problem.policy) == ("REST005", "B2C_1A_other, B2C_1A_signup_signin")


def with_validations(*rest_ids: str, unused: str = "") -> dict[str, str]:
    """The clean set whose sign-in page validates through these REST profiles (plus `unused`, defined only)."""
    validations = "".join(f'<ValidationTechnicalProfile ReferenceId="{r}" ContinueOnError="true" />' for r in rest_ids)
    profiles = "".join(rest_profile(r) for r in (*rest_ids, *filter(None, [unused])) if r != "REST-GetLoyalty")
    base = BASE.replace('<ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" />', validations)
    return clean_set(base=base.replace(RESILIENT, RESILIENT + profiles))


def test_many_rest_apis_behind_one_sign_in(tmp_path):
    assert "REST010" not in rule_ids(run(tmp_path / "default", with_validations("REST-GetLoyalty", "REST-Fraud", "REST-Audit")))
    report = run(tmp_path / "selected", with_validations("REST-GetLoyalty", "REST-Fraud", "REST-Audit"), Config(select=["ALL", "REST010"]))
    (problem,) = [p for p in report.problems if p.rule == "REST010"]
    line = Path(problem.path).read_text().splitlines()[problem.line - 1]
    assert line[problem.column - 1 :].startswith("<DefaultUserJourney")  # in the relying-party file
    assert "3 REST APIs (REST-Audit, REST-Fraud, REST-GetLoyalty)" in problem.message


def test_two_rest_apis_and_unused_profiles_are_within_budget(tmp_path):
    report = run(tmp_path, with_validations("REST-GetLoyalty", "REST-Fraud", unused="REST-Audit"), Config(select=["ALL", "REST010"]))
    assert "REST010" not in rule_ids(report)


def test_a_rest_call_in_a_journey_without_pages_is_what_the_journey_is_for(tmp_path):
    """A client-credentials journey: no page to validate on, and no user to show a fallback."""
    journey = (
        '<UserJourneys><UserJourney Id="ClientCredentials"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Call" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    files = clean_set(extensions=journey, rp=RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="ClientCredentials"'))
    assert "REST009" not in rule_ids(run(tmp_path / "machine", files))
    interactive = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims"',
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Call" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims"',
    )
    assert "REST009" in rule_ids(run(tmp_path / "user", clean_set(base=BASE.replace(JOURNEY, interactive))))


def test_circuit_breaker_messages_matter_only_where_a_user_reads_them(tmp_path):
    """A client-credentials journey shows nobody a message; the same call from a sign-in does."""
    machine = (
        '<UserJourneys><UserJourney Id="ClientCredentials"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Call" TechnicalProfileReferenceId="REST-Token" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    token = rest_profile("REST-Token").replace('<Item Key="UserMessageIfCircuitOpen">This service is temporarily unavailable.</Item>', "")
    rp = RP.replace('ReferenceId="SignUpOrSignIn"', 'ReferenceId="ClientCredentials"')
    assert "REST002" not in rule_ids(run(tmp_path / "machine", clean_set(extensions=provider(token) + machine, rp=rp)))
    user = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims"',
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Call" TechnicalProfileReferenceId="REST-Token" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims"',
    )
    assert "REST002" in rule_ids(run(tmp_path / "user", clean_set(base=BASE.replace(JOURNEY, provider(token) + user))))


def test_debug_mode_in_a_development_folder_is_an_info(tmp_path):
    files = clean_set(
        base=BASE.replace('<Item Key="SendClaimsIn">Body</Item>', '<Item Key="SendClaimsIn">Body</Item><Item Key="DebugMode">true</Item>')
    )
    for folder, severity in (("production", "warning"), ("development", "info")):
        report = run(tmp_path, {f"{folder}/{name}": text for name, text in files.items()})
        assert [p.severity.value for p in report.problems if p.rule == "REST005" and f"/{folder}/" in p.path] == [severity]


def test_a_call_that_sends_its_own_credential_is_not_anonymous(tmp_path):
    """A client secret in the body authenticates; a key in the URL is named as the only protection."""

    def files(extra_meta: str, claim: str) -> dict[str, str]:
        ext = provider(
            '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="AuthenticationType">None</Item>'
            f'<Item Key="ServiceUrl">https://api.contoso.com/loyalty{extra_meta}</Item></Metadata>'
            f'<InputClaims><InputClaim ClaimTypeReferenceId="{claim}" /></InputClaims></TechnicalProfile>'
        )
        return clean_set(extensions=ext)

    assert "REST003" in rule_ids(run(tmp_path / "open", files("", "email")))
    query = [p.message for p in run(tmp_path / "query", files("?code=abc", "email")).problems if p.rule == "REST003"]
    assert len(query) == 1 and "only with a key in its URL" in query[0]
    assert "REST003" not in rule_ids(run(tmp_path / "secret", files("", "client_secret")))


def test_insecure_auth_in_a_development_folder_is_an_info(tmp_path):
    files = clean_set(
        base=BASE.replace(
            '<Item Key="SendClaimsIn">Body</Item>',
            '<Item Key="SendClaimsIn">Body</Item><Item Key="AllowInsecureAuthInProduction">true</Item>',
        ).replace('<Item Key="AuthenticationType">ClientCertificate</Item>', '<Item Key="AuthenticationType">None</Item>')
    )
    for folder, severity in (("production", "error"), ("development", "info")):
        report = run(tmp_path, {f"{folder}/{name}": text for name, text in files.items()})
        assert [p.severity.value for p in report.problems if p.rule == "REST004" and f"/{folder}/" in p.path] == [severity]


@pytest.mark.parametrize("authentication", ["Bearer", "Basic", "ClientCertificate", "ApiKeyHeader"])
def test_insecure_auth_flag_matters_only_without_authentication(tmp_path, authentication):
    """The flag allows AuthenticationType None in production; with any other it changes nothing."""
    files = clean_set(
        base=BASE.replace(
            '<Item Key="SendClaimsIn">Body</Item>',
            '<Item Key="SendClaimsIn">Body</Item><Item Key="AllowInsecureAuthInProduction">true</Item>',
        ).replace('<Item Key="AuthenticationType">ClientCertificate</Item>', f'<Item Key="AuthenticationType">{authentication}</Item>')
    )
    assert "REST004" not in rule_ids(run(tmp_path, files))


def test_insecure_auth_flag_on_a_client_credentials_call(tmp_path):
    """A token-endpoint call sends its client secret in the body: None is its only AuthenticationType."""

    def files(claim: str) -> dict[str, str]:
        ext = provider(
            '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="AuthenticationType">None</Item>'
            '<Item Key="AllowInsecureAuthInProduction">true</Item></Metadata>'
            f'<InputClaims><InputClaim ClaimTypeReferenceId="{claim}" /></InputClaims></TechnicalProfile>'
        )
        return clean_set(extensions=ext)

    assert "REST004" in rule_ids(run(tmp_path / "open", files("email")))
    assert "REST004" not in rule_ids(run(tmp_path / "secret", files("client_secret")))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "REST001",
            [
                (
                    "Extensions.xml",
                    14,
                    "REST profile 'REST-REST001' has no DefaultUserMessageIfRequestFailed: on failure users see the default message with the service URL",
                )
            ],
        ),
        (
            "REST002",
            [
                (
                    "Extensions.xml",
                    14,
                    "REST profile 'REST-REST002' sets no circuit-breaker message (UserMessageIfCircuitOpen, UserMessageIfRequestTimeout, UserMessageIfDnsResolutionFailed)",
                )
            ],
        ),
        ("REST003", [("Extensions.xml", 20, "REST profile 'REST-REST003' calls its API anonymously (AuthenticationType None)")]),
        ("REST004", [("Extensions.xml", 21, "REST profile 'REST-REST004' allows insecure authentication in production")]),
        ("REST005", [("Extensions.xml", 21, "REST profile 'REST-REST005' has DebugMode on: API error details reach users")]),
        ("REST006", [("Extensions.xml", 18, "REST profile 'REST-REST006' ServiceUrl is not an https URL")]),
        (
            "REST007",
            [
                (
                    "Extensions.xml",
                    18,
                    "REST profile 'REST-REST007' ServiceUrl carries a credential in its query (code); use a policy key in a header",
                )
            ],
        ),
        (
            "REST008",
            [("Extensions.xml", 19, "REST profile 'REST-REST008' uses ClientCertificate authentication but has no key ClientCertificate")],
        ),
        (
            "REST009",
            [
                (
                    "Extensions.xml",
                    48,
                    "UserJourney 'AP-REST009' calls REST profile 'REST-REST009' directly: any API failure ends the journey; call it as a validation profile with ContinueOnError",
                )
            ],
        ),
        (
            "REST010",
            [
                (
                    "RelyingParty.xml",
                    10,
                    "this policy's journeys call 3 REST APIs (REST-AuditSignIn, REST-FraudCheck, REST-GetLoyaltyTier): any one down or slow can stall or fail a sign-in",
                )
            ],
        ),
        (
            "REST011",
            [
                (
                    "Extensions.xml",
                    52,
                    "SelfAsserted-CustomerDetails lets the user type customerId, which its validation profile REST-LookUpCustomer also "
                    "returns: when the API leaves it out, the typed value goes into the token",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected


TYPED = '<ClaimType Id="loyaltyNumber"><DataType>string</DataType><UserInputType>{kind}</UserInputType></ClaimType>'
API_INPUT = '<InputClaims><InputClaim ClaimTypeReferenceId="email" /></InputClaims>'


def injection(kind: str = "TextBox", returned: str = "", read: bool = False, issued: str = "token") -> dict[str, str]:
    """The sign-in page also asks for `loyaltyNumber` (of UserInputType `kind`), which its REST validation returns
    (`returned`: the output claim's attributes) and, when `read`, reads; the claim is issued in the `token` or
    persisted to the `directory`."""
    api = RESILIENT.replace(
        API_INPUT,
        (API_INPUT.replace("</InputClaims>", '<InputClaim ClaimTypeReferenceId="loyaltyNumber" /></InputClaims>') if read else API_INPUT)
        + f'<OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyNumber" {returned}/></OutputClaims>',
    )
    base = (
        BASE.replace(RESILIENT, api)
        .replace('<ClaimType Id="loyaltyNumber"><DataType>string</DataType></ClaimType>', TYPED.format(kind=kind))
        .replace(
            '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
            '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /><OutputClaim ClaimTypeReferenceId="loyaltyNumber" /></OutputClaims>',
        )
    )
    rp = RP
    if issued == "token":
        rp = RP.replace("<OutputClaims>", '<OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyNumber" />')
    elif issued == "directory":
        writer = (
            '<TechnicalProfile Id="AAD-UserWrite"><Protocol Name="Proprietary" Handler="Web.TPEngine.Providers.AzureActiveDirectoryProvider, '
            'Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null" /><Metadata><Item Key="Operation">Write</Item></Metadata>'
            '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="loyaltyNumber" /></PersistedClaims></TechnicalProfile>'
        )
        base = base.replace(
            '<ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" />',
            '<ValidationTechnicalProfile ReferenceId="REST-GetLoyalty" ContinueOnError="true" /><ValidationTechnicalProfile ReferenceId="AAD-UserWrite" />',
        ).replace(JOURNEY, provider(writer) + JOURNEY)
    return clean_set(base=base, rp=rp)


def test_a_claim_the_page_asks_for_and_the_api_returns_is_injectable(tmp_path):
    problems = run(tmp_path / "token", injection(), Config(select=["REST011"])).problems
    assert [(p.severity.value, p.message) for p in problems] == [
        (
            "warning",
            "SelfAsserted-SignIn lets the user type loyaltyNumber, which its validation profile REST-GetLoyalty also returns: "
            "when the API leaves it out, the typed value goes into the token",
        )
    ]
    stored = run(tmp_path / "directory", injection(issued="directory"), Config(select=["REST011"])).problems
    assert [p.message.rsplit(" ", 1)[-1] for p in stored] == ["directory"]


@pytest.mark.parametrize(
    "files",
    [
        injection(kind="Readonly"),  # shown, not typed
        injection(kind="Paragraph"),
        injection(read=True),  # the API saw the typed value: a check or a normalisation
        injection(returned='DefaultValue="none"'),  # set even when the API leaves it out
        injection(issued="nowhere"),  # neither in the token nor in the directory
    ],
    ids=["readonly", "paragraph", "read-by-the-api", "default-value", "not-issued"],
)
def test_a_returned_claim_the_user_cannot_change_or_that_goes_nowhere_is_no_injection(tmp_path, files):
    assert run(tmp_path, files, Config(select=["REST011"])).problems == []


def test_injection_is_judged_for_each_relying_party_s_own_token(tmp_path):
    """Two relying parties over the same journeys, only one issuing the typed claim: the finding names that one
    (the verdict reads the relying party's own output claims, so it is not shared between them)."""
    files = injection()
    files["Other.xml"] = policy("B2C_1A_other", RP, base="B2C_1A_TrustFrameworkExtensions")
    for order in ("token-first", "other-first"):
        ordered = dict(sorted(files.items(), reverse=order == "other-first"))
        problems = run(tmp_path / order, ordered, Config(select=["REST011"])).problems
        assert [p.policy for p in problems] == ["B2C_1A_signup_signin"], order
