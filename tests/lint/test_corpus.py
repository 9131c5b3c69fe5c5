"""The real-world check: 357 policy files nobody in this project wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from toolkit.lint import lint
from toolkit.lint.config import Config


def test_whole_corpus_lints_without_traceback(shared):
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "lint", "--format", "json", str(shared / "corpus")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["files"] == 357
    # the only malformed files are the four the corpus README lists (a `<` missing in each)
    broken = {p["path"].rsplit("/", 1)[-1] for p in data["problems"] if p["rule"] == "XML001"}
    assert broken == {f"{app}_TrustFrameworkExtensions.xml" for app in ("Freshdesk_SAML", "Opsgenie_SAML", "Slack_SAML", "Grafana_OAuth")}


def test_starter_pack_links_every_chain(shared):
    report = lint([shared / "corpus" / "Azure-Samples__active-directory-b2c-custom-policy-starterpack"])
    counts = Counter(p.rule for p in report.problems)
    # Chains resolve by (TenantId, PolicyId), nearest folder first, despite 8 copies of each base.
    # The two `scenarios/` sets have no base of their own: 8 folders beside them declare one, and
    # the linter names them instead of borrowing the first.
    unlinked = [p for p in report.problems if p.rule == "INH001"]
    assert sorted(p.path.split("/")[-2] for p in unlinked) == ["linkedin-identity-provider", "password-change"]
    assert all("declared in 8 places" in p.message and "--base-path" in p.message for p in unlinked)
    assert counts["INH007"] == 0
    # Its eight copies of each PolicyId share the placeholder tenant `yourtenant`: samples, never
    # uploaded to one tenant, so no INH008. The warnings are what a reviewer agrees with:
    # placeholders, no phone allow-list in the RP files, and the LinkedIn sample's REST call made
    # straight from the journey. The legacy page layouts of the passwordless scenario's base are
    # the starter pack's own content, unchanged: one info says so.
    assert {p.rule for p in report.problems if p.severity.value == "error"} == {"INH001"}
    assert {p.rule for p in report.problems if p.severity.value == "warning"} == {"SET001", "MFA002", "REST001", "REST009"}
    assert counts["REST009"] == 1 and counts["REST001"] == 1
    (ui003,) = [p for p in report.problems if p.rule == "UI003"]
    assert ui003.severity.value == "info" and ui003.path.endswith("Phone_Email_Base.xml")
    assert ui003.message.startswith("inherited from the starter pack, unchanged: ContentDefinition phoneInput,")
    # every finding on starter-pack content is reported once per rule and file
    assert len({(p.path, p.rule) for p in report.problems if "inherited" in p.message}) == sum(
        "inherited" in p.message for p in report.problems
    )
    each = lint([shared / "corpus" / "Azure-Samples__active-directory-b2c-custom-policy-starterpack"], Config(starter_pack="report"))
    assert sum(p.rule == "UI003" and p.severity.value == "warning" for p in each.problems) == 13
    assert not any("inherited" in p.message for p in each.problems)


def test_development_mode_found_in_woodgrove(shared):
    report = lint([shared / "corpus" / "azure-ad-b2c__woodgrove-groceries-demo"])
    dep = [p for p in report.problems if p.rule == "DEP001"]
    assert dep and all(p.severity.value == "error" for p in dep)
