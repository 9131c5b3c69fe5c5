"""Parsing on two threads and checks spread over processes give the report one process gives."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from toolkit.lint import parallel


def test_split_balances_by_weight():
    shares = parallel.split([5, 1, 4, 2, 3, 3], lambda n: n, 2)
    assert sorted(sum(s) for s in shares) == [9, 9]
    assert parallel.split([1], lambda n: n, 3) == [[1], [], []]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_children_run_in_other_processes():
    rows = parallel.run(lambda i: [(i, os.getpid())], 3, _same, _same)
    assert [i for i, _ in rows] == [0, 1, 2]
    assert len({pid for _, pid in rows}) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_only_what_crosses_a_pipe_is_encoded():
    results = parallel.run(lambda i: [(i,)], 3, lambda r: ("sent", *r), lambda r: (*r[1:], "received"))
    assert results == [(0,), (1, "received"), (2, "received")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_failing_child_share_is_redone_here():
    parent = os.getpid()

    def work(i: int) -> list[tuple[object, ...]]:
        if os.getpid() != parent:
            raise RuntimeError("child failed")
        return [(i,)]

    assert parallel.run(work, 2, _same, _same) == [(0,), (1,)]


def test_no_fork_while_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.can_fork()
        rows = parallel.run(lambda i: [(i, os.getpid())], 2, _same, _same)
        assert {pid for _, pid in rows} == {os.getpid()}
    finally:
        stop.set()
        thread.join()


def _same(row: tuple[object, ...]) -> tuple[object, ...]:
    return row
