"""--fix: minimal, idempotent edits, proven by linting again."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from tests.lint.damage import FILES, tree_damage, write_set
from tests.lint.policies import BASE, JOURNEY, RP, clean_set, rest_profile, write
from toolkit.lint import Config, lint
from toolkit.lint.linter import fix

FRAGILE = Path(__file__).resolve().parents[2] / "policies" / "antipatterns" / "fragile"
FIXABLE = {"REST001", "REST002", "DEP001", "DEP002", "SSO001", "JRN001"}


def rules(path: Path) -> set[str]:
    return {p.rule for p in lint([path]).problems}


def test_a_utf16_file_is_fixed_as_its_utf8_twin_and_stays_utf16(tmp_path):
    utf8, wide = tmp_path / "utf8", tmp_path / "wide"
    shutil.copytree(FRAGILE, utf8)
    for f in FRAGILE.glob("*.xml"):
        text = f.read_text(encoding="utf-8").replace('encoding="utf-8"', 'encoding="UTF-16"')
        write(wide, {f.name: b"\xff\xfe" + text.encode("utf-16-le")})
    assert sorted(fix([wide]).values()) == sorted(fix([utf8]).values()) == [2]
    for f in utf8.glob("*.xml"):
        data = (wide / f.name).read_bytes()
        assert data.startswith(b"\xff\xfe")
        assert data[2:].decode("utf-16-le") == f.read_text(encoding="utf-8").replace('encoding="utf-8"', 'encoding="UTF-16"')
    assert rules(wide) == rules(utf8) and not rules(wide) & FIXABLE


def test_fix_removes_mechanical_findings_and_keeps_the_rest(tmp_path, shared):
    shutil.copytree(FRAGILE, tmp_path / "fragile")
    before = (tmp_path / "fragile" / "TrustFrameworkBase.xml").read_text()
    assert rules(tmp_path) & FIXABLE == {"DEP001", "REST001"}
    edits = fix([tmp_path])
    assert sum(edits.values()) == 2  # DeploymentMode, one Metadata insertion
    after = (tmp_path / "fragile" / "TrustFrameworkBase.xml").read_text()
    assert rules(tmp_path) & FIXABLE == set()
    assert "REST003" in rules(tmp_path)  # not mechanical: left for a person
    # minimal: only the edited lines differ, comments and layout stay
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(changed) == 4 and all("Production" in c or "<Item Key=" in c for c in changed)
    assert "A FRAGILE policy set" in after
    assert fix([tmp_path]) == {}  # idempotent
    xsd = Config(select=["XSD001"], schema=str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"))
    assert lint([tmp_path], xsd).problems == []  # still schema-valid


def test_fix_session_provider_and_developer_mode(tmp_path):
    base = BASE.replace('<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" /></TechnicalProfile>', "</TechnicalProfile>")
    insights = '<JourneyInsights TelemetryEngine="ApplicationInsights" InstrumentationKey="00000000-0000-0000-0000-000000000000" DeveloperMode="true" ClientEnabled="false" ServerEnabled="true" TelemetryVersion="1.0.0" />'
    rp = RP.replace("</SessionExpiryInSeconds>", "</SessionExpiryInSeconds>" + insights)
    base = base.replace(
        '<OrchestrationStep Order="2" Type="SendClaims"',
        '<OrchestrationStep Order="2" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="L" TechnicalProfileReferenceId="REST-GetLoyalty" /></ClaimsExchanges></OrchestrationStep><OrchestrationStep Order="3" Type="SendClaims"',
    )
    write(tmp_path, clean_set(base=base, rp=rp))
    assert {"SSO001", "DEP002"} <= rules(tmp_path)
    fix([tmp_path])
    assert not ({"SSO001", "DEP002"} & rules(tmp_path))
    assert 'DeveloperMode="false"' in (tmp_path / "SignUpOrSignin.xml").read_text()


def test_fix_respects_suppressions(tmp_path):
    files = clean_set(ext_attrs='DeploymentMode="Development"')
    files["Extensions.xml"] = files["Extensions.xml"].replace(
        "<TrustFrameworkPolicy", "<!-- b2c-toolkit: disable-file=DEP001 -->\n<TrustFrameworkPolicy", 1
    )
    write(tmp_path, files)
    assert fix([tmp_path]) == {}


def test_fix_opens_an_empty_metadata_element(tmp_path):
    # `<Metadata />` has no closing tag: the next `</Metadata>` in the file is another profile's
    empty = rest_profile(metadata="").replace("<Metadata>\n\n</Metadata>", "<Metadata />")
    write(
        tmp_path,
        clean_set(
            base=BASE.replace(rest_profile(), "").replace('<TechnicalProfile Id="SM-Noop">', empty + '<TechnicalProfile Id="SM-Noop">')
        ),
    )
    assert "REST001" in rules(tmp_path)
    assert fix([tmp_path]) == {str(tmp_path / "Base.xml"): 1}
    assert "REST001" not in rules(tmp_path)
    text = (tmp_path / "Base.xml").read_text()
    assert '<Metadata><Item Key="DefaultUserMessageIfRequestFailed">' in text and text.count("DefaultUserMessageIfRequestFailed") == 1
    assert fix([tmp_path]) == {}


@given(tree_damage())
def test_fix_never_breaks_a_damaged_file_and_is_idempotent(damage):
    name, data = damage
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_set(Path(tmp), {**FILES, name: data})
        before = {(p.rule, Path(p.path).name) for p in lint([folder]).problems}
        fix([folder])
        after = {(p.rule, Path(p.path).name) for p in lint([folder]).problems}
        assert after <= before  # still well-formed, nothing new (XML001, INH009 for a double insertion...)
        assert fix([folder]) == {}  # idempotent


def _journey_with_orders(*orders: int) -> str:
    steps = "".join(
        f'<OrchestrationStep Order="{o}" Type="ClaimsExchange"><ClaimsExchanges><ClaimsExchange Id="E{o}" TechnicalProfileReferenceId="SelfAsserted-SignIn" /></ClaimsExchanges></OrchestrationStep>\n'
        for o in orders
    )
    return JOURNEY.replace('<OrchestrationStep Order="2" Type="SendClaims"', steps + '<OrchestrationStep Order="99" Type="SendClaims"')


def test_fix_renumbers_steps_in_their_order(tmp_path):
    """Orders 1, 7, 4 (written out of order), 99: B2C runs them by number, so they become 1, 3, 2, 4."""
    write(tmp_path, clean_set(base=BASE.replace(JOURNEY, _journey_with_orders(7, 4))))
    assert "JRN001" in rules(tmp_path)
    assert fix([tmp_path]) == {str(tmp_path / "Base.xml"): 3}
    text = (tmp_path / "Base.xml").read_text()
    assert [int(o) for o in re.findall(r'Order="(\d+)"', text)] == [1, 3, 2, 4]
    assert text.index('Id="E7"') > text.index('Order="3"') and "JRN001" not in rules(tmp_path)
    assert fix([tmp_path]) == {}


@pytest.mark.parametrize("case", ["duplicate", "overridden"])
def test_fix_leaves_numbering_that_needs_a_person(tmp_path, case):
    """Two steps with one number (which runs first?), or a journey another file of the set also
    declares (steps merge by number across files)."""
    journey = _journey_with_orders(4, 4) if case == "duplicate" else _journey_with_orders(4)
    extensions = journey if case == "overridden" else ""
    write(tmp_path, clean_set(base=BASE.replace(JOURNEY, journey), extensions=extensions))
    assert "JRN001" in rules(tmp_path)
    assert fix([tmp_path]) == {}


def test_fix_adds_no_finding_to_the_real_corpus(tmp_path, shared):
    """`--fix` over every real set at once: what it fixes goes, and nothing appears (the SM-Noop fix
    once referenced an SM-Noop that only another set defined: INH007 in woodgrove-groceries)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(shared / "corpus", corpus)
    before = {(p.rule, p.path) for p in lint([corpus]).problems}
    assert sum(fix([corpus]).values()) > 30
    problems = lint([corpus]).problems
    after = {(p.rule, p.path) for p in problems}
    assert after <= before
    # a value a setting renders is the settings file's to fix (appsettings.json), not --fix's
    assert {p.rule for p in problems if "from {Settings:" not in p.message} & {"DEP001", "DEP002"} == set()
    assert not any(
        "{Settings:" not in (corpus / p).read_text() for p in ("azure-ad-b2c__integration-demo-ipification/policies/PhoneExtensions.xml",)
    )
