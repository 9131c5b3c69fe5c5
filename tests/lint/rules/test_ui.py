"""UI001–UI005: page content and layouts."""

from __future__ import annotations

import pytest

from tests.lint.policies import BASE, RP, clean_set, rule_ids, run
from toolkit.lint import Config

LOAD = "<LoadUri>~/tenant/templates/AzureBlue/unified.cshtml</LoadUri>"
DATA = "<DataUri>urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.7</DataUri>"


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        (LOAD, "<LoadUri>http://contoso.example/unified.html</LoadUri>", "UI001"),
        (LOAD, "<LoadUri>https://localhost:3000/unified.html</LoadUri>", "UI001"),
        (LOAD, "<LoadUri>https://10.0.0.7/unified.html</LoadUri>", "UI001"),
        (LOAD, "<LoadUri>https://contosob2c.blob.core.windows.net/b2c/unified.html</LoadUri>", "UI002"),
        (DATA, "<DataUri>urn:com:microsoft:aad:b2c:elements:unifiedssp:1.0.0</DataUri>", "UI003"),
        (DATA, "<DataUri>urn:com:microsoft:aad:b2c:elements:contract:unifiedssp:2.1.1</DataUri>", "UI003"),
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


def test_javascript_needs_contract_layouts(tmp_path):
    legacy = BASE.replace(DATA, "<DataUri>urn:com:microsoft:aad:b2c:elements:unifiedssp:1.0.0</DataUri>")
    assert rule_ids(run(tmp_path / "bad", clean_set(base=legacy, rp=SCRIPT))) == {"UI003", "UI004"}
    assert run(tmp_path / "good", clean_set(rp=SCRIPT)).problems == []


@pytest.mark.parametrize(
    ("sources", "bad"), [("https://app.contoso.com", False), ("http://app.contoso.com", True), ("https://*.contoso.com", True)]
)
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
