"""`b2c-toolkit lint` and `rules`: exit codes, formats and their schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from tests.lint.policies import clean_set, write
from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: the advisory rules report on every sign-in; these tests are about formats and exit codes
QUIET = '[tool.b2c-toolkit.lint]\nignore = ["LIM001", "BOT001"]\n'


@pytest.fixture
def dirty(tmp_path, monkeypatch):
    """A set with one error (DEP001) and one warning (REST005), linted from its own folder."""
    files = clean_set(ext_attrs='DeploymentMode="Development"')
    files["Base.xml"] = files["Base.xml"].replace(
        '<Item Key="SendClaimsIn">Body</Item>', '<Item Key="SendClaimsIn">Body</Item><Item Key="DebugMode">true</Item>'
    )
    write(tmp_path, {**files, "pyproject.toml": QUIET})
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_exit_codes(dirty, capsys, fail_on, code):
    assert main(["lint", "--fail-on", fail_on]) == code


def test_warning_only_passes_with_fail_on_error(dirty, capsys):
    assert main(["lint", "--ignore", "DEP", "--fail-on", "error"]) == 0
    assert main(["lint", "--ignore", "DEP"]) == 1


def test_clean_set_exits_zero(tmp_path, monkeypatch, capsys):
    write(tmp_path, {**clean_set(), "pyproject.toml": QUIET})
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 0
    assert capsys.readouterr().out.strip() == "3 policy files linted: 0 errors, 0 warnings, 0 infos"


@pytest.mark.parametrize(
    ("files", "found"),
    [
        ({}, "no .xml file"),
        ({"notes.xml": "<notes/>", "pom.xml": "<project/>", "README.md": "# policies"}, "2 .xml files, none a B2C custom policy"),
        ({"web.xml": "<web-app/>"}, "1 .xml file, none a B2C custom policy"),
    ],
)
def test_a_folder_without_policies_exits_2_unless_allowed(tmp_path, monkeypatch, capsys, files, found):
    """A CI job pointed at the wrong folder must not pass green."""
    write(tmp_path / "wrong", files)
    (tmp_path / "wrong").mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path)
    for fmt in ("text", "sarif"):
        assert main(["lint", "wrong", "--format", fmt]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines()[-1] == (
            f"b2c-toolkit lint: no policy files to lint in wrong ({found}); check the paths, or pass --allow-empty to exit 0"
        )
    assert main(["lint", "wrong", "--allow-empty"]) == 0
    assert capsys.readouterr().out.strip() == "0 policy files linted: 0 errors, 0 warnings, 0 infos"


def test_text_format(dirty, capsys):
    main(["lint"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Base.xml:")
    assert " REST005 warning " in lines[0] and lines[0].endswith("[B2C_1A_signup_signin]")
    assert lines[1].startswith("Extensions.xml:3:") and " DEP001 error DeploymentMode is Development" in lines[1]
    assert lines[-1] == "3 policy files linted: 1 error, 1 warning, 0 infos; by rule: DEP001 1, REST005 1"


def test_json_format(dirty, capsys):
    main(["lint", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"files": 3, "errors": 1, "warnings": 1, "infos": 0}
    assert set(data["problems"][0]) == {"rule", "severity", "path", "line", "column", "message", "policy"}


def test_sarif_is_valid_and_matches_json(dirty, capsys, shared):
    main(["lint", "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    jsonschema.validate(sarif, json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text()))
    main(["lint", "--format", "json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        (p["rule"], p["line"]) for p in problems
    ]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"].startswith("https://learn.microsoft.com/") and r["help"]["text"] for r in rules)


def test_github_format(dirty, capsys):
    main(["lint", "--format", "github"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("::warning file=Base.xml,line=")
    assert out[1].startswith("::error file=Extensions.xml,line=3,col=") and ",title=DEP001::" in out[1]


def test_junit_format(dirty, capsys):
    main(["lint", "--format", "junit"])
    suite = etree.fromstring(capsys.readouterr().out.encode()).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"


def test_output_file(dirty, capsys):
    assert main(["lint", "--format", "json", "--output", "report.json"]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((dirty / "report.json").read_text())["summary"]["errors"] == 1


def test_output_folders_are_created_and_unwritable_outputs_exit_2(dirty, capsys):
    assert main(["lint", "--format", "sarif", "--output", "reports/lint/b2c.sarif"]) == 1
    assert json.loads((dirty / "reports" / "lint" / "b2c.sarif").read_text())["version"] == "2.1.0"
    (dirty / "a-file").write_text("")
    capsys.readouterr()
    # exit 2 and a message, never a traceback and exit 1, which CI would read as "findings"
    assert main(["lint", "--output", "."]) == 2
    assert "cannot write .: Is a directory" in capsys.readouterr().err
    assert main(["lint", "--write-baseline", "a-file/baseline.json"]) == 2
    assert "cannot write a-file/baseline.json" in capsys.readouterr().err


def test_usage_errors_exit_2(dirty, capsys):
    assert main(["lint", "--select", "NOPE"]) == 2
    assert 'no such rule: "NOPE"' in capsys.readouterr().err
    assert main(["lint", "missing-folder"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["lint", "--format", "yaml"])
    assert exc.value.code == 2
    (dirty / "pyproject.toml").write_text("[tool.b2c-toolkit.lint]\nbogus = 1\n")
    assert main(["lint"]) == 2
    assert 'unknown option "bogus"' in capsys.readouterr().err


def test_rules_command(capsys):
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert "REST001  warning  No generic REST failure message" in listing
    assert main(["rules", "rest001"]) == 0
    doc = capsys.readouterr().out
    assert "Bad::" in doc and "Fixed::" in doc and "learn.microsoft.com" in doc
    assert main(["rules", "NOPE"]) == 2


def test_every_rule_is_documented():
    from toolkit.lint.registry import all_rules

    for r in all_rules():
        assert "Bad" in r.doc and "Fixed" in r.doc and "Source:" in r.doc, r.id


def test_print_upload_order(tmp_path, monkeypatch, capsys):
    files = clean_set()
    files["Other.xml"] = files["SignUpOrSignin.xml"].replace("B2C_1A_signup_signin", "B2C_1A_other")
    write(tmp_path, {**files, "pyproject.toml": QUIET})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--print-upload-order", "."]) == 0
    assert capsys.readouterr().out.split() == ["Base.xml", "Extensions.xml", "Other.xml", "SignUpOrSignin.xml"]


def test_print_upload_order_fails_on_cycles(tmp_path, monkeypatch, capsys):
    from tests.lint.policies import policy

    write(tmp_path, {"A.xml": policy("B2C_1A_A", "", base="B2C_1A_B"), "B.xml": policy("B2C_1A_B", "", base="B2C_1A_A")})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--print-upload-order", "."]) == 1
    assert "cyclic" in capsys.readouterr().err


def test_schema_option_and_bad_schema(dirty, capsys, shared):
    assert main(["lint", "--schema", str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"), "--select", "XSD"]) == 0
    (dirty / "broken.xsd").write_text("<nope")
    assert main(["lint", "--schema", "broken.xsd"]) == 2
    assert "cannot use this schema" in capsys.readouterr().err


def test_every_rule_has_tests():
    from pathlib import Path

    from toolkit.lint.registry import all_rules

    tests = "".join(p.read_text() for p in Path(__file__).parent.rglob("test_*.py"))
    untested = [r.id for r in all_rules() if f'"{r.id}"' not in tests]
    assert untested == []


def test_settings_render_placeholders_with_source_lines(tmp_path, monkeypatch, capsys):
    files = clean_set()
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace(
        'TenantId="contoso.onmicrosoft.com"', 'TenantId="{Settings:Tenant}"', 1
    )
    files["Base.xml"] = files["Base.xml"].replace("https://api.contoso.com/loyalty", "{Settings:LoyaltyUrl}")
    settings = {
        "Environments": [
            {"Name": "Test", "Tenant": "contoso.onmicrosoft.com", "PolicySettings": {"LoyaltyUrl": "http://api.contoso.com/x?a=1&amp;b=2"}}
        ]
    }
    write(tmp_path, {**files, "pyproject.toml": QUIET, "other/appsettings.json": json.dumps(settings)})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--format", "json", "Base.xml", "Extensions.xml", "SignUpOrSignin.xml"]) == 1
    unrendered = {p["rule"] for p in json.loads(capsys.readouterr().out)["problems"]}
    assert "SET001" in unrendered and "REST006" not in unrendered
    write(tmp_path, {"appsettings.json": json.dumps(settings)})  # found beside the policies: rendered as if given
    assert main(["lint", "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["problems"]
    assert {p["rule"] for p in found} == {"REST006"}
    assert main(["lint", "--format", "json", "--settings", "appsettings.json", "--environment", "Test"]) == 1
    rendered = json.loads(capsys.readouterr().out)["problems"]
    assert {p["rule"] for p in rendered} == {"REST006"}  # the rendered URL is http
    assert rendered[0]["path"] == "Base.xml" and rendered[0]["line"] == 25
    assert main(["lint", "--settings", "appsettings.json", "--environment", "Prod"]) == 2
    assert "no environment 'Prod' (known: Test)" in capsys.readouterr().err


def test_baseline_survives_moved_lines(dirty, capsys):
    assert main(["lint", "--write-baseline", "baseline.json"]) == 0
    assert "wrote 2 findings" in capsys.readouterr().err
    base = (dirty / "Base.xml").read_text()
    (dirty / "Base.xml").write_text(base.replace("<ClaimsProviders>", "\n\n\n<ClaimsProviders>", 1))
    assert main(["lint", "--baseline", "baseline.json"]) == 0
    out = capsys.readouterr().out
    assert out.count("(baselined)") == 2 and out.strip().endswith("(2 baselined)")
    (dirty / "Base.xml").write_text(
        base.replace(
            '<Item Key="SendClaimsIn">Body</Item>',
            '<Item Key="SendClaimsIn">Body</Item><Item Key="AllowInsecureAuthInProduction">true</Item>',
        ).replace('<Item Key="AuthenticationType">ClientCertificate</Item>', '<Item Key="AuthenticationType">None</Item>')
    )
    assert main(["lint", "--baseline", "baseline.json", "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["rule"] for p in problems if not p.get("suppressed")] == ["REST003", "REST004"]
    assert main(["lint", "--baseline", "missing.json"]) == 2


def test_a_lint_run_leaves_slow_imports_alone(tmp_path):
    """Start-up is most of a lint run: modules that cost milliseconds to import and that a plain
    run does not need stay unimported (dataclasses, shutil via argparse, TOML without a config
    table, hashing without a cache, multiprocessing)."""

    write(tmp_path / "policies", clean_set())
    (tmp_path / "pyproject.toml").write_text('[project.scripts]\nb2c-toolkit = "toolkit.cli:main"\n')
    slow = ("dataclasses", "shutil", "tomllib", "hashlib", "multiprocessing", "concurrent.futures")
    code = (
        "import sys\nfrom toolkit.cli import main\n"
        "main(['lint', '--no-cache', '--format', 'json', '--output', 'report.json', 'policies'])\n"
        f"print(','.join(m for m in {slow!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["files"] == 3


def test_inventories_are_not_problems_but_a_report_of_their_own(tmp_path, monkeypatch, capsys):
    write(tmp_path, clean_set())
    monkeypatch.chdir(tmp_path)
    main(["lint", "--no-cache", "--format", "json"])
    assert '"LIM001"' not in capsys.readouterr().out  # not in the default problem list
    assert main(["lint", "--print-inventory"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "B2C_1A_signup_signin" and out[1].startswith("  LIM001 a sign-in costs about 5 requests")


def test_text_names_a_few_relying_parties_and_the_count(tmp_path, monkeypatch, capsys):
    files = clean_set(ext_attrs='DeploymentMode="Development"')
    for i in range(5):
        files[f"RP{i}.xml"] = files["SignUpOrSignin.xml"].replace("B2C_1A_signup_signin", f"B2C_1A_rp{i}")
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    main(["lint", "--no-cache"])
    (line,) = [line for line in capsys.readouterr().out.splitlines() if " DEP001 error " in line]
    assert line.endswith("[B2C_1A_rp0 and 5 more]")
    main(["lint", "--no-cache", "--format", "json"])
    (problem,) = [p for p in json.loads(capsys.readouterr().out)["problems"] if p["rule"] == "DEP001"]
    assert len(problem["policy"].split(", ")) == 6  # JSON keeps them all


def test_jobs_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lint", "--jobs", "0", str(ROOT / "policies")])
    assert exit_info.value.code == 2
    assert "--jobs: must be a whole number of processes" in capsys.readouterr().err
