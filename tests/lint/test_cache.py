"""Unchanged policy sets reuse the problems of an earlier run; anything that changes a set's
result changes its key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from toolkit.cli import main
from toolkit.lint import cache as cache_module
from toolkit.lint import lint
from toolkit.lint.config import from_table

ROOT = Path(__file__).resolve().parents[2]
FRAGILE = ROOT / "policies" / "antipatterns" / "fragile"


def _two_sets(tmp_path: Path) -> Path:
    policies = tmp_path / "policies"
    for name in ("a", "b"):
        shutil.copytree(FRAGILE, policies / name)
    return policies


def _tamper(folder: Path) -> int:
    """Rewrite every stored message, so that a reused entry shows in the report."""
    for entry in folder.glob("*.json"):
        rows = json.loads(entry.read_text())
        entry.write_text(json.dumps([[*row[:5], "FROM CACHE", *row[6:]] for row in rows]))
    return len(list(folder.glob("*.json")))


def test_an_unchanged_set_reuses_its_problems(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    first = lint([policies], cache=store)
    assert _tamper(store) == 2  # one entry per policy set
    again = lint([policies], cache=store)
    assert [p.rule for p in again.problems] == [p.rule for p in first.problems]
    reused = {p.path.split("/")[-2] for p in again.problems if p.message == "FROM CACHE"}
    assert reused == {"a", "b"}
    # the set-wide rules always run: INH008 (the same PolicyIds in both sets) is fresh
    assert all(p.message != "FROM CACHE" for p in again.problems if p.rule == "INH008")
    assert lint([policies], cache=None).problems == first.problems


def test_an_edited_file_rechecks_its_set_only(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    lint([policies], cache=store)
    _tamper(store)
    rp = policies / "a" / "SignUpOrSignin.xml"
    rp.write_text(rp.read_text().replace(">300<", ">900<"))
    report = lint([policies], cache=store)
    fresh = {p.path.split("/")[-2] for p in report.problems if p.message != "FROM CACHE" and p.rule != "INH008"}
    reused = {p.path.split("/")[-2] for p in report.problems if p.message == "FROM CACHE"}
    assert fresh == {"a"} and reused == {"b"}
    assert not any(p.rule == "SSO003" and "/a/" in p.path for p in report.problems)  # the fix shows


def test_configuration_is_part_of_the_key(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    lint([policies], cache=store)
    _tamper(store)
    quieter = from_table({"severity": {"REST001": "info"}}, "test")
    report = lint([policies], quieter, cache=store)
    assert all(p.message != "FROM CACHE" for p in report.problems)
    assert {p.severity.value for p in report.problems if p.rule == "REST001"} == {"info"}


def test_a_baseline_applies_to_cached_problems(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    first = lint([policies], cache=store)
    baseline = {(p.rule, p.file_policy, p.identity) for p in first.problems if p.rule == "REST001"}
    report = lint([policies], baseline=baseline, cache=store)
    assert {p.rule for p in report.problems if p.suppressed} == {"REST001"}
    assert len([p for p in report.problems if p.suppressed]) == 2


def test_broken_or_unwritable_cache_never_changes_the_report(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    expected = lint([policies]).problems
    lint([policies], cache=store)
    for entry in store.glob("*.json"):
        entry.write_text("{not json")
    assert lint([policies], cache=store).problems == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    assert lint([policies], cache=blocked).problems == expected


def test_the_folder_is_pruned(tmp_path, monkeypatch):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    store.mkdir()
    for n in range(10):
        (store / f"old{n}.json").write_text("[]")
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 8)
    lint([policies], cache=store)
    assert len(list(store.iterdir())) == 4
    assert len(list(store.glob("old*.json"))) == 2  # the oldest went first


def test_command_line_cache_options(tmp_path, capsys):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    args = ["lint", "--fail-on", "never", "--format", "json", str(policies)]
    assert main([*args, "--no-cache", "--cache-dir", str(store)]) == 0
    assert not store.exists()
    assert main([*args, "--cache-dir", str(store)]) == 0
    assert len(list(store.glob("*.json"))) == 2
    outputs = capsys.readouterr().out.split("\n{")
    assert len(outputs) == 2 and json.loads(outputs[0])["problems"] == json.loads("{" + outputs[1])["problems"]
