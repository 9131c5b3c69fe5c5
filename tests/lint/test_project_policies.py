"""The project's own policies: the resilient set lints clean, the fragile one shows the rules."""

from __future__ import annotations

from pathlib import Path

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


def test_project_policies_are_schema_valid(shared):
    from toolkit.lint import Config

    config = Config(select=["XSD001"], schema=str(shared / "corpus" / "xsd" / "TrustFrameworkPolicy_0.3.0.0.xsd"))
    assert lint([POLICIES], config).problems == []


def test_emulator_takes_lifetimes_from_the_resilient_set():
    from toolkit.emulator.policies import lifetimes_from_policies
    from toolkit.emulator.tokens import Lifetimes

    assert lifetimes_from_policies(POLICIES / "resilient") == Lifetimes(3600, 3600, 1209600, 7776000, 86400)
