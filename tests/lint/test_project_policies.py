"""The project's own policies: the resilient set lints clean, the fragile one shows the rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.lint import lint

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def test_resilient_set_has_no_errors_or_warnings():
    report = lint([POLICIES / "resilient"])
    assert report.files == 7
    assert {p.rule for p in report.problems} <= {"LIM001", "BOT001"}  # advisory infos
    assert all(p.severity.value == "info" for p in report.problems)


def test_fragile_set_shows_the_anti_patterns():
    report = lint([POLICIES / "antipatterns" / "fragile"])
    assert {p.rule for p in report.problems} >= {
        "DEP001", "REST001", "REST003", "REST004", "REST005", "REST006", "REST007", "REST009", "SSO002", "SSO003", "TOK002", "TOK003",
    }  # fmt: skip


def test_resilient_and_fragile_sets_are_schema_valid(shared):
    from toolkit.lint import Config

    config = Config(select=["XSD001"], schema=str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"))
    assert lint([POLICIES / "resilient", POLICIES / "antipatterns" / "fragile"], config).problems == []


ANTIPATTERNS = sorted(p.name for p in (POLICIES / "antipatterns").iterdir() if p.is_dir() and p.name != "fragile")
#: a rule whose example cannot avoid another: JavaScript needs a legacy layout to be wrong
COMPANIONS = {"ui004": {"UI003"}}


def test_every_rule_has_an_antipattern_set():
    from toolkit.lint.registry import all_rules

    # INH005 would need a 1 MB file or 201 policies in the repository
    assert {r.id.lower() for r in all_rules()} - set(ANTIPATTERNS) == {"inh005"}


@pytest.mark.parametrize("name", ANTIPATTERNS)
def test_antipattern_set_raises_its_rule_and_no_other_error_or_warning(name, shared):
    from toolkit.lint import Config

    rule = name.upper()
    xsd = str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd")
    # an inventory (LIM001, REST010) runs only when named
    config = Config(schema=xsd) if rule == "XSD001" else Config(select=["ALL", rule], ignore=["XSD001"])
    report = lint([POLICIES / "resilient", POLICIES / "antipatterns" / name], config)
    raised = {p.rule for p in report.problems if f"/{name}/" in p.path or f"B2C_1A_AP_{rule}" in p.policy}
    assert rule in raised
    others = {p.rule for p in report.problems if p.severity.value != "info" and p.rule != rule} - COMPANIONS.get(name, set())
    assert others == set()
