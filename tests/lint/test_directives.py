"""Inline suppressions in XML comments."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.lint.policies import BASE, clean_set, rule_ids, run
from toolkit.lint.directives import Suppressions, matches

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
        before_profile='<!-- b2c-toolkit: disable=REST005 --><TechnicalProfile Id="Other"><DisplayName>x</DisplayName><Protocol Name="None" /></TechnicalProfile>'
    )
    assert rule_ids(run(tmp_path, files)) == {"REST005"}


def test_disable_file(tmp_path):
    files = with_debug(file_comment="<!-- b2c-toolkit: disable-file=REST005 -->")
    assert run(tmp_path, files).problems == []


ranges = st.lists(
    st.tuples(
        st.integers(1, 40), st.integers(0, 10), st.frozensets(st.sampled_from(["ALL", "REST", "REST005", "SET001", "S"]), max_size=3)
    ),
    max_size=8,
)


@given(ranges, st.sampled_from(["REST005", "REST001", "SET001", "SSO001"]), st.integers(0, 60))
def test_suppressions_answer_as_a_scan_of_every_directive_would(spans, rule, line):
    """The sweep-built index against the definition: a directive switches its rules off from its
    element's first line to its last."""
    found = Suppressions()
    found.ranges = [(first, first + length, rules) for first, length, rules in spans]
    expected = any(first <= line <= last and matches(rule, rules) for first, last, rules in found.ranges)
    assert found.suppresses(rule, line) == expected


def test_thousands_of_directives_and_findings_cannot_stall_a_run(tmp_path):
    """20,000 claim types, each with a placeholder and behind two directives, inside a schema
    behind a directive listing 20,000 rule ids (2.6 MB): each finding was checked against every
    directive and every id, each comment walked to its element past the others, each element's
    lines counted per comment. Now a second or two here (the bound is 30 s); every finding is
    still switched off."""
    many = ",".join(f"X{i}" for i in range(20_000))
    claims = "".join(
        f'<!-- b2c-toolkit: disable=REST --><!-- b2c-toolkit: disable=SET001 --><ClaimType Id="c{i}"><DisplayName>{{Settings:A{i}}}</DisplayName><DataType>string</DataType></ClaimType>\n'
        for i in range(20_000)
    )
    base = BASE.replace("<ClaimsSchema>", f"<!-- b2c-toolkit: disable={many} --><ClaimsSchema>" + claims, 1)
    started = time.monotonic()
    report = run(tmp_path, clean_set(base=base))
    assert time.monotonic() - started < 30
    assert rule_ids(report) == {"INH005"}  # the file is over B2C's 1024 KB; every SET001 switched off
