"""JRN001–JRN005: journey wiring."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, JOURNEY, RP, clean_set, rule_ids, rules_of, run
from toolkit.lint import Severity


def with_journey(journey: str, subjourneys: str = "") -> dict[str, str]:
    return clean_set(base=BASE.replace(JOURNEY, journey + subjourneys))


def test_clean_journey(tmp_path):
    assert run(tmp_path, with_journey(JOURNEY)).problems == []


def test_duplicate_step_number(tmp_path):
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims"',
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="X" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="2" Type="SendClaims"',
    )
    assert "JRN001" in rule_ids(run(tmp_path, with_journey(journey)))


def test_child_replaces_and_adds_steps_by_order(tmp_path):
    # Extensions redeclares the journey: its step 2 replaces Base's, its step 3 is added.
    ext = (
        '<UserJourneys><UserJourney Id="SignUpOrSignIn"><OrchestrationSteps>'
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    assert rule_ids(run(tmp_path / "merged", clean_set(extensions=ext))) == {"INH006"}
    gap = ext.replace('Order="3"', 'Order="4"')
    assert rule_ids(run(tmp_path / "gap", clean_set(extensions=gap))) == {"INH006", "JRN001"}


def test_duplicate_order_in_one_file_is_reported_over_a_missing_base(tmp_path):
    """A journey written whole in the Extensions file, over a base that is not linted: its
    duplicate Order fails the upload of that file whatever the base holds (the schema keys steps
    by Order); its gaps are left alone (the base may hold the steps between)."""
    step = '<OrchestrationStep Order="{order}" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="E{order}{n}" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
    journey = (
        '<UserJourneys><UserJourney Id="Own"><OrchestrationSteps>{steps}'
        '<OrchestrationStep Order="9" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    duplicate = journey.format(steps=step.format(order=1, n="a") + step.format(order=1, n="b"))
    files = clean_set(extensions=duplicate)
    del files["Base.xml"]
    report = run(tmp_path / "duplicate", files)
    assert [(rule, name) for rule, name, _ in rules_of(report)] == [("INH001", "Extensions.xml"), ("JRN001", "Extensions.xml")]
    (jrn001,) = [p for p in report.problems if p.rule == "JRN001"]
    assert jrn001.message == "UserJourney 'Own': duplicate step Order 1"
    (inh001,) = [p for p in report.problems if p.rule == "INH001"]
    assert "JRN001" in inh001.skipped.split(",") and "JRN001 (gaps only" in inh001.message  # its gaps were not judged
    gaps = clean_set(extensions=journey.format(steps=step.format(order=1, n="a") + step.format(order=3, n="b")))
    del gaps["Base.xml"]
    assert rule_ids(run(tmp_path / "gaps", gaps)) == {"INH001"}


def test_send_claims_without_issuer(tmp_path):
    journey = JOURNEY.replace(' CpimIssuerTechnicalProfileReferenceId="JwtIssuer"', "")
    assert "JRN002" in rule_ids(run(tmp_path, with_journey(journey)))


def test_default_issuer_on_journey_is_enough(tmp_path):
    journey = JOURNEY.replace(' CpimIssuerTechnicalProfileReferenceId="JwtIssuer"', "").replace(
        '<UserJourney Id="SignUpOrSignIn">', '<UserJourney Id="SignUpOrSignIn" DefaultCpimIssuerTechnicalProfileReferenceId="JwtIssuer">'
    )
    assert run(tmp_path, with_journey(journey)).problems == []


def test_step_after_send_claims_is_a_warning(tmp_path):
    journey = JOURNEY.replace(
        "</OrchestrationSteps>",
        '<OrchestrationStep Order="3" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="After" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep></OrchestrationSteps>',
    )
    report = run(tmp_path, with_journey(journey))
    assert [(p.rule, p.severity.value) for p in report.problems if p.rule == "JRN002"] == [("JRN002", "warning")]


def test_selection_with_both_ids(tmp_path):
    journey = JOURNEY.replace(
        '<ClaimsProviderSelection ValidationClaimsExchangeId="SignInExchange" />',
        '<ClaimsProviderSelection ValidationClaimsExchangeId="SignInExchange" TargetClaimsExchangeId="SignInExchange" />',
    )
    assert "JRN003" in rule_ids(run(tmp_path, with_journey(journey)))


def test_claim_equals_without_exists(tmp_path):
    condition = '<Preconditions><Precondition Type="ClaimEquals" ExecuteActionsIf="false"><Value>email</Value><Value>x</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        f'<OrchestrationStep Order="2" Type="ClaimsExchange">{condition}<ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    report = run(tmp_path / "bad", with_journey(journey))
    assert rule_ids(report) == {"JRN004"}
    exists = '<Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>email</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    assert run(tmp_path / "good", with_journey(journey.replace("<Preconditions>", "<Preconditions>" + exists))).problems == []
    # the sign-in page outputs it with a default value: it always exists by step 2
    files = with_journey(journey)
    files["Base.xml"] = files["Base.xml"].replace(
        '<OutputClaim ClaimTypeReferenceId="email" />', '<OutputClaim ClaimTypeReferenceId="email" DefaultValue="none" />'
    )
    assert "DefaultValue" in files["Base.xml"]
    assert run(tmp_path / "default", files).problems == []


def test_claim_equals_that_skips_when_equal_runs_the_step_on_a_missing_claim_as_meant(tmp_path):
    """ExecuteActionsIf true: a missing claim leaves the step to run, as a different value does
    (skip the error page when the CAPTCHA API said success; without an answer, show it)."""
    condition = '<Preconditions><Precondition Type="ClaimEquals" ExecuteActionsIf="{if_}"><Value>email</Value><Value>x</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        f'<OrchestrationStep Order="2" Type="ClaimsExchange">{condition}<ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    assert run(tmp_path / "skip-if-equal", with_journey(journey.format(if_="true"))).problems == []
    assert rule_ids(run(tmp_path / "run-only-if-equal", with_journey(journey.format(if_="false")))) == {"JRN004"}


def test_claim_equals_over_a_missing_base_judges_only_the_literal(tmp_path):
    """The missing base may set the claim with a default (a step of its own, a profile it
    holds); a literal that names a claim is wrong whatever it holds."""
    equals = '<Precondition Type="ClaimEquals" ExecuteActionsIf="false"><Value>email</Value><Value>{literal}</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    journey = (
        '<UserJourneys><UserJourney Id="Own"><OrchestrationSteps>'
        '<OrchestrationStep Order="1" Type="ClaimsExchange"><Preconditions>{equals}</Preconditions><ClaimsExchanges><ClaimsExchange Id="E" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
        "</OrchestrationSteps></UserJourney></UserJourneys>"
    )
    schema = '<BuildingBlocks><ClaimsSchema><ClaimType Id="email"><DataType>string</DataType></ClaimType><ClaimType Id="objectId"><DataType>string</DataType></ClaimType></ClaimsSchema></BuildingBlocks>'
    for name, literal, expected in (("value", "x", set()), ("claim", "objectId", {"JRN004"})):
        files = clean_set(extensions=schema + journey.replace("{equals}", equals.format(literal=literal)))
        complete = run(tmp_path / "whole" / name, files)
        assert "JRN004" in rule_ids(complete)
        del files["Base.xml"]
        report = run(tmp_path / "partial" / name, files)
        assert rule_ids(report) - {"INH001"} == expected
        assert all(p.severity.value == "warning" for p in report.problems if p.rule == "JRN004")


def test_claim_equals_with_a_claim_name_as_its_literal(tmp_path):
    exists = '<Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>email</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    equals = '<Precondition Type="ClaimEquals" ExecuteActionsIf="true"><Value>email</Value><Value>{literal}</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    step = '<OrchestrationStep Order="2" Type="ClaimsExchange"><Preconditions>{conditions}</Preconditions><ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        step.format(conditions=exists + equals)
        + '<OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    (problem,) = run(tmp_path / "bad", with_journey(journey.replace("{literal}", "objectId"))).problems
    assert (problem.rule, problem.severity) == ("JRN004", Severity.WARNING)
    assert "compares 'email' with the text 'objectId', a claim's Id" in problem.message
    assert run(tmp_path / "good", with_journey(journey.replace("{literal}", "someone@contoso.com"))).problems == []


SUB = """<SubJourneys><SubJourney Id="Sub" Type="{type}"><OrchestrationSteps>
  <OrchestrationStep Order="1" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="S" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>
  {extra}
</OrchestrationSteps></SubJourney></SubJourneys>"""


def test_transfer_sub_journey_without_send_claims(tmp_path):
    report = run(tmp_path / "bad", with_journey(JOURNEY, SUB.format(type="Transfer", extra="")))
    assert rules_of(report)[0][0] == "JRN005"
    ok = SUB.format(
        type="Transfer", extra='<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
    )
    assert run(tmp_path / "good", with_journey(JOURNEY, ok)).problems == []


def test_sub_journey_invoking_sub_journey(tmp_path):
    extra = '<OrchestrationStep Order="2" Type="InvokeSubJourney"><JourneyList><Candidate SubJourneyReferenceId="Sub" /></JourneyList></OrchestrationStep>'
    assert rule_ids(run(tmp_path, with_journey(JOURNEY, SUB.format(type="Call", extra=extra)))) == {"JRN005"}


def test_a_precondition_guarded_early_exit_is_not_a_second_send_claims(tmp_path):
    """Microsoft's OAuth2 error pattern: a guarded SendClaims to the error issuer, then the journey."""
    guard = '<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>email</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
    early = '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer">{guard}</OrchestrationStep>'
    last = '<OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
    send = '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />'
    guarded = JOURNEY.replace(send, early.format(guard=guard) + last)
    assert "JRN002" not in rule_ids(run(tmp_path / "good", with_journey(guarded)))
    unguarded = JOURNEY.replace(send, early.format(guard="") + last)
    assert "JRN002" in rule_ids(run(tmp_path / "bad", with_journey(unguarded)))


def test_claim_equals_on_the_authentication_source_or_an_enumeration_value(tmp_path):
    def journey(claim: str, value: str) -> str:
        condition = f'<Preconditions><Precondition Type="ClaimEquals" ExecuteActionsIf="false"><Value>{claim}</Value><Value>{value}</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
        return JOURNEY.replace(
            '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
            f'<OrchestrationStep Order="2" Type="ClaimsExchange">{condition}<ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        )

    choice = '<ClaimType Id="mfaType"><DataType>string</DataType><Restriction><Enumeration Text="Phone" Value="phone" /><Enumeration Text="Email" Value="email" /></Restriction></ClaimType>'
    source = '<ClaimType Id="authenticationSource"><DataType>string</DataType></ClaimType>'
    for name, claim, value in (("source", "authenticationSource", "localAccountAuthentication"), ("choice", "mfaType", "phone")):
        files = clean_set(base=BASE.replace(JOURNEY, journey(claim, value)).replace("</ClaimsSchema>", choice + source + "</ClaimsSchema>"))
        assert "JRN004" not in rule_ids(run(tmp_path / name, files))
    files = clean_set(base=BASE.replace(JOURNEY, journey("mfaType", "sms")).replace("</ClaimsSchema>", choice + "</ClaimsSchema>"))
    assert "JRN004" in rule_ids(run(tmp_path / "other", files))  # not one of its values


def test_a_plain_word_that_is_also_a_claim_id_is_a_value(tmp_path):
    """`extension_mfaMethod` equals `email`: a method's name, not the claim `email`."""
    exists = '<Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>loyaltyNumber</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    equals = '<Precondition Type="ClaimEquals" ExecuteActionsIf="true"><Value>loyaltyNumber</Value><Value>email</Value><Action>SkipThisOrchestrationStep</Action></Precondition>'
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        f'<OrchestrationStep Order="2" Type="ClaimsExchange"><Preconditions>{exists}{equals}</Preconditions><ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    assert "JRN004" not in rule_ids(run(tmp_path, with_journey(journey)))


CT_HANDLER = (
    "Web.TPEngine.Providers.ClaimsTransformationProtocolProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"
)


def guarded(default: str = "none", session: str = "SM-Noop", if_: str = "true", first: str = "", extra: str = "") -> dict[str, str]:
    """Step 2 sets `loyaltyNumber` with a default (profile `Defaults`), step 3 tests that it exists."""
    profile = (
        f'<TechnicalProfile Id="Defaults"><Protocol Name="Proprietary" Handler="{CT_HANDLER}" />'
        f'<OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyNumber" DefaultValue="{default}" /></OutputClaims>'
        + (f'<UseTechnicalProfileForSessionManagement ReferenceId="{session}" />' if session else "")
        + "</TechnicalProfile>"
    )
    guard = f'<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="{if_}"><Value>loyaltyNumber</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        f'<OrchestrationStep Order="2" Type="ClaimsExchange">{first}<ClaimsExchanges><ClaimsExchange Id="D" TechnicalProfileReferenceId="Defaults" /></ClaimsExchanges></OrchestrationStep>'
        f'<OrchestrationStep Order="3" Type="ClaimsExchange">{guard}<ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="4" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    base = BASE.replace(JOURNEY, journey).replace("</TechnicalProfiles>", profile + "</TechnicalProfiles>", 1)
    return clean_set(base=base + extra)


def test_claims_exist_on_a_claim_an_earlier_step_always_sets(tmp_path):
    (problem,) = run(tmp_path / "dead", guarded()).problems
    assert (problem.rule, problem.severity) == ("JRN007", Severity.WARNING)
    assert problem.message == (
        "UserJourney 'SignUpOrSignIn' step 3: ClaimsExist on 'loyaltyNumber' is always true: step 2 (Defaults) always runs "
        "and outputs it with a DefaultValue, so this step never runs"
    )
    (problem,) = run(tmp_path / "never", guarded(if_="false")).problems  # a guard that never applies: harmless
    assert (problem.rule, problem.severity) == ("JRN007", Severity.INFO)
    assert problem.message.endswith("so this precondition never applies")


@pytest.mark.parametrize(
    ("case", "files"),
    [
        # skipped on single sign-on when its session provider is not SM-Noop (or none: the default one)
        ("default session", guarded(session="")),
        # a claim resolver may resolve to nothing
        ("resolver", guarded(default="{OAUTH-KV:loyalty}")),
        # the step that sets it runs only sometimes
        (
            "conditional",
            guarded(
                first='<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>email</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
            ),
        ),
    ],
)
def test_a_claim_that_may_be_missing_is_not_a_dead_guard(tmp_path, case, files):
    assert "JRN007" not in rule_ids(run(tmp_path, files)), case


def test_claims_only_the_chosen_sign_in_or_the_token_sets_are_not_always_there(tmp_path):
    """The sign-in page of a combined step runs only when the user signs in locally (the phone
    sample's `isLocalAccountSignIn`); a relying party's default is for the token only."""
    journey = JOURNEY.replace(
        '<OrchestrationStep Order="2" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true"><Value>loyaltyNumber</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'
        '<ClaimsExchanges><ClaimsExchange Id="Again" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="3" Type="SendClaims" CpimIssuerTechnicalProfileReferenceId="JwtIssuer" />',
    )
    base = BASE.replace(JOURNEY, journey).replace(
        '<OutputClaim ClaimTypeReferenceId="email" />',
        '<OutputClaim ClaimTypeReferenceId="email" /><OutputClaim ClaimTypeReferenceId="loyaltyNumber" DefaultValue="1" />',
    )
    assert 'DefaultValue="1"' in base
    assert "JRN007" not in rule_ids(run(tmp_path / "page", clean_set(base=base)))
    rp = RP.replace("<OutputClaims>", '<OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyNumber" DefaultValue="0" />')
    assert "JRN007" not in rule_ids(run(tmp_path / "token", clean_set(base=BASE.replace(JOURNEY, journey), rp=rp)))


def test_a_default_on_an_editable_field_or_a_claim_a_transformation_can_null_is_not_certain(tmp_path):
    page = guarded().copy()
    base = page["Base.xml"]
    # the profile that sets it is a page that shows the field: the user may clear it
    editable = base.replace(
        f'Handler="{CT_HANDLER}"',
        'Handler="Web.TPEngine.Providers.SelfAssertedAttributeProvider, Web.TPEngine, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"',
    ).replace(
        '<ClaimType Id="loyaltyNumber"><DataType>string</DataType></ClaimType>',
        '<ClaimType Id="loyaltyNumber"><DataType>string</DataType><UserInputType>TextBox</UserInputType></ClaimType>',
    )
    assert "TextBox" in editable
    assert "JRN007" not in rule_ids(run(tmp_path / "editable", {**page, "Base.xml": editable}))
    forced = editable.replace('DefaultValue="none"', 'DefaultValue="none" AlwaysUseDefaultValue="true"')
    assert "JRN007" in rule_ids(run(tmp_path / "forced", {**page, "Base.xml": forced}))
    nulls = '<ClaimsTransformations><ClaimsTransformation Id="Forget" TransformationMethod="NullClaim"><OutputClaims><OutputClaim ClaimTypeReferenceId="loyaltyNumber" TransformationClaimType="claim_to_null" /></OutputClaims></ClaimsTransformation></ClaimsTransformations>'
    nulled = base.replace("</ClaimsSchema>", "</ClaimsSchema>" + nulls)
    assert "JRN007" not in rule_ids(run(tmp_path / "nulled", {**page, "Base.xml": nulled}))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("JRN001", [("Extensions.xml", 11, "UserJourney 'AP-JRN001': steps must be numbered 1..N; missing 3")]),
        ("JRN002", [("Extensions.xml", 11, "UserJourney 'AP-JRN002' has no SendClaims step, so no token is issued")]),
        (
            "JRN003",
            [("Extensions.xml", 15, "TargetClaimsExchangeId 'LocalAccountSigninEmailExchange' is not a ClaimsExchange of the next step")],
        ),
        (
            "JRN004",
            [
                (
                    "Extensions.xml",
                    24,
                    "'AP-JRN004' step 2: ClaimEquals on 'loyaltyTier' (ExecuteActionsIf false) without ClaimsExist; a missing claim "
                    "makes the precondition silently ignored, so what it guards runs as if 'loyaltyTier' were 'gold'",
                )
            ],
        ),
        ("JRN005", [("Extensions.xml", 30, "Transfer SubJourney 'AP-JRN005-Sub' has no SendClaims step")]),
        ("JRN006", [("RelyingParty.xml", 10, "RelyingParty has no DefaultUserJourney: the upload fails, and no journey can be checked")]),
        (
            "JRN007",
            [
                (
                    "Extensions.xml",
                    49,
                    "UserJourney 'AP-JRN007' step 3: ClaimsExist on 'isMigrated' is always true: step 2 "
                    "(ClaimsTransformation-JRN007-Defaults) always runs and outputs it with a DefaultValue, so this step never runs",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
