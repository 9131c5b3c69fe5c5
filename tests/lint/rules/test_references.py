"""INH007: references across the merged chain that name nothing, and overrides of nothing."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import ADVISORY, BASE, clean_set, provider, rule_ids, run
from toolkit.lint import Config, Severity
from toolkit.lint.model import MAX_INCLUDE_DEPTH


def test_dangling_references(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="SelfAsserted-SignIn"><ValidationTechnicalProfiles><ValidationTechnicalProfile ReferenceId="REST-Missing" /></ValidationTechnicalProfiles>'
        '<OutputClaims><OutputClaim ClaimTypeReferenceId="nosuchclaim" /></OutputClaims></TechnicalProfile>'
    )
    report = run(tmp_path, clean_set(extensions=ext))
    assert sorted(p.message.split(" names")[0] for p in report.problems) == [
        "ClaimTypeReferenceId 'nosuchclaim'",
        "ReferenceId 'REST-Missing'",
    ]
    assert rule_ids(report) == {"INH007"}


def building_blocks(predicate: str, validation: str, resources: str) -> str:
    """Extensions content: a password claim validated by predicates, a localized page, and
    the Ids they reference (each replaceable to dangle)."""
    return f"""<BuildingBlocks>
  <ClaimsSchema><ClaimType Id="newPassword"><DataType>string</DataType><PredicateValidationReference Id="{validation}" /></ClaimType></ClaimsSchema>
  <Predicates><Predicate Id="IsLengthBetween8And64" Method="IsLengthRange"><Parameters><Parameter Id="Minimum">8</Parameter><Parameter Id="Maximum">64</Parameter></Parameters></Predicate></Predicates>
  <PredicateValidations><PredicateValidation Id="StrongPassword"><PredicateGroups><PredicateGroup Id="Length">
    <PredicateReferences><PredicateReference Id="{predicate}" /></PredicateReferences></PredicateGroup></PredicateGroups></PredicateValidation></PredicateValidations>
  <ContentDefinitions><ContentDefinition Id="api.signuporsignin">
    <LocalizedResourcesReferences MergeBehavior="Prepend"><LocalizedResourcesReference Language="en" LocalizedResourcesReferenceId="{resources}" /></LocalizedResourcesReferences>
  </ContentDefinition></ContentDefinitions>
  <Localization Enabled="true"><SupportedLanguages DefaultLanguage="en"><SupportedLanguage>en</SupportedLanguage></SupportedLanguages>
    <LocalizedResources Id="api.signuporsignin.en"><LocalizedStrings /></LocalizedResources></Localization>
</BuildingBlocks>"""


def test_dangling_predicate_and_localization_references(tmp_path):
    report = run(tmp_path, clean_set(extensions=building_blocks("IsLengthMissing", "StrongPasswordTypo", "api.signin.fr")))
    assert sorted(p.message for p in report.problems) == [
        "Id 'IsLengthMissing' names no predicate in this file or its bases",
        "Id 'StrongPasswordTypo' names no predicate validation in this file or its bases",
        "LocalizedResourcesReferenceId 'api.signin.fr' names no localized resource in this file or its bases",
    ]
    assert all(p.path.endswith("Extensions.xml") for p in report.problems)


def test_predicate_and_localization_references_that_resolve(tmp_path):
    report = run(tmp_path, clean_set(extensions=building_blocks("IsLengthBetween8And64", "StrongPassword", "api.signuporsignin.en")))
    assert report.problems == []


def test_override_of_a_profile_no_base_declares(tmp_path):
    typo = provider('<TechnicalProfile Id="REST-GetLoyality"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>')
    (problem,) = run(tmp_path, clean_set(extensions=typo)).problems
    assert (problem.rule, problem.path.endswith("Extensions.xml")) == ("INH007", True)
    assert problem.message.endswith("overrides a TechnicalProfile no base declares; did you mean 'REST-GetLoyalty'?")


def test_override_of_a_claim_type_no_base_declares(tmp_path):
    typo = '<BuildingBlocks><ClaimsSchema><ClaimType Id="loyaltyNumbr"><UserHelpText>Your card number</UserHelpText></ClaimType></ClaimsSchema></BuildingBlocks>'
    (problem,) = run(tmp_path, clean_set(extensions=typo)).problems
    assert (problem.rule, problem.path.endswith("Extensions.xml")) == ("INH007", True)
    assert problem.message == (
        "ClaimType 'loyaltyNumbr' has no DataType in this file or its bases: it overrides a ClaimType no base declares; did you mean 'loyaltyNumber'?"
    )


def test_override_of_a_content_definition_no_base_declares(tmp_path):
    typo = '<BuildingBlocks><ContentDefinitions><ContentDefinition Id="api.signupsignin"><LoadUri>https://cdn.contoso.com/unified.html</LoadUri></ContentDefinition></ContentDefinitions></BuildingBlocks>'
    (problem,) = run(tmp_path, clean_set(extensions=typo)).problems
    assert problem.message == (
        "ContentDefinition 'api.signupsignin' has no DataUri in this file or its bases: it overrides a ContentDefinition no base declares; "
        "did you mean 'api.signuporsignin'?"
    )


def test_overrides_of_declared_ids_are_not_reported(tmp_path):
    overrides = (
        '<BuildingBlocks><ClaimsSchema><ClaimType Id="LOYALTYNUMBER"><UserHelpText>Your card number</UserHelpText></ClaimType></ClaimsSchema>'
        '<ContentDefinitions><ContentDefinition Id="api.signuporsignin"><LoadUri>https://cdn.contoso.com/unified.html</LoadUri></ContentDefinition></ContentDefinitions></BuildingBlocks>'
        + provider('<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>')
    )
    assert run(tmp_path, clean_set(extensions=overrides)).problems == []


def test_precondition_on_a_claim_no_file_declares(tmp_path):
    step = '<OrchestrationStep Order="2" Type="SendClaims"'
    skip = (
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><Preconditions><Precondition Type="ClaimsExist" ExecuteActionsIf="true">'
        "<Value>objectld</Value><Action>SkipThisOrchestrationStep</Action></Precondition></Preconditions>"
        '<ClaimsExchanges><ClaimsExchange Id="Loyalty" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep>'
    )
    base = BASE.replace(step, skip + step.replace('"2"', '"3"'))
    report = run(tmp_path, clean_set(base=base), Config(ignore=["REST009", *ADVISORY]))
    assert [p.message for p in report.problems] == ["Precondition claim 'objectld' names no ClaimType in this file or its bases"]
    assert (
        run(tmp_path / "fixed", clean_set(base=base.replace("objectld", "objectId")), Config(ignore=["REST009", *ADVISORY])).problems == []
    )


def test_references_match_case_insensitively(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="SelfAsserted-SignIn"><OutputClaims><OutputClaim ClaimTypeReferenceId="EMAIL" /></OutputClaims></TechnicalProfile>'
    )
    assert run(tmp_path, clean_set(extensions=ext)).problems == []


def test_include_cycle(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="A"><IncludeTechnicalProfile ReferenceId="B" /></TechnicalProfile>',
        '<TechnicalProfile Id="B"><IncludeTechnicalProfile ReferenceId="A" /></TechnicalProfile>',
    )
    report = run(tmp_path, clean_set(extensions=ext))
    assert rule_ids(report) == {"INH007"}
    assert any("cycle" in p.message for p in report.problems)


def _include_chain(levels: int) -> str:
    """Profiles P0…Pn, each including the one before: `levels` IncludeTechnicalProfile levels."""
    return provider(
        '<TechnicalProfile Id="P0"><Protocol Name="None" /></TechnicalProfile>',
        *(
            f'<TechnicalProfile Id="P{i}"><IncludeTechnicalProfile ReferenceId="P{i - 1}" /></TechnicalProfile>'
            for i in range(1, levels + 1)
        ),
    )


def test_include_chains_are_followed_to_the_linters_depth(tmp_path):
    assert run(tmp_path / "deep-enough", clean_set(extensions=_include_chain(MAX_INCLUDE_DEPTH))).problems == []
    report = run(tmp_path / "too-deep", clean_set(extensions=_include_chain(MAX_INCLUDE_DEPTH + 5)))
    assert [(p.rule, p.severity) for p in report.problems] == [("INH007", Severity.WARNING)]  # once, at the chain's top
    assert f"IncludeTechnicalProfile chain of 'P{MAX_INCLUDE_DEPTH + 5}' is over {MAX_INCLUDE_DEPTH} levels" in report.problems[0].message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "INH007",
            [
                (
                    "Extensions.xml",
                    23,
                    "TechnicalProfileReferenceId 'AAD-UserReadUsingObjectIdd' names no technical profile in this file or its bases",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
