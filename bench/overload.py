"""Admission control under overload: the reference app under gunicorn on loopback, in one run.

Capacity = workers x MAX_CONCURRENT_REQUESTS closed-loop clients (keep-alive, no think time) on a
signed-in page (/profile). A refused client waits `--backoff` seconds (an impatient client: less
than the Retry-After it is given) and tries again. Printed:

- goodput (200s per second) at 2x capacity / at capacity            (goal >= 0.9)
- p95 latency of admitted requests at 2x capacity / unloaded         (goal <= 2)
- p95 of /healthz polled during the 2x phase

The load generator runs on the same machine: on a small one its own CPU use slows the app down as
it adds clients, which "p95 admitted 2x / at capacity" leaves out.

    python bench/overload.py [--seconds 8] [--workers 2] [--threads 8] [--limit 6] [--backoff 0.1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import start_emulator, stop_emulator  # noqa: E402
from toolkit import flows  # noqa: E402
from toolkit.drill import processes  # noqa: E402
from toolkit.resilience.http import trusting_session  # noqa: E402

#: one result: (status, seconds)
Result = tuple[int, float]


def _clients(url: str, ca: str, cookie: str, threads: int, seconds: float, backoff: float, out: Any) -> None:
    results: list[Result] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        session = trusting_session(ca)
        session.cookies.set("__Host-refapp", cookie)
        mine: list[Result] = []
        while time.monotonic() < deadline:
            start = time.perf_counter()
            status = session.get(url, allow_redirects=False, timeout=60).status_code
            mine.append((status, time.perf_counter() - start))
            if status == 503:
                time.sleep(backoff)
        with lock:
            results.extend(mine)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(results)


def run(url: str, ca: str, cookie: str, clients: int, seconds: float, backoff: float) -> tuple[list[Result], float]:
    """`clients` closed-loop clients over 2 processes for `seconds`: every result, and the elapsed time."""
    queue: Any = multiprocessing.Queue()
    split = [clients // 2 + clients % 2, clients // 2]
    procs = [multiprocessing.Process(target=_clients, args=(url, ca, cookie, n, seconds, backoff, queue)) for n in split if n]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get()]
    for p in procs:
        p.join()
    return results, time.monotonic() - start


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def poll_health(url: str, ca: str, stop: threading.Event, out: list[float]) -> None:
    session = trusting_session(ca)
    while not stop.is_set():
        start = time.perf_counter()
        session.get(url, timeout=60)
        out.append(time.perf_counter() - start)
        stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--limit", type=int, default=6, help="MAX_CONCURRENT_REQUESTS per worker")
    parser.add_argument("--backoff", type=float, default=0.1, help="seconds a refused client waits")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    emulator = start_emulator(root / "emulator")
    env = {"SECRET_KEY": "bench-only", "MAX_CONCURRENT_REQUESTS": str(args.limit)}
    app = processes.start_app(root / "emulator", root / "app", workers=args.workers, threads=args.threads, env=env)
    ca = emulator.config["ca_bundle"]
    capacity = args.workers * args.limit
    try:
        browser = trusting_session(ca)
        user = emulator.config["users"][0]
        flows.app_sign_in(browser, app.url, user["username"], user["password"])
        cookie = browser.cookies.get("__Host-refapp")
        page = app.url + "/profile"
        run(page, ca, cookie, capacity, 2, args.backoff)  # warm-up
        unloaded, _ = run(page, ca, cookie, 1, args.seconds, args.backoff)
        at_capacity, t1 = run(page, ca, cookie, capacity, args.seconds, args.backoff)
        stop, health = threading.Event(), []  # type: ignore[var-annotated]
        poller = threading.Thread(target=poll_health, args=(app.url + "/healthz", ca, stop, health))
        poller.start()
        overload, t2 = run(page, ca, cookie, 2 * capacity, args.seconds, args.backoff)
        stop.set()
        poller.join()
    finally:
        app.stop()
        stop_emulator(emulator)

    def ok(results: list[Result]) -> list[float]:
        return [s for status, s in results if status == 200]

    goodput_1, goodput_2 = len(ok(at_capacity)) / t1, len(ok(overload)) / t2
    refused = sum(1 for status, _ in overload if status == 503)
    other = sum(1 for status, _ in overload if status not in (200, 503)) + sum(1 for status, _ in at_capacity if status != 200)
    base, loaded = p95(ok(unloaded)), p95(ok(overload))
    print(f"{args.workers} workers x {args.threads} threads, MAX_CONCURRENT_REQUESTS={args.limit}: capacity {capacity} clients")
    print(f"unloaded (1 client): p95 {base * 1000:.1f} ms")
    print(f"at capacity ({capacity} clients): goodput {goodput_1:.0f} req/s, p95 {p95(ok(at_capacity)) * 1000:.1f} ms")
    print(f"at 2x ({2 * capacity} clients): goodput {goodput_2:.0f} req/s, p95 admitted {loaded * 1000:.1f} ms, {refused} refused (503)")
    print(f"other statuses: {other}")
    print(f"/healthz during 2x: p95 {p95(health) * 1000:.1f} ms over {len(health)} polls")
    print(f"goodput 2x / capacity: {goodput_2 / goodput_1:.2f} (goal >= 0.9)")
    print(f"p95 admitted 2x / unloaded: {loaded / base:.2f} (goal <= 2)")
    print(f"p95 admitted 2x / at capacity: {loaded / p95(ok(at_capacity)):.2f}")


if __name__ == "__main__":
    main()
