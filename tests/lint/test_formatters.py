"""Every output format stays valid, one problem per problem, whatever a path or message holds."""

from __future__ import annotations

import json
import os
import shutil
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from toolkit.cli import main
from toolkit.lint import Problem, Report
from toolkit.lint.escape import printable
from toolkit.lint.formatters import FORMATS
from toolkit.lint.problem import Severity
from toolkit.lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]

#: any text, with more of what breaks formats: control characters, the surrogates that stand for
#: the bytes of a file name that are not UTF-8, and the characters each format escapes
texts = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs", "Cc"]), st.sampled_from("%:,&<>\"'\\\r\n\ufffe")),
    max_size=30,
)
problems = st.builds(
    Problem,
    path=texts,
    line=st.integers(1, 10**6),
    column=st.integers(1, 10**4),
    rule=st.sampled_from([r.id for r in all_rules()]),
    severity=st.sampled_from(list(Severity)),
    message=texts,
    policy=texts,
    suppressed=st.booleans(),
)


@cache
def _sarif_validator(shared: Path) -> jsonschema.protocols.Validator:
    """The SARIF schema's validator, built once (`jsonschema.validate` checks the schema each call)."""
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@given(st.lists(problems, max_size=5))
def test_every_format_is_valid_whatever_the_problems_hold(shared, found):
    report = Report(len(found), found)
    shown = [p for p in found if not p.suppressed]
    out = {name: render(report) for name, render in FORMATS.items()}
    for text in out.values():
        text.encode("utf-8")  # writable to a file or a UTF-8 terminal: no lone surrogate
    assert len(out["text"].splitlines()) == len(found) + 1  # one line per problem, and the summary
    assert len(out["github"].splitlines()) == len(shown) + 1
    as_json = json.loads(out["json"])["problems"]
    assert [(p["path"], p["message"]) for p in as_json] == [(printable(p.path), printable(p.message)) for p in found]
    sarif = json.loads(out["sarif"])
    _sarif_validator(shared).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(found)
    junit = etree.fromstring(out["junit"].encode())
    assert len(junit.findall(".//failure")) == len(shown)


def test_a_file_name_that_is_not_utf8_is_linted_and_reported(tmp_path, monkeypatch, capsys):
    """The default run (cache on) used to fail with UnicodeEncodeError on such a name."""
    name = os.fsencode(tmp_path / "policies") + b"/\xffa\x01b.xml"
    os.mkdir(tmp_path / "policies")
    try:
        shutil.copyfile(ROOT / "policies" / "antipatterns" / "fragile" / "TrustFrameworkBase.xml", name)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    monkeypatch.chdir(tmp_path)
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        assert main(["lint", "policies", "--format", fmt, "--output", str(out), "--cache-dir", str(tmp_path / "cache")]) == 1
        assert "policies/\\xffa\\x01b.xml" in out.read_text(encoding="utf-8") or fmt in ("json", "sarif")
    assert {p["path"] for p in json.loads((tmp_path / "report.json").read_text())["problems"]} == {"policies/\\xffa\\x01b.xml"}
    sarif = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in sarif["results"]]
    assert all(loc == {"uri": "policies/%FFa%01b.xml", "uriBaseId": "%SRCROOT%"} for loc in locations)
    assert sarif["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    etree.parse(tmp_path / "report.junit")
    assert main(["lint", "policies", "--print-upload-order"]) == 0
    assert capsys.readouterr().out == "policies/\\xffa\\x01b.xml\n"


def test_sarif_names_a_file_outside_the_working_directory_by_its_file_uri(tmp_path, monkeypatch):
    folder = tmp_path / "my policies"
    folder.mkdir()
    shutil.copyfile(ROOT / "policies" / "antipatterns" / "fragile" / "TrustFrameworkBase.xml", folder / "Base #1.xml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "report.sarif"
    assert main(["lint", str(folder), "--format", "sarif", "--output", str(out), "--no-cache"]) == 1
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"]) for r in results} == {
        json.dumps({"uri": (folder / "Base #1.xml").as_uri()})
    }
