"""AAD001: directory writes on every sign-in."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, HANDLERS, clean_set, provider, rule_ids, run

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
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
