"""Reference-app throughput under gunicorn on loopback, ratios measured in one run:

- signed-in page (/profile) with the IdP in full outage vs healthy   (target >= 0.95)
- protected page (/profile) vs a bare Flask route (/healthz)          (target >= 0.7)

    python bench/app_throughput.py [--seconds 5] [--clients 2] [--threads 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._load import hammer  # noqa: E402
from tests.support import start_emulator, stop_emulator  # noqa: E402
from toolkit import flows  # noqa: E402
from toolkit.drill import processes  # noqa: E402
from toolkit.resilience.http import trusting_session  # noqa: E402


def get(session: requests.Session, state: dict[str, Any]) -> bool:
    """One GET with the signed-in user's session cookie."""
    session.cookies.set("__Host-refapp", state["cookie"])
    return session.get(state["url"], allow_redirects=False, timeout=30).status_code == 200


def measure(url: str, ca: str, cookie: str, args: argparse.Namespace) -> tuple[float, int]:
    ok, failed, elapsed = hammer(get, ca, {"url": url, "cookie": cookie}, args.seconds, args.clients, args.threads)
    return ok / elapsed, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    emulator = start_emulator(root / "emulator")
    app = processes.start_app(root / "emulator", root / "app", workers=args.workers, threads=8)
    ca = emulator.config["ca_bundle"]
    try:
        browser = trusting_session(ca)
        user = emulator.config["users"][0]
        flows.app_sign_in(browser, app.url, user["username"], user["password"])
        cookie = browser.cookies.get("__Host-refapp")
        healthy, bad1 = measure(app.url + "/profile", ca, cookie, args)
        bare, bad2 = measure(app.url + "/healthz", ca, cookie, args)
        emulator.fault(kind="outage", group="all", mode="reset")
        outage, bad3 = measure(app.url + "/profile", ca, cookie, args)
    finally:
        app.stop()
        stop_emulator(emulator)
    print(f"/profile healthy IdP: {healthy:.0f} req/s ({bad1} non-200)")
    print(f"/profile IdP in full outage: {outage:.0f} req/s ({bad3} non-200)")
    print(f"/healthz (bare route): {bare:.0f} req/s ({bad2} non-200)")
    print(f"ratio outage / healthy: {outage / healthy:.2f} (target >= 0.95)")
    print(f"ratio protected / bare: {healthy / bare:.2f} (target >= 0.7)")


if __name__ == "__main__":
    main()
