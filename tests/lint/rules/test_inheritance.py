"""INH001–INH006: the files of a set, how they link into chains, and journeys overridden in place."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import ADVISORY, BASE, RP, clean_set, policy, rule_ids, rules_of, run, write
from toolkit.lint import Config, Severity, lint


def test_missing_base_is_inh001(tmp_path):
    files = clean_set()
    del files["Base.xml"]
    report = run(tmp_path, files)
    assert rules_of(report) == [("INH001", "Extensions.xml", 4)]
    assert "B2C_1A_TrustFrameworkBase" in report.problems[0].message


def test_external_base_is_not_an_inh001_error(tmp_path):
    files = clean_set()
    del files["Base.xml"]
    report = run(tmp_path, files, Config(ignore=ADVISORY, external_bases=["b2c_1a_trustframeworkbase"]))
    # only a note that the checks needing the whole chain did not run, naming them
    assert [(p.rule, p.severity) for p in report.problems] == [("INH001", Severity.INFO)]
    assert "JRN002" in report.problems[0].skipped.split(",")
    assert "INH007" not in rule_ids(report)  # the references may live in the external base


def test_cycle_is_inh001(tmp_path):
    files = {
        "A.xml": policy("B2C_1A_A", "", base="B2C_1A_B"),
        "B.xml": policy("B2C_1A_B", "", base="B2C_1A_A"),
    }
    report = run(tmp_path, files)
    assert rule_ids(report) == {"INH001"}
    assert "cyclic" in report.problems[0].message


def test_links_by_policy_id_not_file_name(tmp_path):
    files = clean_set()
    files["zz-renamed-base.xml"] = files.pop("Base.xml")
    assert run(tmp_path, files).problems == []


def test_two_rps_share_one_base(tmp_path):
    files = clean_set()
    files["Other.xml"] = policy("B2C_1A_other", RP, base="B2C_1A_TrustFrameworkExtensions")
    files["Extensions.xml"] = files["Extensions.xml"].replace(
        'PolicyId="B2C_1A_TrustFrameworkExtensions"', 'PolicyId="B2C_1A_TrustFrameworkExtensions" DeploymentMode="Development"'
    )
    (problem,) = run(tmp_path, files).problems
    assert problem.rule == "DEP001"
    assert problem.policy == "B2C_1A_other, B2C_1A_signup_signin"


def test_depth_limit(tmp_path):
    files = {"L0.xml": policy("B2C_1A_L0", BASE)}
    for i in range(1, 11):
        files[f"L{i}.xml"] = policy(f"B2C_1A_L{i}", RP if i == 10 else "", base=f"B2C_1A_L{i - 1}")
    assert rule_ids(run(tmp_path / "deep", files)) == {"INH003"}
    del files["L10.xml"]
    files["L9.xml"] = policy("B2C_1A_L9", RP, base="B2C_1A_L8")
    assert run(tmp_path / "ok", files).problems == []


def test_policy_id_prefix(tmp_path):
    files = clean_set()
    files["SignUpOrSignin.xml"] = policy("signup_signin", RP, base="B2C_1A_TrustFrameworkExtensions")
    assert rule_ids(run(tmp_path, files)) == {"INH004"}


def test_file_size_limit(tmp_path):
    files = clean_set()
    padding = "<!-- " + "x" * (1024 * 1024) + " -->"
    files["Extensions.xml"] = files["Extensions.xml"].replace("</TrustFrameworkPolicy>", padding + "</TrustFrameworkPolicy>")
    assert rules_of(run(tmp_path, files)) == [("INH005", "Extensions.xml", 2)]


def _two_samples_and_a_third_without_base() -> dict[str, str | bytes]:
    """Two sample folders, each with its own Base, and a third folder whose files extend the
    same PolicyId but bring no Base: the layout of a repository of samples whose base is
    deployed separately."""
    files: dict[str, str | bytes] = {}
    for sample in ("a", "b"):
        for name, content in clean_set().items():
            files[f"{sample}/{name}"] = content
    files["c/Extensions.xml"] = clean_set()["Extensions.xml"]
    files["c/SignUpOrSignin.xml"] = policy("B2C_1A_c", RP, base="B2C_1A_TrustFrameworkExtensions")
    return files


def test_a_base_declared_by_several_other_sets_is_never_borrowed(tmp_path):
    report = run(tmp_path, _two_samples_and_a_third_without_base())
    unlinked = [p for p in report.problems if p.rule == "INH001"]
    assert [(p.path.split("/")[-2:], p.severity) for p in unlinked] == [(["c", "Extensions.xml"], Severity.ERROR)]
    message = unlinked[0].message
    assert "declared in 2 places" in message and "a/Base.xml" in message and "b/Base.xml" in message
    assert "--base-path" in message and "external-bases" in message
    assert unlinked[0].policy == "B2C_1A_c"  # the relying party above the broken link


def test_base_path_chooses_among_several_declarations(tmp_path):
    files = _two_samples_and_a_third_without_base()
    root = write(tmp_path, files)
    # the whole repository: c's base is a's or b's; the base path says which
    report = lint([root], Config(ignore=ADVISORY, base_paths=[str(root / "a")]))
    assert [p.rule for p in report.problems if "c/" in p.path] == ["INH008"]  # declared in a and b too


def test_a_base_in_a_sibling_folder_declared_once_still_links(tmp_path):
    files = clean_set()
    base = files.pop("Base.xml")
    report = run(tmp_path, {"base/Base.xml": base, **{f"app/{k}": v for k, v in files.items()}})
    assert report.problems == []


PARTIAL_JOURNEY = """<UserJourneys><UserJourney Id="SignUpOrSignIn"><OrchestrationSteps>
  <OrchestrationStep Order="5" Type="ClaimsExchange">
    <ClaimsExchanges><ClaimsExchange Id="Extra" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges>
  </OrchestrationStep>
</OrchestrationSteps></UserJourney></UserJourneys>"""


def test_a_partial_journey_over_a_missing_base_is_not_judged(tmp_path):
    """Steps 1-4 and SendClaims live in the missing base: numbering and SendClaims are not
    reported, and INH001 says once which rules did not run."""
    files = clean_set(extensions=PARTIAL_JOURNEY)
    del files["Base.xml"]
    report = run(tmp_path, files)
    assert rule_ids(report) == {"INH001"}
    (problem,) = report.problems
    assert {"JRN001", "JRN002", "JRN003", "LIM001"} <= set(problem.skipped.split(","))
    assert "JRN001" in problem.message and problem.policy == "B2C_1A_signup_signin"
    # with the base, the same override is judged
    assert "JRN001" in rule_ids(run(tmp_path / "whole", clean_set(extensions=PARTIAL_JOURNEY)))


def test_copies_of_a_policy_id_under_a_placeholder_tenant_are_samples_not_duplicates(tmp_path):
    files: dict[str, str | bytes] = {}
    for sample, tenant in (("a", "yourtenant.onmicrosoft.com"), ("b", "yourtenant.onmicrosoft.com")):
        files[f"{sample}/RP.xml"] = policy("B2C_1A_signup_signin", RP, tenant=tenant)
    assert "INH008" not in rule_ids(run(tmp_path / "samples", files))
    real = {name: text.replace("yourtenant", "contoso") for name, text in files.items()}
    assert "INH008" in rule_ids(run(tmp_path / "real", real))


def test_a_base_in_a_file_that_did_not_parse_is_named(tmp_path):
    files = clean_set()
    files["Base.xml"] = files["Base.xml"].replace("</BuildingBlocks>", "</BuildingBlock>", 1)
    report = run(tmp_path, files)
    (missing,) = [p for p in report.problems if p.rule == "INH001"]
    assert "1 file(s) beside it could not be parsed (XML001)" in missing.message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "INH001",
            [
                (
                    "RelyingParty.xml",
                    6,
                    "base policy B2C_1A_TrustFrameworkExtension (tenant contoso.onmicrosoft.com) is not in the linted set; lint it too, pass its folder with --base-path, or declare it in external-bases; on the relying party above it, these rules need the whole chain and were skipped: AAD001, AAD002, BOT002, IDP001, JRN001 (gaps only: a duplicate Order within one file is still reported), JRN002, JRN003, JRN004 (missing claims only: a literal that names a claim is still reported), JRN005, JRN007, LIM001, MFA001, REST010, UI004, UI005",
                )
            ],
        ),
        (
            "INH002",
            [
                (
                    "RelyingParty.xml",
                    5,
                    "PublicPolicyUri 'http://contoso.onmicrosoft.com/B2C_1A_AP_INH002' does not name the tenant 'fabrikam.onmicrosoft.com'",
                ),
                (
                    "RelyingParty.xml",
                    7,
                    "BasePolicy TenantId 'contoso.onmicrosoft.com' differs from this file's TenantId 'fabrikam.onmicrosoft.com'",
                ),
            ],
        ),
        ("INH003", [("RelyingParty.xml", 3, "inheritance chain has 11 levels (limit 10)")]),
        ("INH004", [("RelyingParty.xml", 3, "PolicySchemaVersion must be 0.3.0.0, not '0.3.0.1'")]),
        (
            "INH006",
            [
                (
                    "Extensions.xml",
                    11,
                    "UserJourney 'SignUpOrSignIn' is already declared in policies/resilient/TrustFrameworkBase.xml; copy it under a new Id instead of overriding it in place",
                )
            ],
        ),
        (
            "XML001",
            [
                (
                    "Broken.xml",
                    5,
                    "not well-formed XML: Opening and ending tag mismatch: BasePolicy line 4 and TrustFrameworkPolicy, line 5, column 24",
                )
            ],
        ),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
