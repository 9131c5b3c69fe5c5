"""Token requests per second the emulator sustains on this machine (target: >= 200/s, the real
tenant ceiling, so the drill can reproduce throttling without the emulator being the bottleneck).

    python bench/emulator_tokens.py [--seconds 10] [--clients 2] [--threads 8]

Starts `b2c-toolkit emulator` (gunicorn, TLS) on a free port, gets one refresh token through the
real sign-in flow, then has client processes redeem refresh tokens (each answer is a new signed id
and access token and a rolling refresh token) over keep-alive connections for a fixed time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import REDIRECT_URI, start_emulator, stop_emulator  # noqa: E402
from toolkit import flows  # noqa: E402
from toolkit.emulator.client import trusting_session  # noqa: E402


def client(url: str, ca: str, form: dict[str, str], seconds: float, threads: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    ok = failed = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        nonlocal ok, failed
        session = trusting_session(ca)
        data = dict(form)
        while time.monotonic() < deadline:
            reply = session.post(url, data=data, timeout=30)
            with lock:
                if reply.status_code == 200:
                    ok += 1
                    data["refresh_token"] = reply.json()["refresh_token"]
                else:
                    failed += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((ok, failed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per client process")
    args = parser.parse_args()
    emulator = start_emulator(Path(tempfile.mkdtemp()))
    try:
        app = emulator.cca()
        flow = app.initiate_auth_code_flow([emulator.config["api_scope"]], redirect_uri=REDIRECT_URI, response_mode="form_post")
        arrival = flows.sign_in(emulator.session(), flow["auth_uri"], emulator.user["username"], emulator.user["password"])
        tokens = app.acquire_token_by_auth_code_flow(flow, arrival.params)
        form = {
            "grant_type": "refresh_token",
            "client_id": emulator.config["client_id"],
            "client_secret": emulator.config["client_secret"],
            "scope": f"{emulator.config['api_scope']} openid offline_access",
            "refresh_token": tokens["refresh_token"],
        }
        url = emulator.authority() + "/oauth2/v2.0/token"
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        procs = [
            multiprocessing.Process(target=client, args=(url, emulator.config["ca_bundle"], form, args.seconds, args.threads, queue))
            for _ in range(args.clients)
        ]
        start = time.monotonic()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.monotonic() - start
    finally:
        stop_emulator(emulator)
    ok = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    print(f"{ok} token responses, {failed} failures in {elapsed:.1f} s with {args.clients}x{args.threads} keep-alive clients")
    print(f"token requests per second: {ok / elapsed:.0f} (target >= 200)")


if __name__ == "__main__":
    main()
