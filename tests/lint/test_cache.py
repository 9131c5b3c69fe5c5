"""A run over unchanged files reuses the problems of an earlier run without parsing; otherwise
unchanged policy sets reuse theirs. Anything that changes a result changes its key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.lint import cache as cache_module
from toolkit.lint import lint
from toolkit.lint import parse as parse_module
from toolkit.lint.config import Config, from_table

ROOT = Path(__file__).resolve().parents[2]
FRAGILE = ROOT / "policies" / "antipatterns" / "fragile"


def _two_sets(tmp_path: Path) -> Path:
    policies = tmp_path / "policies"
    for name in ("a", "b"):
        shutil.copytree(FRAGILE, policies / name)
    return policies


def _tamper(folder: Path) -> int:
    """Rewrite every message stored for a policy set, so that a reused entry shows in the report;
    forget whole runs, so that the next run parses and reuses set entries. Returns how many sets."""
    for entry in folder.glob("run-*.json"):
        entry.unlink()
    for entry in folder.glob("*.json"):
        rows = json.loads(entry.read_text())
        entry.write_text(json.dumps([[*row[:5], "FROM CACHE", *row[6:]] for row in rows]))
    return len(list(folder.glob("*.json")))


def _tamper_run(folder: Path) -> None:
    """Rewrite every message of the stored whole run."""
    (entry,) = folder.glob("run-*.json")
    run = json.loads(entry.read_text())
    run["problems"] = [[*row[:5], "FROM CACHE", *row[6:]] for row in run["problems"]]
    entry.write_text(json.dumps(run))


def _with_schema(tmp_path: Path, shared: Path) -> tuple[Path, Config]:
    """A copy of the official schema (from the shared corpus), and a configuration that uses it."""
    xsd = tmp_path / "TrustFrameworkPolicy_0.3.0.0.xsd"
    xsd.write_bytes((shared / "corpus" / "xsd" / xsd.name).read_bytes())
    return xsd, from_table({"schema": str(xsd)}, "test")


def _no_parsing(*args: object) -> None:
    raise AssertionError("a file was parsed")


def test_an_unchanged_run_reuses_its_problems_without_parsing(tmp_path, monkeypatch):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    first = lint([policies], cache=store)
    _tamper_run(store)
    monkeypatch.setattr(parse_module, "parse", _no_parsing)
    again = lint([policies], cache=store)
    assert again.files == first.files == 4
    assert [p._replace(message="") for p in again.problems] == [p._replace(message="") for p in first.problems]
    assert {p.message for p in again.problems} == {"FROM CACHE"}  # the set-wide INH008 included


@pytest.mark.parametrize("change", ["new file", "settings", "schema"])
def test_a_run_with_anything_changed_is_checked_again(tmp_path, change, request):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    # only the schema change needs the official schema (the shared corpus): the others run without it
    xsd, config = _with_schema(tmp_path, request.getfixturevalue("shared")) if change == "schema" else (None, Config())
    first = lint([policies], config, cache=store)
    _tamper_run(store)
    if change == "new file":
        (policies / "notes.xml").write_text("<notes/>")  # not a policy, but it could have become one
    elif change == "settings":
        config.settings = {"ApiHost": "api.contoso.com"}
    elif xsd is not None:
        xsd.write_bytes(xsd.read_bytes() + b"\n")
    again = lint([policies], config, cache=store)
    assert again.problems == first.problems


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
    for entry in store.glob("*.json"):  # JSON, but not problems: rows too short, an unknown severity
        entry.write_text('{"files": 4, "problems": [["x.xml", 1]]}' if entry.name.startswith("run-") else '[["x.xml", 1, 1, "R", "loud"]]')
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
    assert len(list(store.glob("old*.json"))) == 1  # the oldest went first: 10 old, 2 sets and 1 run


def test_command_line_cache_options(tmp_path, capsys):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    args = ["lint", "--fail-on", "never", "--format", "json", str(policies)]
    assert main([*args, "--no-cache", "--cache-dir", str(store)]) == 0
    assert not store.exists()
    assert main([*args, "--cache-dir", str(store)]) == 0
    assert len(list(store.glob("*.json"))) == 3  # two policy sets and the run
    outputs = capsys.readouterr().out.split("\n{")
    assert len(outputs) == 2 and json.loads(outputs[0])["problems"] == json.loads("{" + outputs[1])["problems"]


def test_an_edited_schema_rechecks_every_set(tmp_path, shared):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    xsd, config = _with_schema(tmp_path, shared)
    first = lint([policies], config, cache=store)
    _tamper(store)
    xsd.write_bytes(xsd.read_bytes() + b"\n")
    assert lint([policies], config, cache=store).problems == first.problems


def test_settings_that_change_a_rendered_file_recheck_its_set(tmp_path):
    policies, store = _two_sets(tmp_path), tmp_path / "cache"
    rp = policies / "a" / "SignUpOrSignin.xml"
    rp.write_text(rp.read_text().replace(">300<", ">{Settings:Lifetime}<"))
    config = from_table({}, "test")
    config.settings = {"Lifetime": "300"}
    first = lint([policies], config, cache=store)
    _tamper(store)
    config.settings = {"Lifetime": "900"}  # SSO003's finding on set a goes away
    report = lint([policies], config, cache=store)
    fresh = {p.path.split("/")[-2] for p in report.problems if p.message != "FROM CACHE" and p.rule != "INH008"}
    assert fresh == {"a"}
    assert any(p.rule == "SSO003" and "/a/" in p.path for p in first.problems)
    assert not any(p.rule == "SSO003" and "/a/" in p.path for p in report.problems)
