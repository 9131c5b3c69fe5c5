"""Settings files (`--settings appsettings.json --environment NAME`): any JSON loads or is refused
with a message naming the file."""

from __future__ import annotations

import codecs
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.lint.policies import clean_set, run, write
from toolkit.lint import Config, lint
from toolkit.lint.linter import load_set
from toolkit.lint.model import PolicySet
from toolkit.lint.settings import SettingsError, load_settings, renderer, stand_ins

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["Name", "Tenant", "PolicySettings", "x"]), inner, max_size=3)
    ),
    max_leaves=10,
)
ENVIRONMENTS = st.dictionaries(st.just("Environments") | st.text(max_size=5), JSON | st.lists(JSON, max_size=3), max_size=2)


def _load(text: str, environment: str | None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "appsettings.json")
        path.write_text(text, encoding="utf-8")
        try:
            return load_settings(path, environment)
        except SettingsError as exc:
            assert str(exc).startswith(str(path)), exc
            raise


def test_an_environment_renders_its_values():
    text = json.dumps({"Environments": [{"Name": "Test", "Tenant": "t.onmicrosoft.com", "PolicySettings": {"AppId": "a<b"}}]})
    values = _load(text, "Test")
    assert values == {"Tenant": "t.onmicrosoft.com", "AppId": "a<b"}
    # raw, as the VS Code extension renders (a value may be a whole attribute)
    assert renderer(values)(b"<X>{Settings:AppId}</X>{Settings:Tenant}{Settings:Nope}") == b"<X>a<b</X>t.onmicrosoft.com{Settings:Nope}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Environments": [1]}, "every entry"),
        ({"Environments": [{"Name": "Test", "PolicySettings": ["x"]}]}, "PolicySettings"),
        ({"Environments": []}, 'no "Environments"'),
    ],
)
def test_malformed_settings_are_refused(data, message):
    with pytest.raises(SettingsError, match=message):
        _load(json.dumps(data), None)


@given(ENVIRONMENTS, st.none() | st.sampled_from(["Test", ""]))
def test_any_json_loads_or_is_refused_with_a_message(data, environment):
    try:
        values = _load(json.dumps(data), environment)
    except SettingsError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())


def _env(name: str, production: object = None, **values: str) -> str:
    env: dict[str, object] = {"Name": name, "Tenant": "contoso.onmicrosoft.com", "PolicySettings": values}
    if production is not None:
        env["Production"] = production
    return json.dumps({"Environments": [env]})


def test_a_whole_attribute_setting_renders():
    files = clean_set(rp_attrs="{Settings:DeploymentMode}")
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), {**files, "appsettings.json": _env("Prod", True, DeploymentMode='DeploymentMode="Development"')})
        report = lint([tmp], Config(ignore=["LIM001", "BOT001"]))
    (dep,) = [p for p in report.problems if p.rule == "DEP001"]
    assert dep.severity.value == "error" and dep.path.endswith("SignUpOrSignin.xml") and dep.line == 3
    assert {p.rule for p in report.problems} == {"DEP001"}
    assert any("rendered from" in n and "appsettings.json" in n for n in report.notes)


@pytest.mark.parametrize("production", [False, "false", None])
def test_an_environment_that_is_not_production_is_development(production):
    files = clean_set(rp_attrs='DeploymentMode="{Settings:Mode}"')
    name = "Test" if production is None else "Anything"
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), {**files, "appsettings.json": _env(name, production, Mode="Development")})
        report = lint([tmp], Config(ignore=["LIM001", "BOT001"]))
    assert [(p.rule, p.severity.value) for p in report.problems] == [("DEP001", "info")]


def test_a_templated_file_is_checked_with_stand_ins(tmp_path):
    """No value known: every token where XML allows no text gets a stand-in on its line; every
    rule runs; each token is one SET001; positions are the file's own."""
    files = clean_set(rp_attrs="{Settings:DeploymentMode} __Extra__")
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace('TenantId="contoso.onmicrosoft.com"', "TenantId={{TenantId}}", 1)
    files["Base.xml"] = files["Base.xml"].replace("https://api.contoso.com/loyalty", "http://api.contoso.com/loyalty")
    report = run(tmp_path, files)
    rules = sorted(p.rule for p in report.problems)
    assert "XML001" not in rules and "REST006" in rules  # the other files' rules ran too
    set001 = {p.message.split("'")[1]: (p.line, p.column) for p in report.problems if p.rule == "SET001"}
    assert sorted(set001) == ["__Extra__", "{Settings:DeploymentMode}", "{{TenantId}}"]
    lines = files["SignUpOrSignin.xml"].splitlines()
    line, column = set001["{{TenantId}}"]
    assert lines[line - 1][column - 1 :].startswith("TenantId={{TenantId}}")  # the attribute, in the file as written
    assert set001["__Extra__"] == (2, 1)  # a whole attribute: its element
    assert not [p for p in report.problems if p.rule.startswith("INH")]  # a placeholder is no other tenant


def test_a_file_broken_after_stand_ins_says_templating_was_tried(tmp_path):
    files = clean_set(rp_attrs="{Settings:DeploymentMode}")
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace("</RelyingParty>", "</RelyingPart>")
    report = run(tmp_path, files)
    (xml,) = [p for p in report.problems if p.rule == "XML001"]
    assert "templating was tried: 1 template token replaced by stand-ins" in xml.message


def test_stand_ins_keep_lines_and_leave_values_alone():
    data = b'<A x="{{v}}" {Settings:M}\n  y=#{Y}# $(Z)>{{t}}</A>'
    out, count = stand_ins(data)
    assert count == 3 and out.count(b"\n") == data.count(b"\n")
    assert out == b'<A x="{{v}}" ' + b" " * len(b"{Settings:M}") + b'\n  y="#{Y}#" ' + b" " * len(b"$(Z)") + b">{{t}}</A>"


def test_a_finding_from_one_setting_is_reported_once(tmp_path):
    page = '<ContentDefinition Id="{i}"><LoadUri>{{Settings:Pages}}/{i}.html</LoadUri><DataUri>urn:com:microsoft:aad:b2c:elements:contract:selfasserted:2.1.30</DataUri></ContentDefinition>'
    body = (
        "<BuildingBlocks><ContentDefinitions>"
        + "".join(page.format(i=f"p{n}") for n in range(5))
        + "</ContentDefinitions></BuildingBlocks>"
    )
    files = clean_set(extensions=body)
    write(tmp_path, {**files, "appsettings.json": _env("Production", True, Pages="http://cdn.contoso.com")})
    report = lint([tmp_path], Config(ignore=["LIM001", "BOT001"]))
    (ui001,) = [p for p in report.problems if p.rule == "UI001"]
    assert ui001.message.endswith("(from {Settings:Pages}, and 4 more places it is used)")


# ---- IefPolicies conf.json ----------------------------------------------------------------------

#: a relying party using IefPolicies tokens: a plain one, a nested one, claim resolvers (B2C's own),
#: and the ones IefPolicies fills from the tenant
CONF_RP = """<RelyingParty>
  <DefaultUserJourney ReferenceId="SignUpOrSignIn" />
  <TechnicalProfile Id="PolicyProfile"><DisplayName>PolicyProfile</DisplayName><Protocol Name="OpenIdConnect" />
    <Metadata>
      <Item Key="A">{Api}</Item>
      <Item Key="B">{Clients:Work}</Item>
      <Item Key="C">{OIDC:LoginHint} {Policy:TenantObjectId}</Item>
      <Item Key="D">{tenantId} {ExtAppId} {ExtObjectId}</Item>
      <Item Key="E">{api} {Count} {Missing}</Item>
      <Item Key="F">{Note}</Item>
    </Metadata>
    <OutputClaims><OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /></OutputClaims>
    <SubjectNamingInfo ClaimType="sub" /></TechnicalProfile>
</RelyingParty>"""
CONF = {
    "Prefix": "V1",
    "Api": "https://api.contoso.com",
    "Clients": {"Work": "work-app-id"},
    "ExtAppId": "from the file",
    "tenantId": "from the file",
    "Count": 3,
    "Note": "<msa app id>",
}


def _items(policy_set: PolicySet) -> dict[str, str]:
    """The relying party's metadata items, by Key, as rendered."""
    (rp,) = [f for f in policy_set.files if f.is_relying_party]
    return {el.get("Key", ""): el.text or "" for el in rp.root.iter("{*}Item")}


def test_conf_json_renders_its_tokens_as_iefpolicies_does(tmp_path):
    """`{X}` for each string property, `{Parent:Child}` for nested ones, exact names only; claim
    resolvers, the tenant's own values, numbers, names of another case and notes stay."""
    write(tmp_path, {**clean_set(rp=CONF_RP), "conf.json": json.dumps(CONF)})
    items = _items(load_set([tmp_path]))
    assert items["A"] == "https://api.contoso.com"
    assert items["B"] == "work-app-id"
    assert items["C"] == "{OIDC:LoginHint} {Policy:TenantObjectId}"
    assert items["D"] == "{tenantId} {ExtAppId} {ExtObjectId}"  # IefPolicies takes these from the tenant
    assert items["E"] == "{api} {Count} {Missing}"  # String.Replace is exact; a number is no value
    assert items["F"] == "{Note}"  # rendered raw, `<msa app id>` would break the file: a note, not a value


def test_a_utf16_conf_json_beside_the_policies_is_read(tmp_path):
    """PowerShell writes UTF-16 LE with a byte order mark (three of the corpus's conf.json)."""
    data = codecs.BOM_UTF16_LE + json.dumps(CONF, indent=4).replace("\n", "\r\n").encode("utf-16-le")
    write(tmp_path, {**clean_set(rp=CONF_RP), "conf.json": data})
    assert _items(load_set([tmp_path]))["A"] == "https://api.contoso.com"
    report = lint([tmp_path], Config(ignore=["LIM001", "BOT001"]))
    assert any("{X} rendered from" in n and n.endswith("conf.json (IefPolicies)") for n in report.notes)


def test_the_nearest_conf_json_renders_and_conf_env_json_is_chosen(tmp_path):
    """conf.json beside the files (or above them, up to the folder linted) is IefPolicies' default;
    conf.demo.json is an environment chosen with --settings, as with -configurationFilePath."""
    write(
        tmp_path,
        {
            **{f"policies/{name}": text for name, text in clean_set(rp=CONF_RP).items()},
            "policies/conf.json": json.dumps({"Api": "https://near.contoso.com"}),
            "policies/conf.dev.json": json.dumps({"Api": "https://dev.contoso.com"}),
            "conf.json": json.dumps({"Api": "https://far.contoso.com", "Clients": {"Work": "far"}}),
        },
    )
    assert _items(load_set([tmp_path]))["A"] == "https://near.contoso.com"
    assert _items(load_set([tmp_path]))["B"] == "{Clients:Work}"  # the nearest file decides, whole
    dev = load_settings(tmp_path / "policies" / "conf.dev.json", None)
    assert (dev.environment, dev.development, dev.style) == ("dev", True, "iefpolicies")
    assert _items(load_set([tmp_path], Config(settings=dev)))["A"] == "https://dev.contoso.com"
    with pytest.raises(SettingsError, match="one environment"):
        load_settings(tmp_path / "conf.json", "Production")


def test_appsettings_and_conf_json_both_render(tmp_path):
    rp = CONF_RP.replace("{Missing}", "{Settings:Other}")
    write(tmp_path, {**clean_set(rp=rp), "conf.json": json.dumps(CONF), "appsettings.json": _env("Production", True, Other="x")})
    items = _items(load_set([tmp_path]))
    assert (items["A"], items["E"]) == ("https://api.contoso.com", "{api} {Count} x")


def test_the_corpus_conf_files_load(shared):
    """The 21 conf*.json of mrochon/b2csamples, the three UTF-16 ones among them."""
    found = sorted((shared / "corpus" / "mrochon__b2csamples").rglob("conf*.json"))
    assert len(found) == 21
    loaded = {path.relative_to(shared / "corpus").as_posix(): load_settings(path, None) for path in found}
    multi = loaded["mrochon__b2csamples/Scripts/MultiTenant/conf.demo.json"]
    assert (multi["Prefix"], multi.environment, multi.style) == ("MT", "demo", "iefpolicies")
    assert loaded["mrochon__b2csamples/Policies/HRD/policy/conf.json"]["Clients:Work"] == "<multi-tenant app id>"
    assert "ExtAppId" not in loaded["mrochon__b2csamples/Scripts/MultiTenant/conf.json"]


def test_a_finding_from_one_conf_value_is_reported_once_naming_its_token(tmp_path):
    page = '<ContentDefinition Id="{i}"><LoadUri>{{Pages}}/{i}.html</LoadUri><DataUri>urn:com:microsoft:aad:b2c:elements:contract:selfasserted:2.1.30</DataUri></ContentDefinition>'
    body = (
        "<BuildingBlocks><ContentDefinitions>"
        + "".join(page.format(i=f"p{n}") for n in range(3))
        + "</ContentDefinitions></BuildingBlocks>"
    )
    write(tmp_path, {**clean_set(extensions=body), "conf.json": json.dumps({"Pages": "http://cdn.contoso.com"})})
    report = lint([tmp_path], Config(ignore=["LIM001", "BOT001"]))
    (ui001,) = [p for p in report.problems if p.rule == "UI001"]
    assert ui001.message.endswith("(from {Pages}, and 2 more places it is used)")
