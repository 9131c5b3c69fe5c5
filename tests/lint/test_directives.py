"""Inline suppressions in XML comments."""

from __future__ import annotations

import pytest

from tests.lint.policies import BASE, clean_set, rule_ids, run

DEBUG = '<Item Key="DebugMode">true</Item>'


def with_debug(before_profile: str = "", file_comment: str = "") -> dict[str, str]:
    base = BASE.replace('<Item Key="SendClaimsIn">Body</Item>', '<Item Key="SendClaimsIn">Body</Item>' + DEBUG)
    base = base.replace('<TechnicalProfile Id="REST-GetLoyalty">', before_profile + '<TechnicalProfile Id="REST-GetLoyalty">')
    return clean_set(base=file_comment + base)


def test_unsuppressed(tmp_path):
    assert rule_ids(run(tmp_path, with_debug())) == {"REST005"}


@pytest.mark.parametrize(
    "comment",
    [
        "<!-- b2c-toolkit: disable=REST005 -->",
        "<!--b2c-toolkit:disable=rest005-->",
        "<!-- b2c-toolkit: disable=REST001, REST005 -->",
        "<!-- b2c-toolkit: disable=REST -->",
        "<!-- b2c-toolkit: disable=all -->",
    ],
)
def test_disable_next_element(tmp_path, comment):
    assert run(tmp_path, with_debug(before_profile=comment)).problems == []


def test_disable_other_rule_keeps_finding(tmp_path):
    assert rule_ids(run(tmp_path, with_debug(before_profile="<!-- b2c-toolkit: disable=REST001 -->"))) == {"REST005"}


def test_disable_applies_to_next_element_only(tmp_path):
    files = with_debug(
        before_profile='<!-- b2c-toolkit: disable=REST005 --><TechnicalProfile Id="Other"><DisplayName>x</DisplayName></TechnicalProfile>'
    )
    assert rule_ids(run(tmp_path, files)) == {"REST005"}


def test_disable_file(tmp_path):
    files = with_debug(file_comment="<!-- b2c-toolkit: disable-file=REST005 -->")
    assert run(tmp_path, files).problems == []
