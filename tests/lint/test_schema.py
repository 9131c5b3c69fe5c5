"""The official schema: found, corrected in memory, errors in plain words."""

from __future__ import annotations

import shutil

import pytest

from tests.lint.policies import clean_set, write
from toolkit.lint import Config, lint
from toolkit.lint.linter import load_set
from toolkit.lint.schema import SCHEMA_NAME, find_schema, humanize, load_schema, unanchor, violations


@pytest.fixture(scope="module")
def xsd(shared):
    return shared / "corpus" / "xsd" / SCHEMA_NAME


def test_corpus_has_no_false_alarms_with_the_corrected_schema(shared, xsd):
    files = load_set([shared / "corpus"]).files
    assert lint([shared / "corpus"], Config(select=["XSD001"], schema=str(xsd))).problems == []
    as_shipped = sum(len(violations(load_schema(str(xsd), correct=False), f.root)) for f in files)
    assert as_shipped > 100  # every RecoveryUri/DataUri, without the correction


def test_unanchor_changes_only_the_three_anchored_patterns(xsd):
    from lxml import etree

    assert unanchor(etree.parse(str(xsd))) == 3


def test_schema_is_found_in_linted_folders_or_their_parents(tmp_path, xsd):
    assert find_schema([tmp_path]) is None
    (tmp_path / "deep" / "policies").mkdir(parents=True)
    shutil.copy(xsd, tmp_path / SCHEMA_NAME)
    assert find_schema([tmp_path / "deep" / "policies"]) == tmp_path / SCHEMA_NAME
    shutil.copy(xsd, tmp_path / "deep" / SCHEMA_NAME)
    assert find_schema([tmp_path / "deep"]) == tmp_path / "deep" / SCHEMA_NAME


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Element '{ns}UserJourneys': This element is not expected. Expected is one of ( {ns}ClaimsProviders, {ns}RelyingParty ).",
            "`UserJourneys` is not allowed here; expected `ClaimsProviders`, `RelyingParty` (elements must follow the schema's order)",
        ),
        ("Element '{ns}Bogus': This element is not expected.", "`Bogus` is not allowed here (unknown element, or in the wrong place)"),
        (
            "Element '{ns}ClaimsProviders': Character content other than whitespace is not allowed because the content type is 'element-only'.",
            "`ClaimsProviders` contains stray text; it may only contain elements",
        ),
        ("Element '{ns}Item', attribute 'Colour': The attribute 'Colour' is not allowed.", "attribute `Colour` is not allowed on `Item`"),
        (
            "Element '{ns}TrustFrameworkPolicy', attribute 'DeploymentMode': [facet 'enumeration'] The value 'Test' is not an element of the set {'Development', 'Production'}.",
            "`TrustFrameworkPolicy` attribute `DeploymentMode` value 'Test' must be one of 'Development', 'Production'",
        ),
        (
            "Element '{ns}BasePolicy': Missing child element(s). Expected is ( {ns}PolicyId ).",
            "`BasePolicy` is missing a required child: `PolicyId`",
        ),
    ],
)
def test_messages_are_plain(raw, expected):
    assert humanize(raw)[0] == expected


def test_hand_made_violations(tmp_path, xsd):
    files = clean_set()
    files["SignUpOrSignin.xml"] = files["SignUpOrSignin.xml"].replace("<RelyingParty>", "stray text<Bogus/><RelyingParty>")
    files["Base.xml"] = files["Base.xml"].replace("<BuildingBlocks>", "<UserJourneys/><BuildingBlocks>", 1)
    policies = load_set([write(tmp_path, files)]).files
    found = {f.display.rsplit("/", 1)[-1]: [v.message for v in violations(load_schema(str(xsd)), f.root)] for f in policies}
    assert any("stray text" in m for m in found["SignUpOrSignin.xml"])
    assert any("`Bogus` is not allowed here" in m for m in found["SignUpOrSignin.xml"])
    assert any("`BuildingBlocks` is not allowed here" in m for m in found["Base.xml"])
    assert found["Extensions.xml"] == []
