"""The project's own policies: the resilient set lints clean, the fragile one shows the rules, and
every rule's example set raises its rule and no other error or warning."""

from __future__ import annotations

import pytest

from tests.lint.examples import ROOT, example_problems, hooks, raised_by_example
from toolkit.lint import lint
from toolkit.lint.registry import all_rules

POLICIES = ROOT / "policies"


def test_resilient_set_has_no_errors_or_warnings():
    report = lint([POLICIES / "resilient"])
    assert report.files == 7
    assert {p.rule for p in report.problems} <= {"LIM001", "BOT001", "MFA006"}  # advisory infos (MFA006: its ROPC relying party)
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
#: a rule whose example cannot avoid another: JavaScript needs a legacy layout to be wrong, and
#: the insecure-auth flag matters only on a call that is anonymous (REST003)
COMPANIONS = {"UI004": {"UI003"}, "REST004": {"REST003"}}


def test_every_rule_has_an_example_set_and_every_set_a_rule():
    rules = {r.id for r in all_rules()}
    assert rules - {name.upper() for name in ANTIPATTERNS} == set(hooks.NO_EXAMPLE)
    assert {name.upper() for name in ANTIPATTERNS} - rules == set()


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.id not in hooks.NO_EXAMPLE], ids=lambda r: r.id)
def test_example_raises_its_rule_and_no_other_error_or_warning(rule, request):
    schema = request.getfixturevalue("shared") / "corpus" / "xsd" / hooks.SCHEMA if rule.id == "XSD001" else None
    hooks.example_file(rule)  # one file names the rule: the one its page shows
    assert raised_by_example(rule.id, schema)
    others = {p["rule"] for p in example_problems(rule.id, schema) if p["severity"] != "info" and p["rule"] != rule.id}
    assert others - COMPANIONS.get(rule.id, set()) == set()


def test_a_rule_module_has_its_test_module():
    """Tests mirror the rules: each rule module's tests, its examples' included, in test_<module>.py."""
    modules = {r.check.__module__.rsplit(".", 1)[1] for r in all_rules()}
    tests = {p.stem.removeprefix("test_") for p in (ROOT / "tests" / "lint" / "rules").glob("test_*.py")}
    assert modules - tests == set()
