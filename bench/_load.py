"""A small closed-loop load generator for the benchmarks: client processes × threads, each with
its own keep-alive session trusting the emulator's CA, running `step` until time is up."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from toolkit.resilience.http import trusting_session

#: step(session, state) -> True when the request succeeded; `state` is the thread's own copy
Step = Callable[[requests.Session, dict[str, Any]], bool]


def _client(step: Step, ca: str, state: dict[str, Any], seconds: float, threads: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    counts = [0, 0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        session = trusting_session(ca)
        mine = dict(state)
        while time.monotonic() < deadline:
            ok = step(session, mine)
            with lock:
                counts[0 if ok else 1] += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(tuple(counts))


def hammer(step: Step, ca: str, state: dict[str, Any], seconds: float, clients: int, threads: int) -> tuple[int, int, float]:
    """Run `step` in `clients` processes × `threads` threads for `seconds`: (ok, failed, elapsed)."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    procs = [multiprocessing.Process(target=_client, args=(step, ca, state, seconds, threads, queue)) for _ in range(clients)]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results), sum(r[1] for r in results), time.monotonic() - start
