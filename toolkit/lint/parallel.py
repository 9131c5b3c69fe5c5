"""Spread the checks of one run over several processes, after parsing (and the parsing over two
threads: see `on_two_threads`).

The parsed set is shared with forked children copy-on-write, so nothing is parsed twice; each
process checks its share and children send back their results over a pipe, as plain tuples
through `marshal` (`encode` makes them; results computed here are never encoded). `os.fork` is used directly because `multiprocessing` and `concurrent.futures` cost
more to import (~15 ms) than a lint run of a typical policy set takes to check. Where fork is
unsafe (see `can_fork`) the shares run one after another in this process, with the same result.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Row = tuple[object, ...]


def default_jobs() -> int:
    """How many processes `--jobs` uses by default: the CPUs this process may run on, at most 4
    (beyond that, forking costs more than the checks it spreads)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def split(items: Sequence[T], weight: Callable[[T], int], parts: int) -> list[list[T]]:
    """`items` in `parts` shares of similar total weight (heaviest first, each to the lightest share)."""
    shares: list[list[T]] = [[] for _ in range(max(parts, 1))]
    loads = [0] * len(shares)
    for item in sorted(items, key=weight, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(item)
        loads[lightest] += weight(item)
    return shares


def can_fork() -> bool:
    """True when forking is available and safe: Linux (macOS system libraries do not survive a
    fork without exec), and no thread besides this one (a child could inherit a held lock)."""
    threading = sys.modules.get("threading")  # not imported: no threads were started from Python
    return sys.platform.startswith("linux") and (threading is None or threading.active_count() == 1)


def on_two_threads(here: Callable[[], None], there: Callable[[], None]) -> None:
    """Run `there` on a second thread while `here` runs on this one (for work that releases the
    GIL, as lxml's parser does). An exception from either is raised here, once both have ended."""
    import threading  # only when used: a run that never starts a thread may fork without a check

    failed: list[BaseException] = []

    def guarded() -> None:
        try:
            there()
        except BaseException as exc:  # raised again below, in the calling thread
            failed.append(exc)

    helper = threading.Thread(target=guarded)
    helper.start()
    try:
        here()
    finally:
        helper.join()
    if failed:
        raise failed[0]


def run(work: Callable[[int], list[T]], parts: int, encode: Callable[[T], Row], decode: Callable[[Row], T]) -> list[T]:
    """`work(0) + work(1) + ...`: share 0 here, the others in forked children when possible. A
    child's results cross the pipe as `encode` makes them, and come back through `decode`.

    A child that fails sends nothing; its share is then done here, so an error surfaces with its
    traceback in this process instead of being lost in a child.
    """
    if parts <= 1 or not can_fork():
        return [result for i in range(parts) for result in work(i)]
    children: list[tuple[int, int, int]] = []
    for i in range(1, parts):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: check share i, send it, and leave without running exit handlers
            os.close(read_end)
            code = 1
            try:
                data = marshal.dumps([encode(result) for result in work(i)])
                code = 0
            except BaseException:  # reported by the parent, which redoes the share
                data = b""
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            os._exit(code)
        os.close(write_end)
        children.append((i, pid, read_end))
    results = work(0)
    for i, pid, read_end in children:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()  # read before waiting: a child blocks while its output fills the pipe
        _, status = os.waitpid(pid, 0)
        results.extend(map(decode, marshal.loads(data)) if status == 0 and data else work(i))
    return results
