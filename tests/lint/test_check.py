"""The executor: work shared out by whole policy sets, forked only when worth it, the same report either way."""

from __future__ import annotations

import shutil
from pathlib import Path

from toolkit.lint import lint, parallel
from toolkit.lint.check import units
from toolkit.lint.linter import load_set
from toolkit.lint.problem import Problem

ROOT = Path(__file__).resolve().parents[2]


def test_forked_run_reports_what_one_process_reports(shared):
    corpus = shared / "corpus"
    one = lint([corpus], jobs=1)
    two = lint([corpus], jobs=2)
    three = lint([corpus], jobs=3)
    assert one.problems == two.problems == three.problems  # every field, policy lists included
    assert one.files == two.files == 357


def test_work_is_shared_out_by_whole_policy_sets(tmp_path):
    # Two sets, each a base with two relying parties: a unit of work is a whole set, so a finding
    # in a base still names both relying parties on it, once.
    fragile = ROOT / "policies" / "antipatterns" / "fragile"
    for name in ("a", "b"):
        folder = tmp_path / name
        shutil.copytree(fragile, folder)
        rp = (folder / "SignUpOrSignin.xml").read_text()
        (folder / "Second.xml").write_text(rp.replace('PolicyId="B2C_1A_Fragile_signup_signin"', 'PolicyId="B2C_1A_Second"'))
    found = units(load_set([tmp_path]))
    assert [len(u.files or []) for u in found] == [0, 3, 3]  # the set rules, a, b
    one = lint([tmp_path], jobs=1)
    two = lint([tmp_path], jobs=3)
    assert one.problems == two.problems
    dep001 = [p for p in two.problems if p.rule == "DEP001"]
    assert [p.policy for p in dep001] == ["B2C_1A_Fragile_signup_signin, B2C_1A_Second"] * 2


def test_a_small_run_is_not_forked(shared, monkeypatch):
    parts: list[int] = []
    run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda work, n, *codec: parts.append(n) or run(work, n, *codec))
    lint([ROOT / "policies" / "resilient"], jobs=2)
    lint([shared / "corpus"], jobs=2)
    assert parts == [1, 2]


def test_one_process_without_a_cache_keeps_its_problems_as_they_are(monkeypatch):
    # rows are for a pipe or a cache entry only
    def no_rows(*args: object) -> None:
        raise AssertionError("a problem was made into a row")

    monkeypatch.setattr(Problem, "to_row", no_rows)
    monkeypatch.setattr(Problem, "from_row", no_rows)
    report = lint([ROOT / "policies" / "antipatterns" / "fragile"], jobs=1)
    assert {"DEP001", "REST001"} <= {p.rule for p in report.problems}
