"""SET001 and META001: values never resolved, keys silently ignored."""

from __future__ import annotations

import pytest

from tests.lint.policies import BASE, clean_set, policy, provider, rule_ids, rules_of, run


@pytest.mark.parametrize("value", ["{Settings:Tenant}", "yourtenant.onmicrosoft.com", "{{ tenant }}", "#{Tenant}#", "$(Tenant)"])
def test_placeholders(tmp_path, value):
    files = clean_set()
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace('TenantId="contoso.onmicrosoft.com"', f'TenantId="{value}"', 1)
    assert "SET001" in rule_ids(run(tmp_path, files))


def test_claim_resolvers_are_not_placeholders(tmp_path):
    rp = '<RelyingParty><DefaultUserJourney ReferenceId="SignUpOrSignIn" /><TechnicalProfile Id="PolicyProfile"><Protocol Name="OpenIdConnect" /><OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" DefaultValue="{Policy:TenantObjectId}" /></OutputClaims><SubjectNamingInfo ClaimType="sub" /></TechnicalProfile></RelyingParty>'
    assert "SET001" not in rule_ids(run(tmp_path, clean_set(rp=rp)))


def test_one_finding_per_placeholder_and_file(tmp_path):
    files = {
        "P.xml": policy(
            "B2C_1A_x",
            provider(
                '<TechnicalProfile Id="A"><Protocol Name="None" /><Metadata><Item Key="a">{Settings:X}</Item><Item Key="b">{Settings:X}</Item></Metadata></TechnicalProfile>'
            ),
        )
    }
    report = run(tmp_path, files)
    assert [(r, f) for r, f, _ in rules_of(report) if r == "SET001"] == [("SET001", "P.xml")]
    assert "(1 more in this file)" in report.problems[0].message


def test_unknown_rest_metadata_with_suggestion(tmp_path):
    ext = provider(
        '<TechnicalProfile Id="REST-GetLoyalty"><Metadata><Item Key="DefaultUserMessageIfRequestFail">x</Item><Item Key="HttpBinding">POST</Item></Metadata></TechnicalProfile>'
    )
    report = run(tmp_path, clean_set(extensions=ext))
    messages = sorted(p.message for p in report.problems)
    assert rule_ids(report) == {"META001"}
    assert "did you mean 'DefaultUserMessageIfRequestFailed'?" in messages[0] and "HttpBinding" in messages[1]


def test_known_rest_metadata_passes(tmp_path):
    assert run(tmp_path, clean_set(base=BASE)).problems == []
