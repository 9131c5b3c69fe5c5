"""AAD001: directory writes on every sign-in; AAD002: a REST call that can fail after the account is created."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, HANDLERS, clean_set, provider, rest_profile, rule_ids, run
from toolkit.lint import Config

WRITER = (
    f'<TechnicalProfile Id="AAD-UserWrite"><Protocol Name="Proprietary" Handler="{HANDLERS["aad"]}" />'
    '<Metadata><Item Key="Operation">Write</Item></Metadata>'
    '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="email" /></PersistedClaims>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
)
PRECONDITION = '<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true"><Value>objectId</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>'


def with_write_step(preconditions: str) -> dict[str, str]:
    step = (
        f'<OrchestrationStep Order="2" Type="ClaimsExchange">{preconditions}<ClaimsExchanges>'
        '<ClaimsExchange Id="Write" TechnicalProfileReferenceId="AAD-UserWrite" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="3" Type="SendClaims"'
    )
    base = BASE.replace('<OrchestrationStep Order="2" Type="SendClaims"', step).replace(
        "</BuildingBlocks>", "</BuildingBlocks>" + provider(WRITER)
    )
    return clean_set(base=base)


def test_write_step_with_precondition(tmp_path):
    assert run(tmp_path, with_write_step(PRECONDITION)).problems == []


def test_write_as_validation_of_sign_in_profile(tmp_path):
    def base(preconditions: str) -> str:
        vtp = f'<ValidationTechnicalProfile ReferenceId="AAD-UserWrite">{preconditions}</ValidationTechnicalProfile>'
        return BASE.replace("<ValidationTechnicalProfiles>", "<ValidationTechnicalProfiles>" + vtp).replace(
            "</BuildingBlocks>", "</BuildingBlocks>" + provider(WRITER)
        )

    assert rule_ids(run(tmp_path / "bad", clean_set(base=base("")))) == {"AAD001"}
    assert run(tmp_path / "good", clean_set(base=base(PRECONDITION))).problems == []


UNRELATED = (
    '<Preconditions><Precondition Type="ClaimEquals" ExecuteActionsIf="true"><Value>authenticationSource</Value>'
    "<Value>socialIdpAuthentication</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>"
)


def test_a_precondition_on_an_unrelated_claim_still_writes_on_every_sign_in(tmp_path):
    # the step is skipped for social accounts only: every local sign-in still writes
    assert "AAD001" in rule_ids(run(tmp_path, with_write_step(UNRELATED)))


def test_a_journey_whose_purpose_is_to_write_is_not_a_sign_in_write(tmp_path):
    """Account linking, as in the advanced-policies and woodgrove samples: the write is the point."""
    files = with_write_step("")
    for name in files:
        files[name] = files[name].replace("SignUpOrSignIn", "SignInAndLinkAccount")
    assert "AAD001" not in rule_ids(run(tmp_path, files))


SELF = HANDLERS["self"]
PAGE = (
    f'<TechnicalProfile Id="SelfAsserted-Terms"><Protocol Name="Proprietary" Handler="{SELF}" />'
    '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>'
    '<ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="AAD-UserWrite" /></ValidationTechnicalProfiles>'
    '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
)


def test_a_write_in_the_validation_profile_of_a_later_step_counts(tmp_path):
    step = (
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges>'
        '<ClaimsExchange Id="Terms" TechnicalProfileReferenceId="SelfAsserted-Terms" /></ClaimsExchanges></OrchestrationStep>'
        '<OrchestrationStep Order="3" Type="SendClaims"'
    )
    base = BASE.replace('<OrchestrationStep Order="2" Type="SendClaims"', step).replace(
        "</BuildingBlocks>", "</BuildingBlocks>" + provider(WRITER, PAGE)
    )
    assert rule_ids(run(tmp_path / "bad", clean_set(base=base))) == {"AAD001"}
    guarded = base.replace(
        '<OrchestrationStep Order="2" Type="ClaimsExchange">', '<OrchestrationStep Order="2" Type="ClaimsExchange">' + PRECONDITION
    )
    assert run(tmp_path / "good", clean_set(base=guarded)).problems == []


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "AAD001",
            [
                (
                    "Extensions.xml",
                    44,
                    "'AP-AAD001' writes to the directory through 'AAD-UserWriteOnSignIn' on every sign-in; add a precondition",
                )
            ],
        ),
        (
            "AAD002",
            [
                (
                    "Extensions.xml",
                    63,
                    "page 'SelfAsserted-RedeemInvitation' calls 'REST-ActivateMembership' after 'AAD-UserWriteUsingLogonEmail' created "
                    "the account, and its failure is not contained: the account exists, and submitting the page again fails with "
                    "'user already exists'",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected


CREATOR = (
    f'<TechnicalProfile Id="AAD-UserWriteUsingLogonEmail"><Protocol Name="Proprietary" Handler="{HANDLERS["aad"]}" />'
    '<Metadata><Item Key="Operation">Write</Item><Item Key="RaiseErrorIfClaimsPrincipalAlreadyExists">{raise_}</Item></Metadata>'
    '<PersistedClaims><PersistedClaim ClaimTypeReferenceId="email" /></PersistedClaims>'
    '<OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" /><OutputClaim ClaimTypeReferenceId="newUser" PartnerClaimType="newClaimsPrincipalCreated" />'
    "</OutputClaims></TechnicalProfile>"
)
NEW_USER_ONLY = (
    '<Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="false"><Value>newUser</Value>'
    "<Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>"
)


def sign_up(validations: str, step: str | None = None, raise_: str = "true", sign_in_outputs: str = "") -> dict[str, str]:
    """A sign-up page validated by `validations`, then (when `step` holds its preconditions) a step that calls
    REST-Provision; the sign-in page outputs `sign_in_outputs` too."""
    page = (
        f'<TechnicalProfile Id="SelfAsserted-SignUp"><Protocol Name="Proprietary" Handler="{SELF}" />'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /><OutputClaim ClaimTypeReferenceId="newUser" /></OutputClaims>'
        f"<ValidationTechnicalProfiles>{validations}</ValidationTechnicalProfiles></TechnicalProfile>"
    )
    steps = (
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges>'
        '<ClaimsExchange Id="SignUp" TechnicalProfileReferenceId="SelfAsserted-SignUp" /></ClaimsExchanges></OrchestrationStep>'
    )
    end = 3
    if step is not None:
        steps += (
            f'<OrchestrationStep Order="3" Type="ClaimsExchange">{step}<ClaimsExchanges>'
            '<ClaimsExchange Id="Provision" TechnicalProfileReferenceId="REST-Provision" /></ClaimsExchanges></OrchestrationStep>'
        )
        end = 4
    base = (
        BASE.replace('<OrchestrationStep Order="2" Type="SendClaims"', steps + f'<OrchestrationStep Order="{end}" Type="SendClaims"')
        .replace(
            "</BuildingBlocks>", "</BuildingBlocks>" + provider(CREATOR.replace("{raise_}", raise_), page, rest_profile("REST-Provision"))
        )
        .replace(
            '<OutputClaims><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>',
            f'<OutputClaims><OutputClaim ClaimTypeReferenceId="email" />{sign_in_outputs}</OutputClaims>',
            1,
        )
    )
    return clean_set(base=base)


WRITE = '<ValidationTechnicalProfile ReferenceId="AAD-UserWriteUsingLogonEmail" />'
PROVISION = '<ValidationTechnicalProfile ReferenceId="REST-Provision" />'


def aad002(tmp_path, files: dict[str, str]) -> list[str]:
    return [p.message for p in run(tmp_path, files, Config(select=["AAD002"])).problems]


def test_a_rest_validation_after_the_account_is_created_strands_it(tmp_path):
    assert aad002(tmp_path, sign_up(WRITE + PROVISION)) == [
        "page 'SelfAsserted-SignUp' calls 'REST-Provision' after 'AAD-UserWriteUsingLogonEmail' created the account, and its failure "
        "is not contained: the account exists, and submitting the page again fails with 'user already exists'"
    ]


@pytest.mark.parametrize(
    "files",
    [
        sign_up(WRITE + PROVISION.replace("/>", 'ContinueOnError="true" />')),  # contained
        sign_up(PROVISION + WRITE),  # validate first, create last
        sign_up(WRITE + PROVISION, raise_="false"),  # an update: a retry writes again
        sign_up(WRITE.replace("/>", 'ContinueOnSuccess="false" />') + PROVISION),  # the chain stops after the write
        sign_up(
            WRITE
            + PROVISION.replace(
                "/>",
                '><Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true"><Value>objectId</Value>'
                "<Action>SkipThisValidationTechnicalProfile</Action></Precondition></Preconditions></ValidationTechnicalProfile>",
            )
        ),  # skipped once the write returned objectId
    ],
    ids=["continue-on-error", "rest-first", "update", "continue-on-success-false", "skipped-after-write"],
)
def test_a_contained_or_earlier_call_or_an_update_does_not_strand_the_account(tmp_path, files):
    assert aad002(tmp_path, files) == []


def test_a_journey_step_only_for_new_accounts_after_the_creation_strands_it(tmp_path):
    assert aad002(tmp_path, sign_up(WRITE, step=NEW_USER_ONLY)) == [
        "UserJourney 'SignUpOrSignIn' calls 'REST-Provision' only for a new account (newUser is set by 'AAD-UserWriteUsingLogonEmail'), "
        "and its failure ends the journey: the account exists, and the retry signs in without calling it again"
    ]


def test_a_journey_step_a_retry_runs_again_does_not_strand_the_account(tmp_path):
    """A step for every user runs again when the user signs in after the failure; a claim other steps set too is no sign of a new account."""
    assert aad002(tmp_path / "every-user", sign_up(WRITE, step="")) == []
    also_set = sign_up(WRITE, step=NEW_USER_ONLY, sign_in_outputs='<OutputClaim ClaimTypeReferenceId="newUser" DefaultValue="false" />')
    assert aad002(tmp_path / "set-elsewhere", also_set) == []
