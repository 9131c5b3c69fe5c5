"""XSD001, INH008 and INH009: what the upload would reject."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example, hooks
from tests.lint.policies import ADVISORY, BASE, clean_set, policy, provider, rule_ids, rules_of, run
from toolkit.lint import Config
from toolkit.lint.rules.schema import is_placeholder


def test_xsd001_at_the_line_of_the_violation(tmp_path, shared):
    files = clean_set()
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace("<RelyingParty>", "\n<Bogus/>\n<RelyingParty>")
    config = Config(ignore=ADVISORY, schema=str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"))
    report = run(tmp_path, files, config)
    assert rules_of(report) == [("XSD001", "SignUpOrSignin.xml", 6)]
    assert "`Bogus` is not allowed here" in report.problems[0].message


def test_clean_set_is_schema_valid(tmp_path, shared):
    config = Config(ignore=ADVISORY, schema=str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"))
    assert run(tmp_path, clean_set(), config).problems == []


def test_no_schema_means_a_note_not_a_finding(tmp_path):
    report = run(tmp_path, clean_set())
    assert report.problems == [] and "XSD001 skipped" in report.notes[0]


def test_inh008_other_tenant_is_fine(tmp_path):
    files = clean_set()
    files["other.xml"] = policy("B2C_1A_signup_signin", "", tenant="fabrikam.onmicrosoft.com")
    assert "INH008" not in rule_ids(run(tmp_path, files))


def test_inh009_override_in_a_child_file_is_fine(tmp_path):
    ext = provider('<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>')
    assert run(tmp_path, clean_set(base=BASE, extensions=ext)).problems == []


def test_inh009_metadata_key_set_twice(tmp_path):
    twice = '<Item Key="DebugMode">false</Item>\n<Item Key="DebugMode">false</Item>'
    ext = provider(f'<TechnicalProfile Id="REST-GetLoyalty"><Metadata>{twice}</Metadata></TechnicalProfile>')
    (problem,) = run(tmp_path, clean_set(extensions=ext)).problems
    assert (problem.rule, problem.column) == ("INH009", 7)  # at the second item's Key
    assert problem.message == "Metadata key 'DebugMode' is already set on line 6 of this Metadata"


def test_inh009_same_key_in_two_profiles_is_fine(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>',
        '<TechnicalProfile Id="SelfAsserted-SignIn"><Metadata><Item Key="DebugMode">false</Item></Metadata></TechnicalProfile>',
    )
    assert "INH009" not in rule_ids(run(tmp_path, clean_set(extensions=ext)))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "INH008",
            [
                (
                    "RelyingParty.xml",
                    4,
                    "PolicyId B2C_1A_AP_INH008 (tenant contoso.onmicrosoft.com) is also declared by policies/antipatterns/inh008/RelyingParty-copy.xml; one upload replaces the other",
                )
            ],
        ),
        ("INH009", [("Extensions.xml", 32, "TechnicalProfile Id 'REST-INH009' is already declared on line 14 of this file")]),
        (
            "XSD001",
            [
                (
                    "Extensions.xml",
                    25,
                    "`ClaimsProviders` is not allowed here; expected `SubJourneys`, `RelyingParty` (elements must follow the schema's order)",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected, request):
    schema = request.getfixturevalue("shared") / "corpus" / "xsd" / hooks.SCHEMA if rule == "XSD001" else None
    assert found_by_example(rule, schema) == expected


@pytest.mark.parametrize(
    ("attribute", "value", "placeholder"),
    [
        ("TenantId", "{Settings:Tenant}", True),
        ("TenantId", "{{ tenant }}", True),
        ("InstrumentationKey", " -- App Insights Instrumentation Key -- ", True),
        ("TenantObjectId", "yourtenant.onmicrosoft.com", True),
        ("DeploymentMode", "Testing", False),
        ("PolicyId", "{Settings:Id}", True),  # templated PolicyIds are real (integration-demo-ipification)
        ("PolicyId", "B2C_1A_signup signin", False),
    ],
)
def test_placeholders_are_left_to_set001(attribute, value, placeholder):
    assert is_placeholder(attribute, value) is placeholder
