"""Parsing on two threads and checks spread over processes give the report one process gives."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.lint import lint, parallel
from toolkit.lint import parse as parse_module
from toolkit.lint.check import units
from toolkit.lint.linter import load_set

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


def test_split_balances_by_weight():
    shares = parallel.split([5, 1, 4, 2, 3, 3], lambda n: n, 2)
    assert sorted(sum(s) for s in shares) == [9, 9]
    assert parallel.split([1], lambda n: n, 3) == [[1], [], []]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_children_run_in_other_processes():
    rows = parallel.run(lambda i: [(i, os.getpid())], 3)
    assert [i for i, _ in rows] == [0, 1, 2]
    assert len({pid for _, pid in rows}) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_failing_child_share_is_redone_here():
    parent = os.getpid()

    def work(i: int) -> list[tuple[object, ...]]:
        if os.getpid() != parent:
            raise RuntimeError("child failed")
        return [(i,)]

    assert parallel.run(work, 2) == [(0,), (1,)]


def test_no_fork_while_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.can_fork()
        rows = parallel.run(lambda i: [(i, os.getpid())], 2)
        assert {pid for _, pid in rows} == {os.getpid()}
    finally:
        stop.set()
        thread.join()


def test_a_small_run_is_not_forked(shared, monkeypatch):
    parts: list[int] = []
    run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda work, n: parts.append(n) or run(work, n))
    lint([ROOT / "policies" / "resilient"], jobs=2)
    assert parts == []
    lint([shared / "corpus"], jobs=2)
    assert parts == [2]


def test_jobs_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["lint", "--jobs", "0", str(ROOT / "policies")])
    assert exit_info.value.code == 2
    assert "--jobs: must be a whole number of processes" in capsys.readouterr().err


def test_a_failure_while_parsing_on_the_second_thread_is_raised(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "policies" / "antipatterns" / "fragile", tmp_path / "fragile")
    monkeypatch.setattr(parse_module, "THREAD_WORTH", 0)
    real_parse = parse_module.parse
    threads: set[str] = set()

    def parse(path, *args):
        threads.add(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            raise MemoryError(f"while parsing {path.name}")
        return real_parse(path, *args)

    monkeypatch.setattr(parse_module, "parse", parse)
    with pytest.raises(MemoryError, match="while parsing"):
        lint([tmp_path], jobs=2)
    assert len(threads) == 2
    assert threading.active_count() == 1  # the helper was joined
