"""`tenant audit` as a command: the linter's formats, configuration and baseline, the map, and the
export → audit round trip against the emulator over HTTPS."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from tests.tenant.exports import ROOT, app, write_export
from tests.tenant.graphs import export
from toolkit.cli import main

PROXY = "00000000-0000-0000-0000-000000000001"
EXPIRING = [
    app(PROXY, "ProxyIdentityExperienceFramework", secrets=["2026-06-20T00:00:00Z"]),
    app("2", "Reporting", certs=["2026-06-10T00:00:00Z"]),
]


def run(capsys, *argv):
    code = main(["tenant", "audit", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_round_trip_against_the_emulator(graph_b2c, monkeypatch, tmp_path, capsys):
    out = tmp_path / "export"
    code, err = export(monkeypatch, graph_b2c, "b2c-problems", out)
    assert code == 0, err
    code, text, _ = run(capsys, str(out), "--at", "2026-06-01", "-f", "json", "--map", str(tmp_path / "map.mmd"))
    report = json.loads(text)
    assert code == 1
    found = sorted((p["rule"], p["severity"]) for p in report["problems"])
    assert found == [("CRED001", "error"), ("CRED001", "info"), ("KEY001", "error"), ("KEY002", "warning"), ("KEY003", "error")]
    key003 = next(p for p in report["problems"] if p["rule"] == "KEY003")
    assert key003["path"].endswith("policies/B2C_1A_TrustFrameworkBase.xml") and "B2C_1A_signup_signin" in key003["policy"]
    picture = (tmp_path / "map.mmd").read_text()
    assert picture.startswith("flowchart LR") and "key_B2C_1A_LoyaltyApiClientCertificate --> tp_REST_GetLoyaltyTier" in picture
    assert "journey_SignUpOrSignIn --> rp_B2C_1A_signup_signin" in picture and "class " in picture


def test_round_trip_clean_tenant(tmp_path, monkeypatch, capsys):
    from tests.support import start_emulator, stop_emulator

    emulator = start_emulator(tmp_path / "state", "--graph-tenant", "b2c-clean")
    try:
        code, err = export(monkeypatch, emulator, "b2c-clean", tmp_path / "export")
    finally:
        stop_emulator(emulator)
    assert code == 0, err
    code, text, _ = run(capsys, str(tmp_path / "export"), "--at", "2026-06-01", "--policies", str(ROOT / "policies" / "resilient"))
    assert code == 0 and text.endswith("0 errors, 0 warnings, 0 infos\n"), text


def test_round_trip_external_id(graph_external_id, monkeypatch, tmp_path, capsys):
    code, err = export(monkeypatch, graph_external_id, "external-id", tmp_path)
    assert code == 0, err
    code, text, errors = run(capsys, str(tmp_path), "--at", "2026-06-01", "-f", "json", "--map", str(tmp_path / "map.dot"))
    found = sorted((p["rule"], p["severity"], p["policy"]) for p in json.loads(text)["problems"])
    assert found == [
        ("CRED001", "info", ""),
        ("EXT001", "error", "Shop sign-up and sign-in"),
        ("EXT002", "error", "Shop sign-up and sign-in"),
        ("EXT003", "error", "Shop sign-up and sign-in"),
        ("EXT003", "warning", "Shop sign-up and sign-in"),
    ]
    assert "skipped" not in errors  # B2C's resources are not in this tenant: nothing to say
    assert (tmp_path / "map.dot").read_text().startswith("digraph tenant {")


def test_sarif_is_valid_with_logical_locations(tmp_path, capsys, shared):
    folder = write_export(tmp_path, applications=EXPIRING)
    code, text, _ = run(capsys, str(folder), "--at", "2026-06-01", "-f", "sarif")
    assert code == 1
    sarif = json.loads(text)
    jsonschema.validate(sarif, json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text()))
    result = sarif["runs"][0]["results"][0]
    assert result["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": f"applications/{PROXY}", "kind": "object"}]
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} >= {"KEY001", "CRED001", "EXT003", "DRIFT001"}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("github", "::error file="), ("junit", 'testsuite name="b2c-toolkit tenant audit"'), ("text", "records audited: 1 error")],
)
def test_other_formats(tmp_path, capsys, fmt, expected):
    code, text, _ = run(capsys, str(write_export(tmp_path, applications=EXPIRING)), "--at", "2026-06-01", "-f", fmt)
    assert code == 1 and expected in text


def test_configuration_and_baseline(tmp_path, capsys):
    folder = write_export(tmp_path / "export", applications=EXPIRING)
    config = tmp_path / "audit.toml"
    config.write_text('[tool.b2c-toolkit.audit]\nseverity = { CRED001 = "warning" }\n')
    code, text, _ = run(capsys, str(folder), "--at", "2026-06-01", "--config", str(config), "--fail-on", "error")
    assert code == 0 and "CRED001 warning" in text
    config.write_text('[tool.b2c-toolkit.audit]\nignore = ["REST001"]\n')
    code, _, err = run(capsys, str(folder), "--config", str(config))
    assert code == 2 and 'no such rule: "REST001"' in err
    baseline = tmp_path / "baseline.json"
    assert run(capsys, str(folder), "--at", "2026-06-01", "--write-baseline", str(baseline))[0] == 0
    code, text, _ = run(capsys, str(folder), "--at", "2026-06-01", "--baseline", str(baseline))
    assert code == 0 and "(2 baselined)" in text
    assert run(capsys, str(folder), "--at", "2026-06-01", "--ignore", "CRED")[0] == 0


def test_lint_the_uploaded_policies(tmp_path, capsys):
    folder = write_export(tmp_path, policies="resilient")
    code, text, _ = run(capsys, str(folder), "--at", "2026-06-01", "--lint", "-f", "sarif")
    rules = {r["ruleId"] for r in json.loads(text)["runs"][0]["results"]}
    assert rules == {"BOT001", "MFA006"} and code == 0  # the resilient set's three infos, found in the upload


def test_rules_command(capsys):
    assert main(["tenant", "rules"]) == 0
    assert "KEY001    error    Policy key set with no valid key" in capsys.readouterr().out
    assert main(["tenant", "rules", "ext003"]) == 0
    assert "200 to 2000" in capsys.readouterr().out
    assert main(["tenant", "rules", "NOPE"]) == 2


def test_the_map_renders_as_a_picture(tmp_path, capsys):
    """`--map FILE.svg` draws the dependency graph with Graphviz: keys and apps, the technical
    profiles that use them, the journeys and relying parties, the failing ones marked."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (scripts/test.sh installs it with apt-get)")
    folder = write_export(tmp_path, applications=EXPIRING)
    code, _, _ = run(capsys, str(folder), "--at", "2026-06-01", "--map", str(tmp_path / "map.svg"))
    svg = (tmp_path / "map.svg").read_text()
    assert code in (0, 1) and svg.lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE")) and "<svg" in svg
