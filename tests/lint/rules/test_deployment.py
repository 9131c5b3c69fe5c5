"""DEP001–DEP002: development settings, including ones inherited from a parent file."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, HANDLERS, RP, clean_set, provider, rule_ids, rules_of, run


def test_development_mode_in_extensions_affects_the_rp(tmp_path):
    report = run(tmp_path, clean_set(ext_attrs='DeploymentMode="Development"'))
    assert rules_of(report) == [("DEP001", "Extensions.xml", 3)]
    assert report.problems[0].policy == "B2C_1A_signup_signin"
    problem = report.problems[0]
    line = (tmp_path / "Extensions.xml").read_text().splitlines()[problem.line - 1]
    assert line[problem.column - 1 :].startswith('DeploymentMode="Development"')


def test_production_mode_passes(tmp_path):
    report = run(
        tmp_path, clean_set(rp_attrs='DeploymentMode="Production" UserJourneyRecorderEndpoint="urn:journeyrecorder:applicationinsights"')
    )
    assert report.problems == []


def test_unknown_journey_recorder(tmp_path):
    assert rule_ids(run(tmp_path, clean_set(rp_attrs='UserJourneyRecorderEndpoint="https://recorder.example"'))) == {"DEP001"}


INSIGHTS = '<JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="k" DeveloperMode="{}" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />'


def test_journey_insights_without_developer_mode(tmp_path):
    rp = RP.replace("</SessionExpiryInSeconds>", "</SessionExpiryInSeconds>" + INSIGHTS.format("false"))
    assert run(tmp_path, clean_set(rp=rp)).problems == []


def test_app_insights_profile_developer_mode(tmp_path):
    profile = (
        f'<TechnicalProfile Id="AppInsights-Start"><Protocol Name="Proprietary" Handler="{HANDLERS["insights"]}" />'
        '<Metadata><Item Key="InstrumentationKey">k</Item><Item Key="DeveloperMode">{}</Item></Metadata>'
        '<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>'
    )
    step = (
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="Start" TechnicalProfileReferenceId="AppInsights-Start" />'
        '</ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims"'
    )

    def base(mode: str) -> str:
        return BASE.replace('<OrchestrationStep Order="2" Type="SendClaims"', step).replace(
            "</BuildingBlocks>", "</BuildingBlocks>" + provider(profile.replace("{}", mode))
        )

    assert rules_of(run(tmp_path / "bad", clean_set(base=base("true")))) == [("DEP002", "Base.xml", 17)]
    assert run(tmp_path / "good", clean_set(base=base("false"))).problems == []


def test_endpoints_on_a_development_tunnel_or_local_host(tmp_path):
    for name, url, bad in (
        ("tunnel", "https://3f2a-81-2-69-160.ngrok-free.app/api/loyalty", True),
        ("devtunnel", "https://x7k2-7071.euw.devtunnels.ms/api/loyalty", True),
        ("public", "https://api.contoso.com/loyalty", False),
    ):
        base = BASE.replace("https://api.contoso.com/loyalty", url)
        assert ("DEP003" in rule_ids(run(tmp_path / name, clean_set(base=base)))) is bad
    issuer = provider(
        '<TechnicalProfile Id="JwtIssuer"><Metadata><Item Key="issuer">https://localhost:5001/</Item></Metadata></TechnicalProfile>'
    )
    assert "DEP003" in rule_ids(run(tmp_path / "issuer", clean_set(extensions=issuer)))


def test_development_mode_in_a_development_folder_is_an_info(tmp_path):
    files = clean_set(ext_attrs='DeploymentMode="Development"')
    for folder, severity in (("production", "error"), ("development", "info")):
        report = run(tmp_path, {f"{folder}/{name}": text for name, text in files.items()})
        assert [p.severity.value for p in report.problems if p.rule == "DEP001" and f"/{folder}/" in p.path] == [severity]


def test_telemetry_developer_mode_in_a_development_folder_is_an_info(tmp_path):
    rp = RP.replace(
        "</UserJourneyBehaviors>",
        '<JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="k" DeveloperMode="true" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" /></UserJourneyBehaviors>',
    )
    files = clean_set(rp=rp)
    for folder, severity in (("prod", "warning"), ("dev", "info")):
        report = run(tmp_path, {f"{folder}/{name}": text for name, text in files.items()})
        assert [p.severity.value for p in report.problems if p.rule == "DEP002" and f"/{folder}/" in p.path] == [severity]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "DEP001",
            [("Extensions.xml", 5, "DeploymentMode is Development: claims are logged and the policy cache is bypassed; use Production")],
        ),
        ("DEP002", [("RelyingParty.xml", 16, "JourneyInsights DeveloperMode is true; telemetry is throttled at volume")]),
        ("DEP003", [("Extensions.xml", 18, "REST-DEP003: ServiceUrl points at 3f2a-81-2-69-160.ngrok-free.app, a development host")]),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
