"""UI001–UI005: page content and layouts."""

from __future__ import annotations

import pytest

from tests.lint.examples import found_by_example
from tests.lint.policies import BASE, RP, clean_set, rule_ids, run
from toolkit.lint import Config

LOAD = "<LoadUri>~/tenant/templates/AzureBlue/unified.cshtml</LoadUri>"
DATA = "<DataUri>urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.7</DataUri>"


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        (LOAD, "<LoadUri>https://localhost:3000/unified.html</LoadUri>", "UI001"),
        (LOAD, "<LoadUri>https://10.0.0.7/unified.html</LoadUri>", "UI001"),
        (DATA, "<DataUri>urn:com:microsoft:aad:b2c:elements:unifiedssp:1.0.0</DataUri>", "UI003"),
    ],
)
def test_content_definition_rules(tmp_path, old, new, rule):
    assert rule_ids(run(tmp_path, clean_set(base=BASE.replace(old, new)))) == {rule}


def test_current_layout_on_a_cdn_passes(tmp_path):
    base = BASE.replace(LOAD, "<LoadUri>https://contoso-b2c.azureedge.net/unified.html</LoadUri>")
    assert run(tmp_path, clean_set(base=base)).problems == []


def test_layout_fixed_in_extensions_is_not_reported(tmp_path):
    old = BASE.replace(DATA, "<DataUri>urn:com:microsoft:aad:b2c:elements:selfasserted:1.1.0</DataUri>")
    ext = f'<BuildingBlocks><ContentDefinitions><ContentDefinition Id="api.signuporsignin">{LOAD}<RecoveryUri>~/common/default_page_error.html</RecoveryUri>{DATA}</ContentDefinition></ContentDefinitions></BuildingBlocks>'
    assert run(tmp_path, clean_set(base=old, extensions=ext)).problems == []


SCRIPT = RP.replace(
    "</SessionExpiryInSeconds></UserJourneyBehaviors>",
    "</SessionExpiryInSeconds><ScriptExecution>Allow</ScriptExecution></UserJourneyBehaviors>",
)


def test_javascript_on_contract_layouts_passes(tmp_path):
    assert run(tmp_path, clean_set(rp=SCRIPT)).problems == []


@pytest.mark.parametrize(("sources", "bad"), [("https://app.contoso.com", False), ("http://app.contoso.com", True)])
def test_journey_framing(tmp_path, sources, bad):
    rp = RP.replace(
        "</SessionExpiryInSeconds></UserJourneyBehaviors>",
        f'</SessionExpiryInSeconds><JourneyFraming Enabled="true" Sources="{sources}" /></UserJourneyBehaviors>',
    )
    assert ("UI005" in rule_ids(run(tmp_path, clean_set(rp=rp)))) is bad


def test_a_placeholder_page_url_is_not_judged_as_a_host(tmp_path):
    base = BASE.replace(
        "~/tenant/templates/AzureBlue/unified.cshtml", "https://-- deployed app location url --.blob.core.windows.net/unified.html"
    )
    assert rule_ids(run(tmp_path, clean_set(base=base), Config(select=["UI"]))) == set()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("UI001", [("Extensions.xml", 13, "ContentDefinition 'api.signuporsignin' loads its page over http, not https")]),
        (
            "UI002",
            [
                (
                    "Extensions.xml",
                    13,
                    "ContentDefinition 'api.signuporsignin' loads from the single-region origin contosob2c.blob.core.windows.net; serve it through a CDN",
                )
            ],
        ),
        (
            "UI003",
            [("Extensions.xml", 15, "ContentDefinition 'api.signuporsignin' uses unifiedssp 2.1.1, older than 2.1.4 (jQuery 1.12.4)")],
        ),
        (
            "UI004",
            [("RelyingParty.xml", 16, "JavaScript is allowed but ContentDefinition 'api.signuporsignin' has no page-layout contract")],
        ),
        ("UI005", [("RelyingParty.xml", 16, "JourneyFraming source 'https://*.contoso.com' must be an https URI without wildcards")]),
    ],
)
def test_example_set(rule, expected):
    assert found_by_example(rule) == expected
